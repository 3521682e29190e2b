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
pub fn write(findings: impl Iterator<Item = (String, Finding)>, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        w,
        "# sprawl baseline: findings accepted as known. One per line: rule, secret fingerprint, path."
    )?;
    let lines: BTreeSet<String> = findings
        .map(|(key, f)| match key.splitn(3, ' ').collect::<Vec<_>>()[..] {
            [rule, fp, path] => format!("{rule} {fp} {}  # {}", escape(path), escape(&f.name)),
            _ => format!("{}  # {}", escape(&key), escape(&f.name)),
        })
        .collect();
    for line in lines {
        writeln!(w, "{line}")?;
    }
    Ok(())
}

/// A path as written in a baseline line: `\\`, `#`, and what [`crate::diag::needs_escape`]
/// names (a newline would start a forged line, `  #` a comment) as `\u{…}` escapes, so
/// that every finding stays one line that reads back to the same path.
fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '#' => out.push_str("\\u{23}"),
            c if crate::diag::needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// The path [`escape`] wrote; `None` for a malformed escape.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('\\') {
            out.push('\\');
            rest = r;
        } else {
            let (hex, r) = after.strip_prefix("u{")?.split_once('}')?;
            out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
            rest = r;
        }
    }
    out.push_str(rest);
    Some(out)
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
            let Some(file) = unescape(file) else {
                anyhow::bail!("{}:{}: bad escape in the path", path.display(), i + 1);
            };
            keys.insert(key(rule, fp, &file));
        }
        Ok(Self { keys })
    }

    pub fn contains(&self, key: &str) -> bool {
        self.keys.contains(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_escape_and_read_back() {
        for path in
            ["plain/file.txt", "with space/a b", "new\nline", "a  # b", "back\\slash\\u{41}", "rtl\u{202e}"]
        {
            let escaped = escape(path);
            assert!(!escaped.contains('\n') && !escaped.contains('#'), "{escaped}");
            assert_eq!(unescape(&escaped).as_deref(), Some(path));
        }
        assert_eq!(unescape("bad\\x"), None);
        assert_eq!(unescape("bad\\u{110000}"), None);
    }
}
