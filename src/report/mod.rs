//! Renders sorted findings: human lines, a JSON array or JSON Lines.
mod human;

use std::io::Write;

use crate::finding::Finding;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:col  severity  rule  redacted-secret`, one line per finding.
    Human,
    /// One JSON array of findings.
    Json,
    /// One finding per line (JSON Lines).
    Jsonl,
}

/// Write `findings` (already sorted) to `w`.
pub fn write(format: Format, findings: &[Finding], color: bool, w: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        Format::Human => human::write(findings, color, w)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, findings)?;
            writeln!(w)?;
        }
        Format::Jsonl => {
            for f in findings {
                serde_json::to_writer(&mut *w, f)?;
                writeln!(w)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
