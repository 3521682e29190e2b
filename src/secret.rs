//! The secret value's public faces: its fingerprint (content-based, so a finding keeps its
//! identity when it moves) and its redacted form. A leaf: everything may import it, and the
//! raw bytes go in but never come out.
use sha2::{Digest, Sha256};

/// Content fingerprint of a secret: `sha256:` and 64 hex digits over a domain-separated value.
pub fn fingerprint(secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"sprawl-secret-v1\0");
    h.update(secret);
    format!("sha256:{}", crate::units::hex(&h.finalize()))
}

/// The first 16 hex digits of a fingerprint: enough to tell credentials apart in an
/// identity id (`github:personal-access-token:0123456789abcdef`), too few to look one up.
pub fn short(fingerprint: &str) -> &str {
    let hex = fingerprint.strip_prefix("sha256:").unwrap_or(fingerprint);
    hex.get(..16).unwrap_or(hex)
}

/// [`short`] of the fingerprint of `secret`.
pub fn short_of(secret: &[u8]) -> String {
    short(&fingerprint(secret)).to_string()
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
        assert_eq!(short(&fingerprint(b"x")).len(), 16);
        assert_eq!(short_of(b"x"), short(&fingerprint(b"x")));
    }
}
