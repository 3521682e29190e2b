//! Offline structural validation of a matched secret: checksums and decodes. A verdict
//! says whether the bytes could have been minted by the provider; no network, ever.
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Named validators that rule files refer to with `checksum = "…"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// GitHub `gh?_` and npm `npm_` tokens: the last 6 characters are the CRC32 (IEEE) of
    /// the 30 characters after the prefix, in base62, left-padded with `0`.
    GithubCrc32,
    /// GitLab routable tokens: `prefix ‖ base64url ‖ "." [‖ ver "."] ‖ len(2, base36)
    /// ‖ crc32(everything before, base36, 7)`. Legacy 20-character tokens carry none.
    GitlabRoutable,
    /// A JWT: header and payload are base64url JSON objects, the header names `alg`.
    Jwt,
    /// A PyPI API token: `pypi-` then a base64url macaroon (binary v2 format, byte 0x02).
    PypiMacaroon,
    /// HTTP Basic credentials: standard base64 of `user:password` in UTF-8, password non-empty.
    BasicAuth,
    /// Confluent Cloud API secrets since 2025-07-30: `cflt`, 54 characters, then the first 6
    /// characters of the standard base64 of their CRC32 (IEEE), little-endian.
    ConfluentCrc32,
}

/// The verdict on one matched secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validation {
    /// The embedded checksum matches: provider-minted with high confidence.
    ChecksumValid,
    /// The checksum does not match: a typo, a test fixture or a made-up value.
    ChecksumInvalid,
    /// The structure decodes as the provider's format (JWT, macaroon).
    Decoded,
    /// The structure claims to be the format but does not decode.
    Malformed,
    /// The format carries nothing to check.
    Unverified,
}

impl Validation {
    /// Whether a finding with this verdict is worth reporting.
    pub fn plausible(self) -> bool {
        !matches!(self, Self::ChecksumInvalid | Self::Malformed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChecksumValid => "checksum-valid",
            Self::ChecksumInvalid => "checksum-invalid",
            Self::Decoded => "decoded",
            Self::Malformed => "malformed",
            Self::Unverified => "unverified",
        }
    }
}

impl Checksum {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "github-crc32" | "npm-crc32" => Self::GithubCrc32,
            "gitlab-routable" => Self::GitlabRoutable,
            "jwt" => Self::Jwt,
            "pypi-macaroon" => Self::PypiMacaroon,
            "basic-auth" => Self::BasicAuth,
            "confluent-crc32" => Self::ConfluentCrc32,
            _ => return None,
        })
    }

    pub fn validate(self, secret: &[u8]) -> Validation {
        match self {
            Self::GithubCrc32 => github_crc32(secret),
            Self::GitlabRoutable => gitlab_routable(secret),
            Self::Jwt => decoded_if(jwt_parts(secret).is_some()),
            Self::PypiMacaroon => decoded_if(pypi_macaroon(secret).is_some()),
            Self::BasicAuth => decoded_if(basic_credentials(secret).is_some()),
            Self::ConfluentCrc32 => confluent_crc32(secret),
        }
    }
}

fn decoded_if(ok: bool) -> Validation {
    if ok {
        Validation::Decoded
    } else {
        Validation::Malformed
    }
}

/// The user and password of HTTP Basic credentials (RFC 7617): base64 of `user:password`,
/// valid UTF-8 without control characters, the password not empty.
pub fn basic_credentials(secret: &[u8]) -> Option<(String, String)> {
    let raw = base64::engine::general_purpose::STANDARD.decode(secret).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    (!password.is_empty() && !text.chars().any(char::is_control))
        .then(|| (user.to_string(), password.to_string()))
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// `n` in the given alphabet, left-padded with the alphabet's zero to `width`.
fn encode_radix(mut n: u64, alphabet: &[u8], width: usize) -> String {
    let radix = alphabet.len() as u64;
    let mut digits = Vec::with_capacity(width);
    while n > 0 {
        digits.push(alphabet[(n % radix) as usize]);
        n /= radix;
    }
    while digits.len() < width {
        digits.push(alphabet[0]);
    }
    digits.reverse();
    String::from_utf8(digits).expect("alphabets are ASCII")
}

/// The 6-character base62 CRC32 that GitHub and npm append to a 30-character body.
pub fn github_checksum(body: &[u8]) -> String {
    encode_radix(u64::from(crc32fast::hash(body)), BASE62, 6)
}

fn github_crc32(secret: &[u8]) -> Validation {
    let Some(us) = secret.iter().position(|&b| b == b'_') else {
        return Validation::Unverified;
    };
    let rest = &secret[us + 1..];
    if rest.len() != 36 {
        // Longer GitHub tokens are allowed by the format but carry no known checksum.
        return Validation::Unverified;
    }
    let (body, want) = rest.split_at(30);
    if github_checksum(body).as_bytes() == want {
        Validation::ChecksumValid
    } else {
        Validation::ChecksumInvalid
    }
}

/// The 6-character checksum Confluent appends to the 54 characters after `cflt`.
pub fn confluent_checksum(body: &[u8]) -> String {
    let crc = base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(body).to_le_bytes());
    crc[..6].to_string()
}

