//! The HTML report: one self-contained page a security team can send around. The inventory
//! (identities, owners, first seen, at HEAD), each identity's locations and its egress paths
//! drawn as inline SVG graphs (secret → CI hops → sink), filters by severity and provider.
//! No secret values (not even redacted ones), and no network requests: the page's content
//! security policy allows nothing but its own inline style and script.
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;

use super::identities::{self, Entry};
use crate::finding::{Egress, Finding};
use crate::rules::Severity;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Egress paths drawn per identity: the worst ones.
const MAX_GRAPHS: usize = 10;

/// What the header and the filters show before the table: taken as rows are built.
#[derive(Default)]
struct Totals {
    identities: usize,
    /// Identities by worst severity, in [`SEVERITIES`] order.
    by_severity: [usize; 4],
    /// Providers are a few dozen at most (one per rule family), so a set is small.
    providers: BTreeSet<String>,
}

const SEVERITIES: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

/// The page, written as its rows come: only the totals are known before the table.
pub fn write(findings: impl Iterator<Item = Finding>, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut totals = Totals::default();
    let identities::Inventory { mut entries, findings } = identities::build(findings, |e| {
        totals.identities += 1;
        if let Some(at) = SEVERITIES.iter().position(|s| *s == e.row.severity) {
            totals.by_severity[at] += 1;
        }
        if !totals.providers.contains(&e.row.provider) {
            totals.providers.insert(e.row.provider.clone());
        }
    })?;
    w.write_all(
        concat!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ",
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<title>sprawl report</title>\n<style>\n",
        )
        .as_bytes(),
    )?;
    w.write_all(STYLE.as_bytes())?;
    w.write_all(b"</style>\n</head>\n<body>\n")?;
    header(w, findings, &totals)?;
    filters(w, &totals)?;
    table(w, entries.by_ref())?;
    entries.check()?;
    w.write_all(b"<script>\n")?;
    w.write_all(SCRIPT.as_bytes())?;
    w.write_all(b"</script>\n</body>\n</html>\n")?;
    Ok(())
}

fn header(w: &mut dyn Write, findings: usize, totals: &Totals) -> std::io::Result<()> {
    write!(
        w,
        "<header><h1>sprawl: non-human identities with leaked credentials</h1>\n\
         <p class=\"totals\"><span id=\"total-identities\">{}</span> identities, \
         <span id=\"total-findings\">{}</span> findings",
        totals.identities, findings
    )?;
    for (s, n) in SEVERITIES.iter().zip(totals.by_severity) {
        write!(w, " · <span class=\"sev {0}\">{n} {0}</span>", s.as_str())?;
    }
    writeln!(w, " · sprawl {}</p></header>", env!("CARGO_PKG_VERSION"))
}

fn filters(w: &mut dyn Write, totals: &Totals) -> std::io::Result<()> {
    w.write_all(b"<form id=\"filters\"><fieldset><legend>Severity</legend>\n")?;
    for s in SEVERITIES {
        writeln!(
            w,
            "<label><input type=\"checkbox\" name=\"severity\" value=\"{0}\" checked> {0}</label>",
            s.as_str()
        )?;
    }
    w.write_all(b"</fieldset><fieldset><legend>Provider</legend><select name=\"provider\">\n")?;
    w.write_all(b"<option value=\"\">all providers</option>\n")?;
    for p in &totals.providers {
        writeln!(w, "<option value=\"{0}\">{0}</option>", esc(p))?;
    }
    w.write_all(
        b"</select></fieldset>\n<p>Showing <span id=\"shown-identities\">?</span> identities \
         (<span id=\"shown-findings\">?</span> findings)</p></form>\n",
    )
}

fn table(w: &mut dyn Write, entries: impl Iterator<Item = Entry>) -> std::io::Result<()> {
    w.write_all(
        b"<table id=\"inventory\"><thead><tr><th>Severity</th><th>Identity</th><th>Provider</th>\
         <th>Kind</th><th>Owners</th><th>First seen</th><th>At HEAD</th><th>Locations</th>\
         <th>Egress</th></tr></thead>\n",
    )?;
    for (i, e) in entries.enumerate() {
        let r = &e.row;
        let first = r.first_seen.as_ref().map_or_else(String::new, |s| {
            format!("{} {}", s.date.get(..10).unwrap_or(&s.date), s.author.as_deref().unwrap_or(""))
        });
        write!(
            w,
            "<tbody class=\"identity\" data-severity=\"{sev}\" data-provider=\"{provider}\" \
             data-findings=\"{n}\">\n<tr class=\"row\"><td><span class=\"sev {sev}\">{sev}</span></td>\
             <td><code>{id}</code></td><td>{provider}</td><td>{kind}</td><td>{owners}</td>\
             <td>{first}</td><td>{head}</td><td class=\"num\">{locs}</td><td class=\"num\">{paths}</td></tr>\n\
             <tr class=\"more\"><td></td><td colspan=\"8\"><details id=\"identity-{i}\"><summary>locations \
             and egress paths</summary>{detail}</details></td></tr>\n</tbody>\n",
            sev = r.severity.as_str(),
            provider = esc(&r.provider),
            n = e.findings,
            id = esc(&r.id),
            detail = detail(&e),
            kind = esc(&r.kind),
            owners = esc(&identities::owners_cell(&r.owners)),
            first = esc(first.trim_end()),
            head = if r.at_head { "yes" } else { "no" },
            locs = r.locations.len() + r.more_locations,
            paths = e.egress.len(),
        )?;
    }
    w.write_all(b"</table>\n")
}

