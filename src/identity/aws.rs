//! AWS access keys: the account id is encoded in the access key id itself, so a key id,
//! its secret access key and a session token issued with it all resolve to one identity
//! `aws:account/<account>:key/<key id>`.
use std::sync::LazyLock;

use regex::bytes::Regex;

use super::{Derived, Evidence};

/// Access key id prefixes this module understands, with the kind each denotes.
const PREFIXES: [(&str, &str); 4] = [
    ("AKIA", "access-key"),
    ("ASIA", "temporary-access-key"),
    ("ABIA", "bearer-token"),
    ("ACCA", "context-specific-credential"),
];

/// A key id near a secret access key or session token. Older ids use all of `[A-Z0-9]`,
/// as the key id rule does, so they pair too (they just carry no decodable account).
static KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b").expect("static regex"));

/// The identity of an access key id, or of the secret key or session token next to one.
pub(crate) fn extract(ev: &Evidence) -> Option<Derived> {
    ev.secret_str()
        .and_then(from_key_id)
        .or_else(|| ev.group("key_id").and_then(from_key_id))
        .or_else(|| from_key_id(nearest_key_id(ev)?))
}

/// The kind of a well-formed 20-character key id, by its prefix.
fn kind_of(key_id: &str) -> Option<&'static str> {
    if key_id.len() != 20 || !key_id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
        return None;
    }
    let prefix = key_id.get(..4)?;
    PREFIXES.iter().find(|(p, _)| *p == prefix).map(|(_, kind)| *kind)
}

/// `aws:account/<account>:key/<key id>`, or `aws:key/<key id>` when the id has no account.
fn from_key_id(key_id: &str) -> Option<Derived> {
    let kind = kind_of(key_id)?;
    let prefix = key_id.get(..4)?;
    let derived = match account_id(key_id) {
        Some(account) => {
            let account = format!("{account:012}");
            Derived::new(format!("aws:account/{account}:key/{key_id}"), kind).with("account_id", account)
        }
        None => Derived::new(format!("aws:key/{key_id}"), kind),
    };
    Some(derived.with("key_id", key_id).with("key_type", prefix))
}

/// The account id encoded in a key id: base32-decode characters 4..20, read the first 48
/// bits and drop their top bit and low 7 bits. Ids whose fifth character is
/// `I` or `J` predate the encoding and carry no account.
fn account_id(key_id: &str) -> Option<u64> {
    let body = key_id.as_bytes().get(4..20)?;
    if matches!(body.first(), Some(b'I' | b'J')) {
        return None;
    }
    // 16 base32 characters are 80 bits; the account sits in the first 48.
    let bits = body.iter().try_fold(0u128, |acc, &c| Some(acc << 5 | u128::from(base32_value(c)?)))?;
    let z = (bits >> 32) as u64;
    Some((z & 0x7fff_ffff_ff80) >> 7)
}

