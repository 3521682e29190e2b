//! Suppression: what the team decided not to be told about again. Inline markers on the
//! line of a hit (or the line before), allow entries from `.sprawl.toml` or an imported
//! gitleaks configuration (by path, by regex over the secret, by stopword), and baselines
//! of known findings. Suppressed findings are counted, and listed on request.
pub mod baseline;
pub mod config;
pub(crate) mod gitleaks;

use globset::GlobSet;
use regex::bytes::Regex;

use crate::finding::{Suppression, SuppressionKind};

/// The markers always honoured, and those honoured for migration (switchable).
const OWN_MARKER: &str = "sprawl:allow";
const COMPAT_MARKERS: [&str; 2] = ["gitleaks:allow", "pragma: allowlist secret"];

/// One allow entry: a finding of one of `rules` (any rule when empty) is suppressed when
/// its path matches, its secret matches a regex, or its secret contains a stopword.
#[derive(Debug)]
pub struct Allow {
    /// Where it was defined (`.sprawl.toml:12`), for the suppression reason.
    pub origin: String,
    pub rules: Vec<String>,
    pub paths: GlobSet,
    pub path_regexes: Vec<Regex>,
    pub regexes: Vec<Regex>,
    /// Lower-cased.
    pub stopwords: Vec<String>,
}

impl Allow {
    fn applies(&self, rule: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r == rule)
    }
}

/// Bytes around a secret searched for its inline marker, each way. Whole lines were read
/// before: 50,000 findings on one 1 MiB line took minutes (found by fuzzing). A marker sits
/// at the end of a line or on the line before, within this reach in any real file.
const MARKER_REACH: usize = 4096;

/// Everything that decides suppression, shared by the scanner threads.
#[derive(Debug)]
pub struct Suppressor {
    pub allows: Vec<Allow>,
    /// Honour `gitleaks:allow` and `pragma: allowlist secret` as well as `sprawl:allow`.
    pub compat_markers: bool,
}

impl Default for Suppressor {
    fn default() -> Self {
        Self { allows: Vec::new(), compat_markers: true }
    }
}

impl Suppressor {
    /// Why a hit is suppressed by what can be seen at scan time: an inline marker on its
    /// line or the line before, or an allow entry's regex or stopword matching the secret.
    pub fn by_content(&self, rule: &str, hay: &[u8], at: usize, secret: &[u8]) -> Option<Suppression> {
        if let Some(marker) = self.inline_marker(hay, at) {
            return Some(Suppression::new(SuppressionKind::Inline, format!("inline {marker}")));
        }
        let lower = secret.to_ascii_lowercase();
        let reason = self.allows.iter().filter(|a| a.applies(rule)).find_map(|a| {
            if a.regexes.iter().any(|re| re.is_match(secret)) {
                return Some(format!("regex allowed by {}", a.origin));
            }
            a.stopwords
                .iter()
                .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
                .then(|| format!("stopword allowed by {}", a.origin))
        })?;
        Some(Suppression::new(SuppressionKind::Config, reason))
    }

    /// Why a finding at `path` (repository-relative) is suppressed by an allowed path.
    pub fn by_path(&self, rule: &str, path: &str) -> Option<Suppression> {
        self.allows
            .iter()
            .filter(|a| a.applies(rule))
            .find(|a| a.paths.is_match(path) || a.path_regexes.iter().any(|re| re.is_match(path.as_bytes())))
            .map(|a| Suppression::new(SuppressionKind::Config, format!("path allowed by {}", a.origin)))
    }

    /// The marker on the line holding `at`, or on a comment-only line just before it; both
    /// are read at most [`MARKER_REACH`] bytes from `at` (and a line before that is longer
    /// is not looked at), so that many findings on one long line cost no more than their count.
    fn inline_marker(&self, hay: &[u8], at: usize) -> Option<&'static str> {
        let lo = at.saturating_sub(MARKER_REACH);
        let (start, whole) = match memchr::memrchr(b'\n', &hay[lo..at]) {
            Some(i) => (lo + i + 1, true),
            None => (lo, lo == 0),
        };
        let hi = (at + MARKER_REACH).min(hay.len());
        let end = memchr::memchr(b'\n', &hay[at..hi]).map_or(hi, |i| at + i);
        let found = |line: &[u8]| {
            let has = |m: &str| memchr::memmem::find(line, m.as_bytes()).is_some();
            if has(OWN_MARKER) {
                Some(OWN_MARKER)
            } else if self.compat_markers {
                COMPAT_MARKERS.into_iter().find(|m| has(m))
            } else {
                None
            }
        };
        found(&hay[start..end]).or_else(|| {
            let prev_end = start.checked_sub(1).filter(|_| whole)?;
            let reach = prev_end.saturating_sub(MARKER_REACH);
            let prev = match memchr::memrchr(b'\n', &hay[reach..prev_end]) {
                Some(i) => reach + i + 1,
                None if reach == 0 => 0,
                None => return None,
            };
            let line = hay[prev..prev_end].trim_ascii_start();
            const LEADERS: [&[u8]; 6] = [b"#", b"//", b"--", b";", b"/*", b"<!--"];
            LEADERS.iter().any(|l| line.starts_with(l)).then(|| found(line)).flatten()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markers_on_the_line_or_the_one_before() {
        let s = Suppressor { allows: vec![], compat_markers: true };
        let hay = b"a=1\n# sprawl:allow\nTOKEN=abc\nOTHER=def # gitleaks:allow\nLAST=ghi\n";
        let at = |needle: &str| memchr::memmem::find(hay, needle.as_bytes()).expect("in hay");
        assert_eq!(s.inline_marker(hay, at("abc")), Some("sprawl:allow"));
        assert_eq!(s.inline_marker(hay, at("def")), Some("gitleaks:allow"));
        assert_eq!(s.inline_marker(hay, at("ghi")), None, "a trailing marker covers its own line only");
        let strict = Suppressor { allows: vec![], compat_markers: false };
        assert_eq!(strict.inline_marker(hay, at("def")), None);
        assert_eq!(s.inline_marker(b"x=1\ny=2\n", 6), None);
    }

    /// Found by fuzzing: each finding read its whole line for a marker, so 50,000 findings
    /// on one 1 MiB line took minutes; now each reads at most MARKER_REACH bytes each way,
    /// which the answers show: a finding further than that from the line's marker does not
    /// see it (reading the whole line, every one would).
    #[test]
    fn inline_markers_cost_no_more_on_a_long_line() {
        let s = Suppressor::default();
        let line = format!("{} # sprawl:allow\n", "TOKEN=abcdefgh ".repeat(70_000));
        for at in (0..line.len() - 100).step_by(150) {
            let from_end = line.len() - at;
            if !(MARKER_REACH / 2..=MARKER_REACH * 2).contains(&from_end) {
                assert_eq!(s.inline_marker(line.as_bytes(), at).is_some(), from_end < MARKER_REACH, "{at}");
            }
        }
        let after = format!("# sprawl:allow\n{}", "x".repeat(2 * MARKER_REACH));
        assert_eq!(s.inline_marker(after.as_bytes(), after.len() - 1), None, "beyond reach: reported");
        assert_eq!(s.inline_marker(after.as_bytes(), 20), Some("sprawl:allow"));
    }
}