fn confluent_crc32(secret: &[u8]) -> Validation {
    match secret.strip_prefix(b"cflt") {
        Some(rest) if rest.len() == 60 => {
            let (body, want) = rest.split_at(54);
            if confluent_checksum(body).as_bytes() == want {
                Validation::ChecksumValid
            } else {
                Validation::ChecksumInvalid
            }
        }
        _ => Validation::Unverified,
    }
}

/// The trailing CRC of a GitLab routable token: base36 of crc32 over everything before it.
pub fn gitlab_checksum(encoded: &[u8]) -> String {
    encode_radix(u64::from(crc32fast::hash(encoded)), BASE36, 7)
}

fn gitlab_routable(secret: &[u8]) -> Validation {
    // Routable tokens hold a '.' before the length field; legacy ones are 20 random chars.
    let Some(dot) = secret.iter().rposition(|&b| b == b'.') else {
        return Validation::Unverified;
    };
    if secret.len() < 9 || secret.len() - dot - 1 < 9 {
        return Validation::ChecksumInvalid;
    }
    let (encoded, crc) = secret.split_at(secret.len() - 7);
    if gitlab_checksum(encoded).as_bytes() == crc {
        Validation::ChecksumValid
    } else {
        Validation::ChecksumInvalid
    }
}

/// Base64url without padding (also accepting padding and the standard alphabet, as
/// hand-built tokens vary).
pub fn b64url_decode(s: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed: &[u8] = s.strip_suffix(b"==").or_else(|| s.strip_suffix(b"=")).unwrap_or(s);
    URL_SAFE_NO_PAD.decode(trimmed).or_else(|_| STANDARD_NO_PAD.decode(trimmed)).ok()
}

/// Header and payload of a JWT, decoded, if both are JSON objects and the header has `alg`.
pub fn jwt_parts(secret: &[u8]) -> Option<(serde_json::Value, serde_json::Value)> {
    let mut parts = secret.split(|&b| b == b'.');
    let header: serde_json::Value = serde_json::from_slice(&b64url_decode(parts.next()?)?).ok()?;
    let payload: serde_json::Value = serde_json::from_slice(&b64url_decode(parts.next()?)?).ok()?;
    (header.get("alg").is_some() && payload.is_object()).then_some((header, payload))
}

/// The decoded macaroon of a PyPI token.
pub fn pypi_macaroon(secret: &[u8]) -> Option<Vec<u8>> {
    let raw = b64url_decode(secret.strip_prefix(b"pypi-")?)?;
    (raw.first() == Some(&2)).then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_checksum_round_trip() {
        let body = b"abcdefghijklmnopqrstuvwxyz0123";
        let token = format!("ghp_{}{}", std::str::from_utf8(body).unwrap(), github_checksum(body));
        assert_eq!(Checksum::GithubCrc32.validate(token.as_bytes()), Validation::ChecksumValid);
        let mut bad = token.into_bytes();
        bad[10] = b'Z';
        assert_eq!(Checksum::GithubCrc32.validate(&bad), Validation::ChecksumInvalid);
    }

    #[test]
    fn base62_pads_with_zero() {
        assert_eq!(encode_radix(0, BASE62, 6), "000000");
        assert_eq!(encode_radix(61, BASE62, 6), "00000z");
        assert_eq!(encode_radix(62, BASE62, 6), "000010");
    }

    #[test]
    fn gitlab_published_vectors() {
        // Public test vectors from GitLab's own rule file.
        for v in
            ["glpat-bzox79Of-KE9FD2LjoXXF4CvyxA.0r03gxo7s", "glpat-bzox79Of-KE9FD2LjoXXF4CvyxA.01.0r0l8l6ir"]
        {
            assert_eq!(Checksum::GitlabRoutable.validate(v.as_bytes()), Validation::ChecksumValid, "{v}");
        }
        assert_eq!(
            Checksum::GitlabRoutable.validate(b"glpat-bzox79Of-KE9FD2LjoXXF4CvyxA.0r03gxo7t"),
            Validation::ChecksumInvalid
        );
        assert_eq!(Checksum::GitlabRoutable.validate(b"glpat-abcdefghij0123456789"), Validation::Unverified);
    }

    #[test]
    fn confluent_published_example() {
        // The example secret in Confluent's API key documentation.
        let v = b"cfltT8d8RzkNseTMEDKcjNM1BZTFPHqRn/dQm9q7w6SjzZ12wZfwjaJdipHZtDjw";
        assert_eq!(Checksum::ConfluentCrc32.validate(v), Validation::ChecksumValid);
        let mut bad = v.to_vec();
        bad[10] = b'A';
        assert_eq!(Checksum::ConfluentCrc32.validate(&bad), Validation::ChecksumInvalid);
        assert_eq!(Checksum::ConfluentCrc32.validate(b"0123456789abcdef"), Validation::Unverified);
    }

    #[test]
    fn jwt_decodes() {
        let jwt = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJl";
        assert_eq!(Checksum::Jwt.validate(jwt), Validation::Decoded);
        assert_eq!(Checksum::Jwt.validate(b"eyJub3Rqc29u.eyJ4IjoxfQ.c2ln"), Validation::Malformed);
    }
}
