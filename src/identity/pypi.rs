//! PyPI API tokens: `pypi-` and a base64url macaroon (binary v2) whose identifier is the
//! token's database id and whose caveats scope it to a user or to projects.
use serde_json::Value;

use super::{Derived, Evidence};
use crate::units::rfc3339_utc;
use crate::validate::pypi_macaroon;

/// Macaroon v2 field types (libmacaroons' binary format).
const EOS: u64 = 0;
const LOCATION: u64 = 1;
const IDENTIFIER: u64 = 2;
const SIGNATURE: u64 = 6;

/// The token id, scope and expiry of a PyPI token.
pub(crate) fn extract(ev: &Evidence) -> Option<Derived> {
    let raw = pypi_macaroon(ev.secret)?;
    let macaroon = Macaroon::parse(&raw)?;
    let token_id = text(&macaroon.identifier)?;
    let mut scope = Scope::default();
    for caveat in &macaroon.caveats {
        if let Ok(json) = serde_json::from_slice::<Value>(caveat) {
            scope.add(&json);
        }
    }
    let id = if let Some(user) = &scope.user {
        format!("pypi:user/{user}")
    } else if !scope.projects.is_empty() {
        format!("pypi:project/{}", scope.projects.join(","))
    } else if !scope.project_ids.is_empty() {
        format!("pypi:project/{}", scope.project_ids.join(","))
    } else {
        format!("pypi:token/{token_id}")
    };
    let mut derived = Derived::new(id, "api-token").with("token_id", token_id);
    if let Some(location) = macaroon.location.as_deref().and_then(text) {
        derived = derived.with("location", location);
    }
    if let Some(user) = scope.user {
        derived = derived.with("user_id", user);
    }
    if !scope.projects.is_empty() {
        derived = derived.with("projects", scope.projects.join(","));
    }
    if !scope.project_ids.is_empty() {
        derived = derived.with("project_ids", scope.project_ids.join(","));
    }
    if let Some(provider) = scope.oidc_provider {
        derived = derived.with("oidc_provider", provider);
    }
    for (name, time) in [("expires", scope.expires), ("not_before", scope.not_before)] {
        if let Some(time) = time.filter(|t| (0..=MAX_TIME).contains(t)) {
            derived = derived.with(name, rfc3339_utc(time));
        }
    }
    Some(derived)
}

/// 9999-12-31T23:59:59Z: later (or negative) times are not dates worth printing.
const MAX_TIME: i64 = 253_402_300_799;

/// The parts of a macaroon that name things (the signature is skipped).
#[derive(Debug, Default)]
struct Macaroon {
    location: Option<Vec<u8>>,
    identifier: Vec<u8>,
    /// First-party caveat predicates (PyPI writes JSON).
    caveats: Vec<Vec<u8>>,
}

impl Macaroon {
    /// Parse `0x02`, a header section (location, identifier), caveat sections, an empty
    /// section and the signature. Every field is `varint type, varint length, bytes`; a
    /// section ends with type 0.
    fn parse(raw: &[u8]) -> Option<Self> {
        let mut r = Reader { raw, at: 0 };
        if r.byte()? != 2 {
            return None;
        }
        let mut macaroon = Macaroon::default();
        let header = r.section()?;
        for (kind, data) in header {
            match kind {
                LOCATION => macaroon.location = Some(data.to_vec()),
                IDENTIFIER => macaroon.identifier = data.to_vec(),
                _ => {}
            }
        }
        loop {
            let section = r.section()?;
            if section.is_empty() {
                break;
            }
            let predicate = section.iter().find(|(kind, _)| *kind == IDENTIFIER)?;
            macaroon.caveats.push(predicate.1.to_vec());
        }
        let (kind, _) = r.field()?;
        (kind == SIGNATURE && !macaroon.identifier.is_empty()).then_some(macaroon)
    }
}

/// A cursor over the macaroon bytes; every read is bounds-checked.
struct Reader<'a> {
    raw: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.raw.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    /// An unsigned LEB128 varint of at most 64 bits.
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// One field: its type and data (`EOS` has none).
    fn field(&mut self) -> Option<(u64, &'a [u8])> {
        let kind = self.varint()?;
        if kind == EOS {
            return Some((EOS, &[]));
        }
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.at.checked_add(len)?;
        let data = self.raw.get(self.at..end)?;
        self.at = end;
        Some((kind, data))
    }

    /// The fields up to the next end-of-section.
    fn section(&mut self) -> Option<Vec<(u64, &'a [u8])>> {
        let mut fields = Vec::new();
        loop {
            match self.field()? {
                (EOS, _) => return Some(fields),
                field => fields.push(field),
            }
        }
    }
}

/// What the caveats restrict the token to.
#[derive(Debug, Default)]
struct Scope {
    user: Option<String>,
    projects: Vec<String>,
    project_ids: Vec<String>,
    oidc_provider: Option<String>,
    expires: Option<i64>,
    not_before: Option<i64>,
}

