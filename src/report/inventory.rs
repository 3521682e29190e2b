//! The inventory as a terminal table: one line per identity, riskiest first, with its worst
//! egress path.
use std::io::Write;

use super::identities::{owners_cell, Row};
use crate::diag::sanitize;

pub fn write(rows: &[Row], w: &mut dyn Write) -> std::io::Result<()> {
    let header = [
        "AT HEAD",
        "CREDS",
        "LOCS",
        "SEVERITY",
        "PROVIDER",
        "KIND",
        "IDENTITY",
        "OWNERS",
        "FIRST SEEN",
        "WORST EGRESS",
    ];
    let cells: Vec<[String; 10]> = rows
        .iter()
        .map(|r| {
            let first = r.first_seen.as_ref().map_or_else(String::new, |s| {
                let day = s.date.get(..10).unwrap_or(&s.date);
                format!("{day} {}", s.author.as_deref().unwrap_or(""))
            });
            [
                if r.at_head { "yes" } else { "no" }.to_string(),
                r.credentials.to_string(),
                r.locations.len().to_string(),
                format!("{:?}", r.severity).to_lowercase(),
                r.provider.clone(),
                r.kind.clone(),
                sanitize(&r.id),
                sanitize(&owners_cell(&r.owners)),
                sanitize(first.trim_end()),
                r.worst_egress.as_ref().map_or_else(String::new, |e| {
                    sanitize(&format!("{} {} {}:{}", e.severity, e.sink.as_str(), e.file, e.line))
                }),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cols.iter().zip(widths).enumerate() {
            if i + 1 == cols.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s
    };
    writeln!(w, "{}", line(&header.map(str::to_string)))?;
    for row in &cells {
        writeln!(w, "{}", line(row))?;
    }
    Ok(())
}