/// An identity's locations, rules and egress graphs.
fn detail(e: &Entry) -> String {
    let (r, egress) = (&e.row, &e.egress);
    let mut s = String::from("<div class=\"detail\"><h3>Locations</h3><ul class=\"locations\">");
    for l in &r.locations {
        let _ = write!(s, "<li><code>{}</code></li>", esc(l));
    }
    if r.more_locations > 0 {
        let _ = write!(s, "<li>… and {} more</li>", r.more_locations);
    }
    let _ = write!(s, "</ul><p>Rules: {}</p>", esc(&r.rules.join(", ")));
    if !egress.is_empty() {
        s.push_str("<h3>Egress paths</h3>");
        for e in egress.iter().take(MAX_GRAPHS) {
            s.push_str(&graph(e));
        }
        if egress.len() > MAX_GRAPHS {
            let _ = write!(s, "<p>… and {} more paths</p>", egress.len() - MAX_GRAPHS);
        }
    }
    s.push_str("</div>");
    s
}

const NODE_W: usize = 190;
const NODE_H: usize = 46;
const GAP_W: usize = 34;

/// One egress path as a row of boxes joined by arrows: each hop of the chain, then the sink.
fn graph(e: &Egress) -> String {
    let mut nodes: Vec<(String, String, &str)> = e
        .chain
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (h.what.clone(), format!("{}:{}", h.file, h.line), if i == 0 { "source" } else { "hop" })
        })
        .collect();
    nodes.push((
        format!("{} ({})", e.sink.as_str(), e.ci.as_str()),
        format!("{}:{}", e.file, e.line),
        "sink",
    ));
    let width = nodes.len() * NODE_W + (nodes.len() - 1) * GAP_W + 2;
    let mut s = format!(
        "<svg class=\"egress {sev}\" role=\"img\" width=\"{width}\" height=\"{h}\" viewBox=\"0 0 {width} {h}\">\
         <title>{title}</title>",
        sev = e.severity.as_str(),
        h = NODE_H + 2,
        title = esc(&e.summary()),
    );
    for (i, (what, place, class)) in nodes.iter().enumerate() {
        let x = 1 + i * (NODE_W + GAP_W);
        let _ = write!(
            s,
            "<g class=\"node {class}\"><title>{full} — {place_full}</title>\
             <rect x=\"{x}\" y=\"1\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"6\"/>\
             <text x=\"{tx}\" y=\"19\">{what}</text><text class=\"place\" x=\"{tx}\" y=\"37\">{place}</text></g>",
            full = esc(what),
            place_full = esc(place),
            tx = x + 8,
            what = esc(&clip(what, 24, false)),
            place = esc(&clip(place, 26, true)),
        );
        if i + 1 < nodes.len() {
            let (x1, x2, y) = (x + NODE_W, x + NODE_W + GAP_W - 4, 1 + NODE_H / 2);
            let _ = write!(s, "<path class=\"arrow\" d=\"M{x1} {y} H{x2} m-6 -5 l6 5 l-6 5\"/>");
        }
    }
    s.push_str("</svg>");
    s
}

/// At most `n` characters: the start of a name kept, or the end of a place (its file name
/// and line) with `keep_end`.
fn clip(s: &str, n: usize, keep_end: bool) -> String {
    let count = s.chars().count();
    if count <= n {
        return s.to_string();
    }
    if keep_end {
        let tail: String = s.chars().skip(count - (n - 1)).collect();
        format!("…{tail}")
    } else {
        let head: String = s.chars().take(n - 1).collect();
        format!("{head}…")
    }
}

/// Text for HTML content and attribute values: markup characters escaped and control
/// characters shown (repository bytes are attacker-controlled).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::diag::sanitize(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(esc("<a href='x'>&\"\x1b"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\\u{1b}");
        assert_eq!(clip("deploy/prod/.env:12", 8, true), "….env:12");
        assert_eq!(clip("network-send (gitlab-ci)", 8, false), "network…");
    }
}
