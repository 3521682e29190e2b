//! GitLab tokens. Routable tokens (`glpat-<base64url>.[ver.]<len><crc>`) carry the
//! organization, user, group or project they route to, so a leaked token names its owner
//! offline; legacy 20-character tokens carry only their kind.
use super::{Derived, Evidence};
use crate::validate::{b64url_decode, gitlab_checksum};

/// Token prefixes and the kind each denotes. `glrtr-` comes before `glrt-` for clarity
/// only: a prefix must be followed by its `-`, so neither can match the other.
const PREFIXES: [(&str, &str); 13] = [
    ("glpat-", "personal-access-token"),
    ("gldt-", "deploy-token"),
    ("glrtr-", "runner-token"),
    ("glrt-", "runner-token"),
    ("glcbt-", "ci-job-token"),
    ("glptt-", "pipeline-trigger-token"),
    ("glft-", "feed-token"),
    ("glimt-", "incoming-mail-token"),
    ("glagent-", "agent-token"),
    ("gloas-", "oauth-application-secret"),
    ("glsoat-", "scim-oauth-token"),
    ("glffct-", "feature-flags-client-token"),
    ("glwt-", "workspace-token"),
];

/// Width of the trailing CRC32 (base36) and of the length field before it.
const CRC_LEN: usize = 7;
const LEN_LEN: usize = 2;

/// The owner of a routable token, or the kind of any other GitLab token.
pub(crate) fn extract(ev: &Evidence) -> Option<Derived> {
    let token = ev.secret_str()?;
    let (start, prefix, kind) = find_prefix(token)?;
    let hashed = || Derived::new(format!("gitlab:{kind}:{}", crate::secret::short_of(ev.secret)), kind);
    // Base64url has no '.', so a '.' marks the routable format; legacy tokens are random.
    if !token.contains('.') {
        return Some(hashed().with("checksum", "none"));
    }
    let Some(routing) = decode_routable(token, start, start + prefix.len()) else {
        return Some(hashed().with("checksum", "invalid"));
    };
    let mut id = String::from("gitlab:");
    if kind != "personal-access-token" {
        // Runner, deploy and other tokens are not the user who created them.
        id.push_str(kind);
        id.push(':');
    }
    let segments = [
        ("org", routing.org),
        ("group", routing.group),
        ("project", routing.project),
        ("user", routing.user),
    ];
    let path: Vec<String> =
        segments.iter().filter_map(|(name, v)| Some(format!("{name}/{}", (*v)?))).collect();
    id.push_str(&path.join(":"));
    let mut derived = Derived::new(id, kind).with("checksum", "valid");
    for (name, value) in [
        ("org_id", routing.org),
        ("user_id", routing.user),
        ("group_id", routing.group),
        ("project_id", routing.project),
        ("cell_id", routing.cell),
    ] {
        if let Some(value) = value {
            derived = derived.with(name, value.to_string());
        }
    }
    Some(derived)
}

/// The earliest known prefix in the token (after any instance prefix): where it starts,
/// the prefix and its kind.
fn find_prefix(token: &str) -> Option<(usize, &'static str, &'static str)> {
    PREFIXES
        .iter()
        .filter_map(|&(prefix, kind)| Some((token.find(prefix)?, prefix, kind)))
        .min_by_key(|&(at, _, _)| at)
}

/// What a routable token's payload says.
#[derive(Debug, Default, PartialEq, Eq)]
struct Routing {
    org: Option<u64>,
    user: Option<u64>,
    group: Option<u64>,
    project: Option<u64>,
    cell: Option<u64>,
}

