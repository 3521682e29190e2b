//! A finding: one secret at one location, with everything a report needs and never the
//! raw value unless redaction is off.
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::egress::Egress;
use crate::identity::Identity;
use crate::rules::Severity;
use crate::validate::Validation;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub provider: String,
    pub name: String,
    pub severity: Severity,
    pub secret: Secret,
    pub location: Location,
    /// The variable or key name the secret was assigned to, when the rule captures it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// How the secret was stored when it was found inside an encoded value (`base64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The other half of a multi-part credential found nearby (an AWS key id for a
    /// secret access key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired_with: Option<Pair>,
    /// The non-human identity the secret belongs to, and its owners.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Why the finding is not reported (an inline marker, an allow entry, the baseline);
    /// suppressed findings are shown only with `--show-suppressed`.
    pub suppressed: Option<String>,
    /// Where the secret came from in git history (`sprawl git` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
    /// CI paths through which it can leave the repository's boundary, worst first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Egress>,
}

/// A finding's place in git history. Commit fields are absent when unknown: an unreachable
/// blob has no commit, a staged blob none yet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GitInfo {
    /// The blob the location refers to.
    pub blob: String,
    /// The oldest commit carrying the secret at this path, after `.mailmap`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Committer date of `first_commit`, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The newest commit carrying it at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_date: Option<String>,
    /// How many commits carry it at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<u64>,
    /// Whether HEAD's tree still has it at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_head: Option<bool>,
    /// In the object database but reachable from no ref.
    #[serde(default)]
    pub unreachable: bool,
    /// In the index, about to be committed (`--staged`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub staged: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub redacted: String,
    /// `sha256:` over a domain-separated secret: stable across lines, paths and runs, so
    /// baselines and identities key on content, not position.
    pub fingerprint: String,
    pub entropy: f64,
    pub validation: Validation,
    /// The raw value, present only with `--no-redact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub end_line: u64,
    pub end_column: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pair {
    pub rule: String,
    pub redacted: String,
    pub line: u64,
}

/// Content fingerprint of a secret.
pub fn fingerprint(secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"sprawl-secret-v1\0");
    h.update(secret);
    format!("sha256:{}", crate::rules::hex(&h.finalize()))
}

/// Keep a few characters at each end, proportionate to the length, so that a reader can
/// tell secrets apart without learning them: 40-character tokens keep 6 + 4, an
/// 8-character password 1 + 0.
pub fn redact(secret: &[u8]) -> String {
    let s = String::from_utf8_lossy(secret);
    let chars: Vec<char> = s.chars().filter(|c| !c.is_control()).collect();
    let n = chars.len();
    let head = (n / 6).min(6);
    let tail = (n / 10).min(4);
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[n - tail..]);
    out
}

impl Finding {
    /// Sort key: path, position, rule.
    pub fn sort_key(&self) -> (&Location, &str) {
        (&self.location, &self.rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_little() {
        assert_eq!(redact(b"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"), "ghp_aB…6789");
        assert_eq!(redact(b"hunter22"), "h…");
        assert_eq!(redact(b"abc"), "…");
    }

    #[test]
    fn fingerprint_is_content_based() {
        assert_eq!(fingerprint(b"x"), fingerprint(b"x"));
        assert_ne!(fingerprint(b"x"), fingerprint(b"y"));
        assert!(fingerprint(b"x").starts_with("sha256:"));
    }
}
