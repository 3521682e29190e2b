//! Baselines: the findings a team has accepted, keyed by content (rule, secret fingerprint
//! and repository-relative path; never line numbers), so that moving a secret within its
//! file does not make it new. One finding per line, sorted, so the file merges cleanly.
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::finding::Finding;

/// The baseline key of a finding whose path is already repository-relative.
pub fn key(rule: &str, fingerprint: &str, path: &str) -> String {
    format!("{rule} {fingerprint} {path}")
}

/// Write the baseline lines for `findings` (key, then the rule's name as a comment).
pub fn write(findings: &[(String, &Finding)], w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        w,
        "# sprawl baseline: findings accepted as known. One per line: rule, secret fingerprint, path."
    )?;
    let lines: BTreeSet<String> = findings.iter().map(|(key, f)| format!("{key}  # {}", f.name)).collect();
    for line in lines {
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// A loaded baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    keys: BTreeSet<String>,
}

impl Baseline {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read baseline {}", path.display()))?;
        let mut keys = BTreeSet::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let entry = line.split_once("  #").map_or(line, |(k, _)| k).trim_end();
            let mut parts = entry.splitn(3, ' ');
            let (Some(rule), Some(fp), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
                anyhow::bail!("{}:{}: expected `RULE FINGERPRINT PATH`", path.display(), i + 1);
            };
            if !crate::secret::is_fingerprint(fp) {
                anyhow::bail!("{}:{}: {fp:?} is not a sprawl fingerprint", path.display(), i + 1);
            }
            keys.insert(key(rule, fp, file));
        }
        Ok(Self { keys })
    }

    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }
}