/// Check the CRC and length of `prefix ‖ b64 ‖ "." [‖ ver "."] ‖ len ‖ crc`, then decode
/// the payload: `k:v` lines before a random tail whose length is the last byte. The
/// GitLab prefix starts at `start` and the base64url at `b64_from`.
fn decode_routable(token: &str, start: usize, b64_from: usize) -> Option<Routing> {
    let (encoded, crc) = token.split_at_checked(token.len().checked_sub(CRC_LEN)?)?;
    // The CRC covers the prefix; with an instance prefix (`SIE-glpat-…`) it may or may not
    // cover that too, so accept either.
    let crc_input = [Some(encoded), encoded.get(start..)];
    if !crc_input.iter().flatten().any(|e| gitlab_checksum(e.as_bytes()) == crc) {
        return None;
    }
    let mut parts = encoded.get(b64_from..)?.split('.');
    let b64 = parts.next()?;
    let len = match (parts.next(), parts.next(), parts.next()) {
        (Some(len), None, _) => len,
        (Some(version), Some(len), None) if version.len() == 2 => len,
        _ => return None,
    };
    if len.len() != LEN_LEN || usize::from_str_radix(len, 36).ok()? != b64.len() {
        return None;
    }
    let raw = b64url_decode(b64.as_bytes())?;
    let (&random, body) = raw.split_last()?;
    let payload = body.get(..body.len().checked_sub(usize::from(random))?)?;
    parse_payload(std::str::from_utf8(payload).ok()?)
}