/// The value of an RFC 4648 base32 digit (`A-Z2-7`).
fn base32_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// The key id closest to the secret in its context, before or after it.
fn nearest_key_id<'a>(ev: &Evidence<'a>) -> Option<&'a str> {
    let before = ev.before();
    let after = ev.after();
    // Distance from the secret: to the end of a match before it, from its end to one after.
    let preceding = KEY_ID.find_iter(before).last().map(|m| (before.len() - m.end(), m.as_bytes()));
    let following =
        after.get(ev.secret.len()..).and_then(|rest| KEY_ID.find(rest)).map(|m| (m.start(), m.as_bytes()));
    let (_, found) = match (preceding, following) {
        (Some(p), Some(f)) => Some(if f.0 < p.0 { f } else { p }),
        (p, f) => p.or(f),
    }?;
    std::str::from_utf8(found).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::evidence_in;

    fn key(id: &str) -> Derived {
        let ev = evidence_in("aws.access-key-id", id, id, &[]);
        extract(&ev).expect("a key id has an identity")
    }

    #[test]
    fn published_vectors_decode_to_their_accounts() {
        for (id, account) in [
            ("ASIAY34FZKBOKMUTVV7A", "609629065308"),
            ("AKIARZPUZDIKGB2VALC4", "123456789012"),
            ("ASIAQAAAAAAAGMKEM7X5", "000000000000"),
            ("AKIASP2TPHJSQH3FJXYZ", "171436882533"),
            ("AKIARTX3GSDSQEXAMPLE", "111122223333"),
        ] {
            let d = key(id);
            assert_eq!(d.id, format!("aws:account/{account}:key/{id}"));
            assert_eq!(d.fields["account_id"], account, "{id}");
            assert_eq!(d.fields["key_id"], id);
        }
    }

    #[test]
    fn kind_follows_the_prefix() {
        let long = key("AKIARZPUZDIKGB2VALC4");
        assert_eq!((long.kind.as_str(), long.fields["key_type"].as_str()), ("access-key", "AKIA"));
        let temporary = key("ASIAY34FZKBOKMUTVV7A");
        assert_eq!(
            (temporary.kind.as_str(), temporary.fields["key_type"].as_str()),
            ("temporary-access-key", "ASIA")
        );
        assert_eq!(key("ABIARZPUZDIKGB2VALC4").kind, "bearer-token");
        assert_eq!(key("ACCARZPUZDIKGB2VALC4").kind, "context-specific-credential");
    }

    #[test]
    fn old_style_ids_have_no_account() {
        let d = key("AKIAIOSFODNN7EXAMPLE");
        assert_eq!(d.id, "aws:key/AKIAIOSFODNN7EXAMPLE");
        assert_eq!(d.kind, "access-key");
        assert!(!d.fields.contains_key("account_id"));
        // Digits outside the base32 alphabet: a key id, but no account.
        assert_eq!(key("AKIAR0123456789ABCDE").id, "aws:key/AKIAR0123456789ABCDE");
    }

    #[test]
    fn malformed_key_ids_have_no_identity() {
        for id in
            ["AKIARZPUZDIKGB2VALC", "AKIARZPUZDIKGB2VALC4X", "AKIArzpuzdikgb2valc4", "AXIARZPUZDIKGB2VALC4"]
        {
            let ev = evidence_in("aws.access-key-id", id, id, &[]);
            assert_eq!(extract(&ev), None, "{id}");
        }
    }

    #[test]
    fn secret_key_collapses_into_its_key_id() {
        let secret = "FAKE+EXAMPLE/0123456789abcdefghijklmnopq";
        let ini = format!(
            "[default]\naws_access_key_id = AKIARZPUZDIKGB2VALC4\naws_secret_access_key = {secret}\n"
        );
        let ev = evidence_in("aws.secret-access-key", &ini, secret, &[]);
        assert_eq!(extract(&ev), Some(key("AKIARZPUZDIKGB2VALC4")));

        // After the secret works too, and the nearer of two ids wins.
        let json = format!(
            "{{\"Old\": \"AKIASP2TPHJSQH3FJXYZ\",\n\n\n\n\"SecretAccessKey\": \"{secret}\", \"AccessKeyId\": \"ASIAY34FZKBOKMUTVV7A\"}}"
        );
        let ev = evidence_in("aws.secret-access-key", &json, secret, &[]);
        assert_eq!(extract(&ev).unwrap().id, "aws:account/609629065308:key/ASIAY34FZKBOKMUTVV7A");
    }

    #[test]
    fn session_token_pairs_with_its_temporary_key() {
        let token = "IQoJb3JpZ2luX2VjEEXAMPLE/FAKE+ZYWVUTSRQONJIHGDCBzyxwvutsrqponmlkjihgfedcba9876543210";
        let env = format!("AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A\nAWS_SESSION_TOKEN={token}\n");
        let ev = evidence_in("aws.session-token", &env, token, &[]);
        let d = extract(&ev).unwrap();
        assert_eq!(d.id, "aws:account/609629065308:key/ASIAY34FZKBOKMUTVV7A");
        assert_eq!(d.kind, "temporary-access-key");
    }

    #[test]
    fn key_id_group_is_preferred_over_context() {
        let secret = "FAKE+EXAMPLE/0123456789abcdefghijklmnopq";
        let text = format!("AKIASP2TPHJSQH3FJXYZ {secret}");
        let groups: &[(&str, &[u8])] = &[("key_id", b"AKIARZPUZDIKGB2VALC4")];
        let ev = evidence_in("aws.secret-access-key", &text, secret, groups);
        assert_eq!(extract(&ev).unwrap().fields["account_id"], "123456789012");
    }

    #[test]
    fn secret_key_alone_has_no_identity() {
        let secret = "FAKE+EXAMPLE/0123456789abcdefghijklmnopq";
        let text = format!("aws_secret_access_key = {secret} # see XAKIARZPUZDIKGB2VALC4");
        let ev = evidence_in("aws.secret-access-key", &text, secret, &[]);
        assert_eq!(extract(&ev), None);
    }
}
