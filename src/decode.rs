//! Secrets that config formats store base64-encoded: Kubernetes `Secret` `data:` values,
//! docker `auths` `auth` entries, kubeconfig `*-data` fields and PEM blocks anywhere. Each is decoded and handed
//! back as `key: value` text for the matcher, with the span of the encoded original.
use std::sync::LazyLock;

use base64::Engine;
use regex::bytes::Regex;

/// One decoded value: where the encoded text sits, and text to scan in its place.
pub struct Embedded {
    pub start: usize,
    pub end: usize,
    pub text: Vec<u8>,
}

static K8S_SECRET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?m)^\s*"?kind"?\s*:\s*"?Secret"?\s*,?\s*$"#).expect("static regex"));
/// `  key: base64` lines (YAML) and `"key": "base64"` pairs (JSON).
static K8S_DATA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^[ \t]+"?(?P<key>[A-Za-z0-9_.-]{1,128})"?[ \t]*:[ \t]*"?(?P<val>[A-Za-z0-9+/]{8,}={0,2})"?,?[ \t]*\r?$"#)
        .expect("static regex")
});
static DOCKER_AUTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""auth"\s*:\s*"(?P<val>[A-Za-z0-9+/]{8,}={0,2})""#).expect("static regex"));
static KUBECONFIG_DATA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)(?P<key>client-key-data|client-certificate-data|token-data)\s*:\s*"?(?P<val>[A-Za-z0-9+/]{16,}={0,2})"#)
        .expect("static regex")
});

/// A PEM block base64-encoded as one value (`PRIVATE_KEY_B64=LS0tLS1CRUdJTi…`):
/// `LS0tLS1CRUdJTi` is base64 for `-----BEGIN` at the start of the value.
static BASE64_PEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bLS0tLS1CRUdJTi[A-Za-z0-9+/]{60,}={0,2}").expect("static regex"));

fn b64(v: &[u8]) -> Option<Vec<u8>> {
    let out = base64::engine::general_purpose::STANDARD.decode(v).ok()?;
    // Only text is worth rescanning; decoded binary is noise.
    let printable = out.iter().all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7f).contains(&b));
    (printable && !out.is_empty()).then_some(out)
}

/// Keywords that announce an encoded value; the matcher's keyword search reports which
/// occur (in any case) as a bit mask, bit `i` for `MARKERS[i]`.
pub const MARKERS: [&str; 6] =
    ["secret", "\"auth\"", "client-key-data", "client-certificate-data", "token-data", "LS0tLS1CRUdJTi"];
const K8S: u8 = 1;
const DOCKER: u8 = 1 << 1;
const KUBECONFIG: u8 = 1 << 2 | 1 << 3 | 1 << 4;
const PEM: u8 = 1 << 5;

/// Every encoded secret candidate in `hay`, where `markers` are the [`MARKERS`] that
/// occur in it: nothing to do without them.
pub fn embedded(hay: &[u8], markers: u8) -> Vec<Embedded> {
    let mut out = Vec::new();
    if markers & K8S != 0 && K8S_SECRET.is_match(hay) {
        for c in K8S_DATA.captures_iter(hay) {
            let val = c.name("val").expect("group val");
            if let Some(decoded) = b64(val.as_bytes()) {
                let mut text = c["key"].to_vec();
                text.extend_from_slice(b": ");
                text.extend_from_slice(&decoded);
                out.push(Embedded { start: val.start(), end: val.end(), text });
            }
        }
    }
    if markers & DOCKER != 0 {
        for c in DOCKER_AUTH.captures_iter(hay) {
            let val = c.name("val").expect("group val");
            let Some(decoded) = b64(val.as_bytes()) else { continue };
            // `user:password`: present the password as one, so generic rules judge it.
            let Some(colon) = decoded.iter().position(|&b| b == b':') else { continue };
            let mut text = b"docker_password: ".to_vec();
            text.extend_from_slice(&decoded[colon + 1..]);
            out.push(Embedded { start: val.start(), end: val.end(), text });
        }
    }
    if markers & KUBECONFIG != 0 {
        for c in KUBECONFIG_DATA.captures_iter(hay) {
            let val = c.name("val").expect("group val");
            if let Some(text) = b64(val.as_bytes()) {
                out.push(Embedded { start: val.start(), end: val.end(), text });
            }
        }
    }
    if markers & PEM != 0 {
        // A kubeconfig `*-data` value is decoded twice; the matcher's findings on the same
        // span and rule are merged by the scanner.
        for m in BASE64_PEM.find_iter(hay) {
            if let Some(text) = b64(m.as_bytes()) {
                out.push(Embedded { start: m.start(), end: m.end(), text });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The markers in `hay`, as the matcher's keyword search reports them.
    fn markers(hay: &[u8]) -> u8 {
        let has = |m: &str| hay.to_ascii_lowercase().windows(m.len()).any(|w| w == m.as_bytes());
        MARKERS.iter().enumerate().map(|(i, m)| if has(m) { 1 << i } else { 0 }).sum()
    }

    fn embedded(hay: &[u8]) -> Vec<Embedded> {
        super::embedded(hay, markers(hay))
    }

    #[test]
    fn kubernetes_secret_data() {
        let yaml = b"apiVersion: v1\nkind: Secret\ndata:\n  password: aHVudGVyMg==\n";
        let e = embedded(yaml);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].text, b"password: hunter2");
        assert_eq!(&yaml[e[0].start..e[0].end], b"aHVudGVyMg==");
    }

    #[test]
    fn docker_auth() {
        let json = br#"{"auths": {"registry.example.com": {"auth": "Ym90OnMzY3IzdA=="}}}"#;
        let e = embedded(json);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].text, b"docker_password: s3cr3t");
    }

    #[test]
    fn nothing_without_markers() {
        assert!(embedded(b"password: aHVudGVyMg==\n").is_empty());
        let yaml = b"kind: Secret\ndata:\n  password: aHVudGVyMg==\n";
        assert!(super::embedded(yaml, 0).is_empty());
        assert_eq!(super::embedded(yaml, K8S).len(), 1);
    }
}