/// `k:v` lines with base36 integer values; at least one known key must be present.
fn parse_payload(payload: &str) -> Option<Routing> {
    let mut routing = Routing::default();
    for line in payload.lines() {
        let (key, value) = line.split_once(':')?;
        let value = u64::from_str_radix(value, 36).ok();
        match key {
            "o" => routing.org = value,
            "u" => routing.user = value,
            "g" => routing.group = value,
            "p" => routing.project = value,
            "c" => routing.cell = value,
            _ => {}
        }
    }
    (routing != Routing::default()).then_some(routing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::evidence_in;
    use base64::Engine;

    fn derive(token: &str) -> Option<Derived> {
        extract(&evidence_in("gitlab.pat", token, token, &[]))
    }

    fn base36(mut n: u64) -> String {
        const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        let mut out = Vec::new();
        loop {
            out.push(DIGITS[(n % 36) as usize]);
            n /= 36;
            if n == 0 {
                break;
            }
        }
        out.reverse();
        String::from_utf8(out).unwrap()
    }

    /// GitLab's routable token generator (its published format), with a fixed "random" tail.
    fn routable(prefix: &str, fields: &[(&str, u64)], version: Option<&str>) -> String {
        let mut fields = fields.to_vec();
        fields.sort();
        let payload: Vec<String> = fields.iter().map(|(k, v)| format!("{k}:{}", base36(*v))).collect();
        let mut encodable = payload.join("\n").into_bytes();
        encodable.extend_from_slice(&[0xA5; 16]);
        encodable.push(16);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&encodable);
        let len = format!("{:0>2}", base36(b64.len() as u64));
        let encoded = match version {
            Some(v) => format!("{prefix}{b64}.{v}.{len}"),
            None => format!("{prefix}{b64}.{len}"),
        };
        let crc = gitlab_checksum(encoded.as_bytes());
        format!("{encoded}{crc}")
    }

    #[test]
    fn published_vectors_decode_to_org_1() {
        // GitLab's own rule-file vectors, non-versioned and versioned (its published format).
        for token in
            ["glpat-bzox79Of-KE9FD2LjoXXF4CvyxA.0r03gxo7s", "glpat-bzox79Of-KE9FD2LjoXXF4CvyxA.01.0r0l8l6ir"]
        {
            let d = derive(token).unwrap();
            assert_eq!(d.id, "gitlab:org/1", "{token}");
            assert_eq!(d.kind, "personal-access-token");
            assert_eq!(d.fields["org_id"], "1");
            assert_eq!(d.fields["checksum"], "valid");
            assert!(!d.fields.contains_key("user_id"));
        }
    }

    #[test]
    fn broken_checksum_yields_kind_only() {
        let token = "glpat-bzox79Of-KE9FD2LjoXXF4CvyxA.0r03gxo7t";
        let d = derive(token).unwrap();
        assert_eq!(d.fields["checksum"], "invalid");
        assert!(d.id.starts_with("gitlab:personal-access-token:"));
        assert!(!d.fields.contains_key("org_id"));
        // A wrong length field under a recomputed CRC is refused too.
        let encoded = "glpat-bzox79Of-KE9FD2LjoXXF4CvyxA.0s";
        let token = format!("{encoded}{}", gitlab_checksum(encoded.as_bytes()));
        assert_eq!(derive(&token).unwrap().fields["checksum"], "invalid");
    }

    #[test]
    fn generated_token_names_its_user() {
        let token = routable("glpat-", &[("o", 1), ("u", 12345)], Some("01"));
        let d = derive(&token).unwrap();
        assert_eq!(d.id, "gitlab:org/1:user/12345");
        assert_eq!((d.fields["org_id"].as_str(), d.fields["user_id"].as_str()), ("1", "12345"));
        assert_eq!(d.fields["checksum"], "valid");
        // The research notes' fake, split in two so that it does not trip scanners.
        let fake = ["glpat-bzoxCnU6OWl4AAAAAAAAAAAAAAAAAAAAABA", ".01.0z129eton"].concat();
        assert_eq!(derive(&fake).unwrap().id, "gitlab:org/1:user/12345");
        // Non-versioned, with a cell.
        let d = derive(&routable("glpat-", &[("c", 2), ("o", 1), ("u", 7)], None)).unwrap();
        assert_eq!((d.id.as_str(), d.fields["cell_id"].as_str()), ("gitlab:org/1:user/7", "2"));
    }

    #[test]
    fn runner_token_names_its_group_and_creator() {
        let token = routable("glrt-", &[("o", 1), ("g", 42), ("u", 9)], Some("01"));
        let d = derive(&token).unwrap();
        assert_eq!(d.kind, "runner-token");
        assert_eq!(d.id, "gitlab:runner-token:org/1:group/42:user/9");
        assert_eq!(d.fields["group_id"], "42");
        let d = derive(&routable("glrtr-", &[("o", 1), ("p", 77)], Some("01"))).unwrap();
        assert_eq!(
            (d.id.as_str(), d.fields["project_id"].as_str()),
            ("gitlab:runner-token:org/1:project/77", "77")
        );
    }

    #[test]
    fn instance_prefix_is_tolerated() {
        // The CRC over the instance prefix too, or over the GitLab prefix on.
        let whole = routable("SIE-glpat-", &[("o", 1), ("u", 5)], Some("01"));
        assert_eq!(derive(&whole).unwrap().id, "gitlab:org/1:user/5");
        let inner = format!("SIE-{}", routable("glpat-", &[("o", 1), ("u", 6)], None));
        assert_eq!(derive(&inner).unwrap().id, "gitlab:org/1:user/6");
    }

    #[test]
    fn legacy_tokens_have_kind_only() {
        let token = "glpat-abcdefghij0123456789";
        let d = derive(token).unwrap();
        assert_eq!(d.kind, "personal-access-token");
        assert_eq!(
            d.id,
            format!("gitlab:personal-access-token:{}", crate::secret::short_of(token.as_bytes()))
        );
        assert_eq!(d.fields["checksum"], "none");
        assert_eq!(derive("gldt-abcdefghij0123456789").unwrap().kind, "deploy-token");
        assert_eq!(derive("glcbt-64_abcdefghij0123456789").unwrap().kind, "ci-job-token");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for s in [
            "glpat-.",
            "glpat-..",
            "glpat-.0123456789",
            "glpat-x.zz0000000",
            "glpat-é.01.0r0l8l6ir",
            "nothing",
        ] {
            let _ = derive(s);
        }
        assert_eq!(derive("ghp_abc"), None);
    }
}
