//! The secret value's public faces: its fingerprint (content-based, so a finding keeps its
//! identity when it moves), its redacted form and its entropy. A leaf: everything may import
//! it, and the raw bytes go in but never come out.
//!
//! Fingerprints are in every report, baseline and identity id, so they must not give the
//! secret away (docs/SECURITY.md):
//! - with an organisation key (`SPRAWL_FINGERPRINT_KEY`, or a key file), `hmac-sha256:` and
//!   HMAC-SHA256 under that key: nobody without the key can test a guess;
//! - without one, a secret of high entropy gets `sha256:` (a guess cannot be made), and one
//!   of low entropy — a password a dictionary holds — `pbkdf2:`, PBKDF2-HMAC-SHA256 with
//!   [`SLOW_ROUNDS`] rounds, so that each guess costs what 20,000 SHA-256 guesses cost
//!   (an organisation that fears offline guessing sets a key).
//!
//! The same secret gets the same fingerprint on every run and machine with the same key.
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

/// PBKDF2 rounds for low-entropy secrets without a key: a few milliseconds each in a release
/// build, once per distinct secret per run.
pub const SLOW_ROUNDS: u32 = 10_000;
/// Below this many bits (length × Shannon entropy per byte), a secret is one a dictionary
/// or a brute force over its alphabet may find, and gets the slow fingerprint.
const LOW_ENTROPY_BITS: f64 = 100.0;
const DOMAIN: &[u8] = b"sprawl-secret-v1\0";

static KEY: OnceLock<Option<Vec<u8>>> = OnceLock::new();
/// Slow fingerprints already computed, by the plain digest of the secret (never output).
static SLOW: Mutex<Option<HashMap<[u8; 32], String>>> = Mutex::new(None);

/// Set the organisation key, once, before any fingerprint is computed (the configuration
/// does, as it is built); later calls change nothing.
pub fn set_key(key: Option<Vec<u8>>) {
    let _ = KEY.set(key.filter(|k| !k.is_empty()));
}

/// Content fingerprint of a secret (see the module documentation for the three schemes).
pub fn fingerprint(secret: &[u8]) -> String {
    if let Some(key) = KEY.get_or_init(|| None) {
        let mut msg = DOMAIN.to_vec();
        msg.extend_from_slice(secret);
        return format!("hmac-sha256:{}", crate::units::hex(&hmac(key, &msg)));
    }
    let plain: [u8; 32] = Sha256::new().chain_update(DOMAIN).chain_update(secret).finalize().into();
    if secret.len() as f64 * shannon(secret) >= LOW_ENTROPY_BITS {
        return format!("sha256:{}", crate::units::hex(&plain));
    }
    let mut cache = SLOW.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(done) = cache.get(&plain) {
        return done.clone();
    }
    let out = format!("pbkdf2:{}", crate::units::hex(&pbkdf2(secret, DOMAIN, SLOW_ROUNDS)));
    if cache.len() >= 100_000 {
        cache.clear();
    }
    cache.insert(plain, out.clone());
    out
}

/// Whether `s` is a fingerprint sprawl writes (for baselines).
pub fn is_fingerprint(s: &str) -> bool {
    ["sha256:", "pbkdf2:", "hmac-sha256:"].iter().any(|p| s.strip_prefix(p).is_some_and(|h| h.len() == 64))
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let (inner, outer) = hmac_states(key);
    hmac_with(&inner, &outer, msg)
}

/// The inner and outer hash states after the padded key, reused across PBKDF2 rounds.
fn hmac_states(key: &[u8]) -> (Sha256, Sha256) {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| Sha256::new().chain_update(block.map(|b| b ^ byte));
    (pad(0x36), pad(0x5c))
}

fn hmac_with(inner: &Sha256, outer: &Sha256, msg: &[u8]) -> [u8; 32] {
    let inner = inner.clone().chain_update(msg).finalize();
    outer.clone().chain_update(inner).finalize().into()
}

/// PBKDF2-HMAC-SHA256 (RFC 8018), one 32-byte block.
fn pbkdf2(password: &[u8], salt: &[u8], rounds: u32) -> [u8; 32] {
    let (inner, outer) = hmac_states(password);
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac_with(&inner, &outer, &first);
    let mut out = u;
    for _ in 1..rounds {
        u = hmac_with(&inner, &outer, &u);
        out.iter_mut().zip(u).for_each(|(o, b)| *o ^= b);
    }
    out
}

/// Shannon entropy of `bytes` in bits per byte (0.0 for empty input). Random base64 of 40
/// characters sits near 5; English words near 3; repeated characters near 0.
pub fn shannon(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// The first 16 hex digits of a fingerprint: enough to tell credentials apart in an
/// identity id (`github:personal-access-token:0123456789abcdef`), too few to look one up.
pub fn short(fingerprint: &str) -> &str {
    let hex = fingerprint.split_once(':').map_or(fingerprint, |(_, hex)| hex);
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
    fn entropy_known_values() {
        assert_eq!(shannon(b""), 0.0);
        assert_eq!(shannon(b"aaaa"), 0.0);
        assert!((shannon(b"ab") - 1.0).abs() < 1e-9);
        assert!((shannon(b"0123456789abcdef") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn hmac_and_pbkdf2_match_published_vectors() {
        // RFC 4231 test case 2.
        assert_eq!(
            crate::units::hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 7914 section 11 (PBKDF2-HMAC-SHA256, c = 1), first 32 bytes.
        assert_eq!(
            crate::units::hex(&pbkdf2(b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn weak_secrets_get_the_slow_fingerprint() {
        assert!(fingerprint(b"hunter22").starts_with("pbkdf2:"));
        let token = b"Xk2pLm9qRzT7vB3nW8cF5hJ1dG6sA4eY0uI9oP2w";
        assert!(fingerprint(token).starts_with("sha256:"));
        assert!(is_fingerprint(&fingerprint(b"hunter22")) && is_fingerprint(&fingerprint(token)));
    }

    #[test]
    fn fingerprint_is_content_based() {
        assert_eq!(fingerprint(b"x"), fingerprint(b"x"));
        assert_ne!(fingerprint(b"x"), fingerprint(b"y"));
        assert!(fingerprint(b"x").starts_with("pbkdf2:"), "one character is as weak as it gets");
        assert_eq!(short(&fingerprint(b"x")).len(), 16);
        assert_eq!(short_of(b"x"), short(&fingerprint(b"x")));
    }
}

/// A secret's raw value, kept in memory only for live validation. It cannot be serialized,
/// and its `Debug` form is redacted, so it cannot reach a report, a log or an error by
/// accident; the validator reads it with [`Raw::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Raw(String);

impl Raw {
    pub fn new(secret: &[u8]) -> Self {
        Self(String::from_utf8_lossy(secret).into_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Raw(<redacted>)")
    }
}
