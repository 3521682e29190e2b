//! The HTML report: one self-contained page a security team can send around. The inventory
//! (identities, owners, first seen, at HEAD), each identity's locations and its egress paths
//! drawn as inline SVG graphs (secret → CI hops → sink), filters by severity and provider.
//! No secret values (not even redacted ones), and no network requests: the page's content
//! security policy allows nothing but its own inline style and script.
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;

use super::identities::{self, Row};
use crate::finding::{Egress, Finding};
use crate::rules::Severity;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Egress paths drawn per identity: the worst ones.
const MAX_GRAPHS: usize = 10;

pub fn write(findings: impl Iterator<Item = Finding>, w: &mut dyn Write) -> std::io::Result<()> {
    let identities::Inventory { rows, findings } = identities::build(findings);
    let mut page = String::with_capacity(16 * 1024 + rows.len() * 2048);
    page.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ",
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<title>sprawl report</title>\n<style>\n",
    ));
    page.push_str(STYLE);
    page.push_str("</style>\n</head>\n<body>\n");
    header(&mut page, findings, &rows);
    filters(&mut page, &rows);
    table(&mut page, &rows);
    page.push_str("<script>\n");
    page.push_str(SCRIPT);
    page.push_str("</script>\n</body>\n</html>\n");
    w.write_all(page.as_bytes())
}

fn header(page: &mut String, findings: usize, rows: &[Row]) {
    let _ = write!(
        page,
        "<header><h1>sprawl: non-human identities with leaked credentials</h1>\n\
         <p class=\"totals\"><span id=\"total-identities\">{}</span> identities, \
         <span id=\"total-findings\">{}</span> findings",
        rows.len(),
        findings
    );
    for s in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low] {
        let n = rows.iter().filter(|r| r.severity == s).count();
        let _ = write!(page, " · <span class=\"sev {0}\">{n} {0}</span>", s.as_str());
    }
    let _ = writeln!(page, " · sprawl {}</p></header>", env!("CARGO_PKG_VERSION"));
}

fn filters(page: &mut String, rows: &[Row]) {
    page.push_str("<form id=\"filters\"><fieldset><legend>Severity</legend>\n");
    for s in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low] {
        let _ = writeln!(
            page,
            "<label><input type=\"checkbox\" name=\"severity\" value=\"{0}\" checked> {0}</label>",
            s.as_str()
        );
    }
    page.push_str("</fieldset><fieldset><legend>Provider</legend><select name=\"provider\">\n");
    page.push_str("<option value=\"\">all providers</option>\n");
    let providers: BTreeSet<&str> = rows.iter().map(|r| r.provider.as_str()).collect();
    for p in providers {
        let _ = writeln!(page, "<option value=\"{0}\">{0}</option>", esc(p));
    }
    page.push_str(
        "</select></fieldset>\n<p>Showing <span id=\"shown-identities\">?</span> identities \
         (<span id=\"shown-findings\">?</span> findings)</p></form>\n",
    );
}

fn table(page: &mut String, rows: &[Row]) {
    page.push_str(
        "<table id=\"inventory\"><thead><tr><th>Severity</th><th>Identity</th><th>Provider</th>\
         <th>Kind</th><th>Owners</th><th>First seen</th><th>At HEAD</th><th>Locations</th>\
         <th>Egress</th></tr></thead>\n",
    );
    for (i, r) in rows.iter().enumerate() {
        let first = r.first_seen.as_ref().map_or_else(String::new, |s| {
            format!("{} {}", s.date.get(..10).unwrap_or(&s.date), s.author.as_deref().unwrap_or(""))
        });
        let _ = write!(
            page,
            "<tbody class=\"identity\" data-severity=\"{sev}\" data-provider=\"{provider}\" \
             data-findings=\"{n}\">\n<tr class=\"row\"><td><span class=\"sev {sev}\">{sev}</span></td>\
             <td><code>{id}</code></td><td>{provider}</td><td>{kind}</td><td>{owners}</td>\
             <td>{first}</td><td>{head}</td><td class=\"num\">{locs}</td><td class=\"num\">{paths}</td></tr>\n\
             <tr class=\"more\"><td></td><td colspan=\"8\"><details id=\"identity-{i}\"><summary>locations \
             and egress paths</summary>{detail}</details></td></tr>\n</tbody>\n",
            sev = r.severity.as_str(),
            provider = esc(&r.provider),
            n = r.findings,
            id = esc(&r.id),
            detail = detail(r),
            kind = esc(&r.kind),
            owners = esc(&identities::owners_cell(&r.owners)),
            first = esc(first.trim_end()),
            head = if r.at_head { "yes" } else { "no" },
            locs = r.locations.len() + r.more_locations,
            paths = r.egress.len(),
        );
    }
    page.push_str("</table>\n");
}

/// An identity's locations, rules and egress graphs.
fn detail(r: &Row) -> String {
    let egress = &r.egress;
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
