//! GitHub tokens: the prefix names the kind and classic tokens carry a CRC32 checksum, but
//! nothing offline names the owner, so the identity is keyed by the token's fingerprint.
use super::{Derived, Evidence};
use crate::validate::github_checksum;

/// Token prefixes (without the `_`) and the kind each denotes.
const PREFIXES: [(&str, &str); 6] = [
    ("github_pat", "fine-grained-personal-access-token"),
    ("ghp", "personal-access-token"),
    ("gho", "oauth-token"),
    ("ghu", "app-user-token"),
    ("ghs", "app-installation-token"),
    ("ghr", "refresh-token"),
];

/// The kind of a GitHub token and whether its checksum holds.
pub(crate) fn extract(ev: &Evidence) -> Option<Derived> {
    let token = ev.secret_str()?;
    let (prefix, kind, rest) = PREFIXES.iter().find_map(|&(prefix, kind)| {
        let rest = token.strip_prefix(prefix)?.strip_prefix('_')?;
        Some((prefix, kind, rest))
    })?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    Some(
        Derived::new(format!("github:{kind}:{}", crate::secret::short_of(ev.secret)), kind)
            .with("token_type", prefix)
            .with("checksum", checksum(prefix, rest)),
    )
}

/// `valid` or `invalid` for classic tokens (30 characters and a 6-character base62 CRC32
/// of them); `none` for fine-grained and longer tokens, which have no public checksum.
fn checksum(prefix: &str, rest: &str) -> &'static str {
    if prefix == "github_pat" || rest.len() != 36 {
        return "none";
    }
    match rest.as_bytes().split_at_checked(30) {
        Some((body, want)) if github_checksum(body).as_bytes() == want => "valid",
        _ => "invalid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::evidence_in;

    fn derive(token: &str) -> Option<Derived> {
        extract(&evidence_in("github.pat.classic", token, token, &[]))
    }

    fn classic(prefix: &str, body: &str) -> String {
        format!("{prefix}_{body}{}", github_checksum(body.as_bytes()))
    }

    #[test]
    fn classic_token_with_valid_checksum() {
        let token = classic("ghp", "EXAMPLE0EXAMPLE0EXAMPLE0EXAMPL");
        let d = derive(&token).unwrap();
        assert_eq!(d.kind, "personal-access-token");
        assert_eq!(d.fields["token_type"], "ghp");
        assert_eq!(d.fields["checksum"], "valid");
        assert_eq!(
            d.id,
            format!("github:personal-access-token:{}", crate::secret::short_of(token.as_bytes()))
        );
        assert_eq!(d.id.len(), "github:personal-access-token:".len() + 16);
        assert!(!d.id.contains("EXAMPLE") && !d.fields.values().any(|v| v.contains("EXAMPLE")));
    }

    #[test]
    fn broken_checksum_is_reported() {
        let mut token = classic("ghs", "abcdefghijklmnopqrstuvwxyz0123");
        token.replace_range(5..6, "Z");
        let d = derive(&token).unwrap();
        assert_eq!(d.kind, "app-installation-token");
        assert_eq!(d.fields["checksum"], "invalid");
    }

    #[test]
    fn kinds_follow_the_prefix() {
        for (prefix, kind) in [
            ("gho", "oauth-token"),
            ("ghu", "app-user-token"),
            ("ghs", "app-installation-token"),
            ("ghr", "refresh-token"),
        ] {
            let d = derive(&classic(prefix, "abcdefghijklmnopqrstuvwxyz0123")).unwrap();
            assert_eq!((d.kind.as_str(), d.fields["token_type"].as_str()), (kind, prefix));
        }
    }

    #[test]
    fn fine_grained_token_has_no_checksum() {
        let token = format!("github_pat_{}_{}", "A".repeat(22), "b".repeat(59));
        let d = derive(&token).unwrap();
        assert_eq!(d.kind, "fine-grained-personal-access-token");
        assert_eq!(d.fields["token_type"], "github_pat");
        assert_eq!(d.fields["checksum"], "none");
        assert!(d.id.starts_with("github:fine-grained-personal-access-token:"));
    }

    #[test]
    fn distinct_tokens_have_distinct_ids() {
        let a = derive(&classic("ghp", "abcdefghijklmnopqrstuvwxyz0123")).unwrap();
        let b = derive(&classic("ghp", "abcdefghijklmnopqrstuvwxyz0124")).unwrap();
        assert_ne!(a.id, b.id);
    }

    #[test]
    fn other_strings_have_no_identity() {
        for s in ["ghx_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_", "ghp-abc", "ghp_abc def", "gh"] {
            assert_eq!(derive(s), None, "{s}");
        }
    }
}
