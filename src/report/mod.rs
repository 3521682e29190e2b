//! Renders findings (sorted, or a streamed batch as JSON Lines): human lines, a JSON array, JSON Lines, SARIF, the NHI
//! inventory (findings grouped by identity) or an HTML report of it.
mod html;
mod human;
mod identities;
mod inventory;
mod sarif;

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

/// Write `findings` (already sorted) to `w`.
pub fn write(format: Format, findings: &[Finding], cx: &Context, w: &mut dyn Write) -> anyhow::Result<()> {
    let (color, terminal) = (cx.color, cx.terminal);
    match format {
        Format::Sarif => sarif::write(findings, cx.rules, cx.paths, cx.warn, w)?,
        Format::Inventory => {
            let rows = identities::build(findings);
            if terminal {
                inventory::write(&rows, cx.width, w)?;
            } else {
                serde_json::to_writer_pretty(&mut *w, &rows)?;
                writeln!(w)?;
            }
        }
        Format::Human => human::write(findings, color, w)?,
        Format::Html => html::write(findings, w)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, findings)?;
            writeln!(w)?;
        }
        Format::Jsonl => write_jsonl(findings, w)?,
    }
    w.flush()?;
    Ok(())
}

/// Write `findings` as JSON Lines, one finding a line, in the order given (a streamed
/// batch, or a sorted report).
pub fn write_jsonl<'a>(
    findings: impl IntoIterator<Item = &'a Finding>,
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut *w, f)?;
        writeln!(w)?;
    }
    Ok(())
}