impl Scope {
    /// Fold in one caveat: a current `[tag, …]` array or a legacy dict (warehouse
    /// `macaroons/caveats`).
    fn add(&mut self, caveat: &Value) {
        match caveat {
            Value::Array(items) => {
                match (items.first().and_then(Value::as_u64), items.get(1..).unwrap_or(&[])) {
                    (Some(0), [exp, nbf, ..]) => {
                        self.expires = as_int(exp);
                        self.not_before = as_int(nbf);
                    }
                    (Some(0), [exp]) => self.expires = as_int(exp),
                    (Some(1), [names, ..]) => self.projects.extend(strings(names)),
                    (Some(2), [ids, ..]) => self.project_ids.extend(strings(ids)),
                    (Some(3), [user, ..]) => self.user = user.as_str().map(str::to_string),
                    (Some(4), [provider, ..]) => self.oidc_provider = provider.as_str().map(str::to_string),
                    _ => {}
                }
            }
            Value::Object(map) => {
                if let Some(projects) = map.get("permissions").and_then(|p| p.get("projects")) {
                    self.projects.extend(strings(projects));
                }
                if let Some(ids) = map.get("project_ids") {
                    self.project_ids.extend(strings(ids));
                }
                if let Some(exp) = map.get("exp") {
                    self.expires = as_int(exp);
                }
                if let Some(nbf) = map.get("nbf") {
                    self.not_before = as_int(nbf);
                }
            }
            _ => {}
        }
    }
}

/// The strings of a JSON array.
fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// A JSON number as whole seconds.
fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// Printable UTF-8 only: identifiers end up in ids.
fn text(bytes: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(bytes).ok()?;
    (!s.is_empty() && !s.chars().any(char::is_control)).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::evidence_in;
    use base64::Engine;

    fn derive(token: &str) -> Option<Derived> {
        extract(&evidence_in("pypi.token", token, token, &[]))
    }

    /// A macaroon v2 token built as pymacaroons serializes one.
    fn token(location: &str, identifier: &str, caveats: &[&str]) -> String {
        fn field(out: &mut Vec<u8>, kind: u8, data: &[u8]) {
            out.push(kind);
            out.push(u8::try_from(data.len()).unwrap());
            out.extend_from_slice(data);
        }
        let mut raw = vec![2];
        field(&mut raw, 1, location.as_bytes());
        field(&mut raw, 2, identifier.as_bytes());
        raw.push(0);
        for caveat in caveats {
            field(&mut raw, 2, caveat.as_bytes());
            raw.push(0);
        }
        raw.push(0);
        field(&mut raw, 6, &[0x5a; 32]);
        format!("pypi-{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
    }

    #[test]
    fn research_fake_is_user_scoped() {
        let fake = [
            "pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMTIzNAACKlszLCIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwYWIiXQAABiD",
            "-dXbufkuPG6m1EwxfT0qKsJl4AmZcgl5rZv2jD-sryg",
        ]
        .concat();
        let d = derive(&fake).unwrap();
        assert_eq!(d.id, "pypi:user/00000000-0000-0000-0000-0000000000ab");
        assert_eq!(d.kind, "api-token");
        assert_eq!(d.fields["token_id"], "00000000-0000-0000-0000-000000001234");
        assert_eq!(d.fields["user_id"], "00000000-0000-0000-0000-0000000000ab");
        assert_eq!(d.fields["location"], "pypi.org");
        assert!(!d.fields.contains_key("expires"));
    }

    #[test]
    fn project_scoped_token_with_expiry() {
        let t = token(
            "test.pypi.org",
            "11111111-2222-3333-4444-555555555555",
            &[r#"[1,["sprawl-demo","other"]]"#, r#"[2,["p-1","p-2"]]"#, "[0,1700000000,1600000000]"],
        );
        let d = derive(&t).unwrap();
        assert_eq!(d.id, "pypi:project/sprawl-demo,other");
        assert_eq!(d.fields["projects"], "sprawl-demo,other");
        assert_eq!(d.fields["project_ids"], "p-1,p-2");
        assert_eq!(d.fields["expires"], "2023-11-14T22:13:20Z");
        assert_eq!(d.fields["not_before"], "2020-09-13T12:26:40Z");
        assert_eq!(d.fields["location"], "test.pypi.org");
        assert_eq!(d.fields["token_id"], "11111111-2222-3333-4444-555555555555");
    }

    #[test]
    fn legacy_dict_caveats() {
        let t = token(
            "pypi.org",
            "token-1",
            &[r#"{"version":1,"permissions":{"projects":["legacy-proj"]}}"#, r#"{"exp":1700000000,"nbf":1}"#],
        );
        let d = derive(&t).unwrap();
        assert_eq!(d.id, "pypi:project/legacy-proj");
        assert_eq!(d.fields["expires"], "2023-11-14T22:13:20Z");
    }

    #[test]
    fn unscoped_token_is_keyed_by_its_id() {
        let t = token("pypi.org", "token-2", &[r#"{"version":1,"permissions":"user"}"#, "not json"]);
        assert_eq!(derive(&t).unwrap().id, "pypi:token/token-2");
        let t = token("pypi.org", "token-3", &[r#"[2,["proj-uuid"]]"#, r#"[4,"provider-uuid"]"#]);
        let d = derive(&t).unwrap();
        assert_eq!(
            (d.id.as_str(), d.fields["oidc_provider"].as_str()),
            ("pypi:project/proj-uuid", "provider-uuid")
        );
    }

    #[test]
    fn malformed_tokens_have_no_identity() {
        let good = token("pypi.org", "token-4", &["[3,\"u\"]"]);
        // Every truncation fails cleanly (the signature is last).
        let raw = pypi_macaroon(good.as_bytes()).unwrap();
        for n in 0..raw.len() {
            let t = format!("pypi-{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw[..n]));
            assert_eq!(derive(&t), None, "{n}");
        }
        for s in ["pypi-", "pypi-AAAA", "hunter2", "pypi-AgH_____________w"] {
            assert_eq!(derive(s), None, "{s}");
        }
    }
}
