//! Renders findings (in order, from `spill`, or a streamed batch as JSON Lines) as they
//! come: human lines, a JSON array, JSON Lines, SARIF, the NHI inventory (findings grouped
//! by identity) or an HTML report of it.
mod html;
mod human;
mod identities;
mod inventory;
mod sarif;
pub(crate) mod spill;

use std::io::Write;

use crate::finding::Finding;
use crate::paths::RepoPaths;
use crate::rules::RuleSet;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:col  severity  rule  redacted-secret`, one line per finding.
    Human,
    /// One JSON array of findings.
    Json,
    /// One finding per line (JSON Lines).
    Jsonl,
    /// One row per identity, riskiest first: a table on a terminal, JSON otherwise.
    Inventory,
    /// SARIF 2.1.0 for GitHub code scanning (secrets and CI egress as two runs).
    Sarif,
    /// One self-contained HTML page: the inventory, each identity's locations and egress
    /// graphs, filters; no secret values, no network requests.
    Html,
}

/// What renderers may need besides the findings.
pub struct Context<'a> {
    pub rules: &'a RuleSet,
    pub paths: &'a RepoPaths,
    pub color: bool,
    pub terminal: bool,
    /// The terminal's width for the inventory table (`None`: no limit, `--wide`).
    pub width: Option<usize>,
    pub warn: &'a dyn Fn(String),
}

/// The order `format` lists findings in: by severity, worst first, for the terminal (a
/// person reads from the top), else by path, position and rule ([`Finding::sort_key`]).
pub(crate) fn order<T: AsRef<Finding>>(format: Format) -> spill::Order<T> {
    match format {
        Format::Human => |a, b| {
            let (a, b) = (a.as_ref(), b.as_ref());
            b.severity.cmp(&a.severity).then_with(|| a.sort_key().cmp(&b.sort_key()))
        },
        _ => |a, b| a.as_ref().sort_key().cmp(&b.as_ref().sort_key()),
    }
}

/// Write `findings`, given in the [`order`] of `format`, to `w` as they come; the
/// inventory and the HTML report group them by identity through the spill.
pub fn write(
    format: Format,
    findings: impl Iterator<Item = Finding>,
    cx: &Context,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let (color, terminal) = (cx.color, cx.terminal);
    match format {
        Format::Sarif => sarif::write(findings, cx.rules, cx.paths, cx.warn, w)?,
        Format::Inventory if terminal => inventory::write(findings, cx.width, w)?,
        Format::Inventory => {
            let mut entries = identities::build(findings, |_| {})?.entries;
            write_json(entries.by_ref().map(|e| e.row), w)?;
            entries.check()?;
        }
        Format::Human => human::write(findings, color, w)?,
        Format::Html => html::write(findings, w)?,
        Format::Json => write_json(findings, w)?,
        Format::Jsonl => write_jsonl(findings, w)?,
    }
    w.flush()?;
    Ok(())
}

/// One pretty-printed JSON array, element by element: each item (a finding, an inventory
/// row) printed alone, its lines indented one level (JSON strings hold no raw newline), as
/// one array would be.
fn write_json<T: serde::Serialize>(items: impl Iterator<Item = T>, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut first = true;
    let mut scratch = Vec::new();
    for f in items {
        w.write_all(if first { b"[\n" } else { b",\n" })?;
        first = false;
        write_indented(&f, b"  ", &mut scratch, w)?;
    }
    w.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
    Ok(())
}

/// `value` pretty-printed as an element of a pretty-printed array `indent` deep: every line
/// indented (JSON strings hold no raw newline), no newline after the last. `scratch` is
/// reused from one value to the next.
fn write_indented(
    value: &impl serde::Serialize,
    indent: &[u8],
    scratch: &mut Vec<u8>,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    scratch.clear();
    serde_json::to_writer_pretty(&mut *scratch, value)?;
    for (i, line) in scratch.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            w.write_all(b"\n")?;
        }
        w.write_all(indent)?;
        w.write_all(line)?;
    }
    Ok(())
}

/// Write `findings` as JSON Lines, one finding a line, in the order given (a streamed
/// batch, or a sorted report).
pub fn write_jsonl<F: std::borrow::Borrow<Finding>>(
    findings: impl IntoIterator<Item = F>,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *w, f.borrow())?;
        writeln!(w)?;
    }
    Ok(())
}
