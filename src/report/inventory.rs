//! The inventory as a terminal table: one line per identity, riskiest first, with where it
//! was found and its worst egress path, fitted to the terminal's width (columns of least
//! use dropped first, then the widest cells shortened with `…`), or in full with `--wide`;
//! a LIVE column first when `--validate` asked the providers.
use std::io::Write;

use super::identities::{self, owners_cell, Row};
use crate::diag::sanitize;
use crate::finding::{Finding, Status};

/// How a cell too long for its column is shortened.
#[derive(Clone, Copy)]
enum Cut {
    /// Keep the start: names, owners, dates.
    End,
    /// Keep both ends: an identity's provider prefix and its distinguishing tail.
    Middle,
    /// Keep the end: a path's file name and line.
    Start,
}

struct Column {
    header: &'static str,
    /// Narrowest useful width; a column that cannot have it is dropped.
    min: usize,
    /// Columns with a rank are dropped on a narrow terminal, lowest rank first.
    drop_rank: Option<u8>,
    cut: Cut,
}

const fn col(header: &'static str, min: usize, drop_rank: Option<u8>, cut: Cut) -> Column {
    Column { header, min, drop_rank, cut }
}

const COLUMNS: [Column; 11] = [
    // Empty, and so dropped, without --validate; "revoked 2026-12-04" is kept whole.
    col("LIVE", 18, Some(7), Cut::End),
    col("AT HEAD", 7, None, Cut::End),
    col("CREDS", 5, Some(3), Cut::End),
    col("SEVERITY", 8, None, Cut::End),
    col("PROVIDER", 8, Some(2), Cut::End),
    col("KIND", 6, Some(1), Cut::End),
    col("IDENTITY", 24, None, Cut::Middle),
    col("OWNERS", 8, Some(6), Cut::End),
    col("FIRST SEEN", 10, Some(5), Cut::End),
    col("LOCATION", 20, None, Cut::Start),
    col("WORST EGRESS", 12, Some(4), Cut::End),
];

const GAP: usize = 2;

/// Write the table of `findings`' identities; `width` is the terminal's (`None`: every
/// column in full). Column widths are taken as rows are built, before any is written.
pub fn write(
    findings: impl Iterator<Item = Finding>,
    width: Option<usize>,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut widest = [0usize; 11];
    let mut entries = identities::build(findings, |e| {
        for (widest, cell) in widest.iter_mut().zip(cells(&e.row)) {
            *widest = (*widest).max(cell.chars().count());
        }
    })?
    .entries;
    // A column that could be dropped and has nothing to show (no history, no owners) is.
    let natural: Vec<Option<usize>> = COLUMNS
        .iter()
        .zip(widest)
        .map(|(c, widest)| (widest > 0 || c.drop_rank.is_none()).then_some(widest.max(c.header.len())))
        .collect();
    let widths = match width {
        Some(width) => fit(natural, width),
        None => natural,
    };
    let line = |cols: [&str; 11]| {
        let shown: Vec<(usize, &str, Cut)> = widths
            .iter()
            .zip(cols)
            .zip(&COLUMNS)
            .filter_map(|((w, c), column)| w.map(|w| (w, c, column.cut)))
            .collect();
        let mut s = String::new();
        for (i, (w, c, how)) in shown.iter().enumerate() {
            let cell = cut(c, *w, *how);
            if i + 1 == shown.len() {
                s.push_str(&cell);
            } else {
                s.push_str(&format!("{cell:<w$}{:GAP$}", ""));
            }
        }
        s.truncate(s.trim_end().len());
        s
    };
    writeln!(w, "{}", line(COLUMNS.map(|c| c.header)))?;
    for e in entries.by_ref() {
        writeln!(w, "{}", line(cells(&e.row).each_ref().map(String::as_str)))?;
    }
    entries.check()
}

/// Column widths that fit `width`: `None` for a dropped column.
fn fit(mut widths: Vec<Option<usize>>, width: usize) -> Vec<Option<usize>> {
    let total = |ws: &[Option<usize>], min: bool| {
        let shown: Vec<(usize, usize)> =
            ws.iter().enumerate().filter_map(|(i, w)| w.map(|w| (i, w))).collect();
        let sum: usize = shown.iter().map(|(i, w)| if min { COLUMNS[*i].min.min(*w) } else { *w }).sum();
        sum + GAP * shown.len().saturating_sub(1)
    };
    // Drop the least useful columns until the rest fit at their narrowest.
    let mut ranked: Vec<(u8, usize)> =
        COLUMNS.iter().enumerate().filter_map(|(i, c)| c.drop_rank.map(|r| (r, i))).collect();
    ranked.sort_unstable();
    for (_, i) in ranked {
        if total(&widths, true) <= width {
            break;
        }
        widths[i] = None;
    }
    // Then shorten the widest column, one character at a time, down to its minimum.
    while total(&widths, false) > width {
        let widest = widths
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.filter(|w| *w > COLUMNS[i].min).map(|w| (w, i)))
            .max();
        let Some((_, i)) = widest else { break };
        widths[i] = widths[i].map(|w| w - 1);
    }
    widths
}

/// `s` in at most `width` characters, shortened with `…` where `how` says.
fn cut(s: &str, width: usize, how: Cut) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    let keep = width.saturating_sub(1);
    let chars: Vec<char> = s.chars().collect();
    match how {
        Cut::End => chars[..keep].iter().chain(['…'].iter()).collect(),
        Cut::Start => ['…'].iter().chain(chars[n - keep..].iter()).collect(),
        Cut::Middle => {
            let head = keep.div_ceil(2);
            let tail = keep - head;
            chars[..head].iter().chain(['…'].iter()).chain(chars[n - tail..].iter()).collect()
        }
    }
}

fn cells(r: &Row) -> [String; 11] {
    let first = r.first_seen.as_ref().map_or_else(String::new, |s| {
        let day = s.date.get(..10).unwrap_or(&s.date);
        format!("{day} {}", s.author.as_deref().unwrap_or(""))
    });
    let location = match r.locations.split_first() {
        None => String::new(),
        Some((first, [])) if r.more_locations == 0 => first.clone(),
        Some((first, rest)) => format!("{first} (+{})", rest.len() + r.more_locations),
    };
    [
        match (r.live, &r.revoked_at) {
            (Some(Status::Revoked), Some(at)) => format!("revoked {}", at.get(..10).unwrap_or(at)),
            (live, _) => live.map_or("", |s| s.as_str()).to_string(),
        },
        if r.at_head { "yes" } else { "no" }.to_string(),
        r.credentials.to_string(),
        r.severity.as_str().to_string(),
        sanitize(&r.provider),
        sanitize(&r.kind),
        sanitize(&r.id),
        sanitize(&owners_cell(&r.owners)),
        sanitize(first.trim_end()),
        sanitize(&location),
        r.worst_egress.as_ref().map_or_else(String::new, |e| {
            sanitize(&format!("{} {} {}:{}", e.severity, e.sink.as_str(), e.file, e.line))
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_the_useful_end() {
        assert_eq!(cut("deploy/prod/.env:12", 10, Cut::Start), "…d/.env:12");
        assert_eq!(cut("aws:account/1234:key/AKIA", 11, Cut::Middle), "aws:a…/AKIA");
        assert_eq!(cut("@team/infra", 6, Cut::End), "@team…");
        assert_eq!(cut("short", 6, Cut::End), "short");
    }

    #[test]
    fn narrow_terminals_drop_columns_then_shorten() {
        // No LIVE column (no --validate), then the rest.
        let natural: Vec<Option<usize>> =
            std::iter::once(None).chain([7, 5, 8, 10, 20, 60, 30, 25, 40, 30].map(Some)).collect();
        let at = |w: usize| {
            let ws = fit(natural.to_vec(), w);
            let shown: Vec<usize> = ws.iter().flatten().copied().collect();
            assert!(shown.iter().sum::<usize>() + GAP * (shown.len() - 1) <= w, "{w}: {ws:?}");
            ws
        };
        let narrow = at(80);
        assert!(narrow[5].is_none() && narrow[4].is_none(), "kind and provider go first: {narrow:?}");
        assert!(narrow[6].is_some() && narrow[9].is_some(), "identity and location stay: {narrow:?}");
        let wide = at(200);
        assert!(wide[1..].iter().all(Option::is_some), "{wide:?}");
    }
}
