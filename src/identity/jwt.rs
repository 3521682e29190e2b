//! JWTs describe themselves: the registered claims name the issuer and subject, and some
//! issuers mint non-human identities of a known shape (Kubernetes service accounts, GitHub
//! Actions OIDC, Supabase project keys).
use serde_json::{Map, Value};

use super::{Derived, Evidence};
use crate::units::rfc3339_utc;
use crate::validate::jwt_parts;

const GITHUB_OIDC_ISSUER: &str = "https://token.actions.githubusercontent.com";
const K8S_LEGACY_ISSUER: &str = "kubernetes/serviceaccount";
const K8S_LEGACY_CLAIM: &str = "kubernetes.io/serviceaccount/";

/// 9999-12-31T23:59:59Z: later (or negative) times are not dates worth printing.
const MAX_TIME: i64 = 253_402_300_799;

/// The identity a JWT's claims describe.
pub(crate) fn extract(ev: &Evidence) -> Option<Derived> {
    let (header, payload) = jwt_parts(ev.secret)?;
    let claims = payload.as_object()?;
    let derived = kubernetes(claims)
        .or_else(|| github_oidc(claims))
        .or_else(|| supabase(claims))
        .or_else(|| generic(claims))?;
    Some(common_fields(derived, &header, claims))
}

/// `alg`, `kid`, and the registered claims every shape records.
fn common_fields(mut d: Derived, header: &Value, claims: &Map<String, Value>) -> Derived {
    let strings = [
        ("alg", header.get("alg")),
        ("kid", header.get("kid")),
        ("iss", claims.get("iss")),
        ("sub", claims.get("sub")),
    ];
    for (name, value) in strings {
        if let Some(value) = value.and_then(string) {
            d = d.with(name, value);
        }
    }
    if let Some(aud) = claims.get("aud").and_then(audience) {
        d = d.with("aud", aud);
    }
    for name in ["exp", "iat"] {
        if let Some(time) = claims.get(name).and_then(seconds) {
            d = d.with(name, time.to_string());
        }
    }
    if let Some(exp) = claims.get("exp").and_then(seconds).filter(|t| (0..=MAX_TIME).contains(t)) {
        d = d.with("exp_date", rfc3339_utc(exp));
    }
    d
}

/// A Kubernetes service-account token: legacy secret-based (flat `kubernetes.io/…`
/// claims) or bound/projected (a `kubernetes.io` object), else named by `sub`.
fn kubernetes(claims: &Map<String, Value>) -> Option<Derived> {
    let legacy = |name: &str| claims.get(&format!("{K8S_LEGACY_CLAIM}{name}")).and_then(string);
    let bound = claims.get("kubernetes.io");
    let nested = |path: &[&str]| path.iter().try_fold(bound?, |v, key| v.get(key)).and_then(string);
    let from_sub = claims.get("sub").and_then(Value::as_str).and_then(|sub| {
        let (namespace, name) = sub.strip_prefix("system:serviceaccount:")?.split_once(':')?;
        (!namespace.is_empty() && !name.is_empty()).then(|| (namespace.to_string(), name.to_string()))
    });
    let is_legacy = claims.get("iss").and_then(Value::as_str) == Some(K8S_LEGACY_ISSUER);
    let (namespace, name, uid, secret, pod) = if is_legacy {
        (
            legacy("namespace"),
            legacy("service-account.name"),
            legacy("service-account.uid"),
            legacy("secret.name"),
            None,
        )
    } else if bound.is_some() {
        (
            nested(&["namespace"]),
            nested(&["serviceaccount", "name"]),
            nested(&["serviceaccount", "uid"]),
            nested(&["secret", "name"]),
            nested(&["pod", "name"]),
        )
    } else {
        (None, None, None, None, None)
    };
    let (namespace, name) = match (namespace, name) {
        (Some(namespace), Some(name)) => (namespace, name),
        _ => from_sub?,
    };
    let mut d =
        Derived::new(format!("kubernetes:serviceaccount/{namespace}/{name}"), "kubernetes-service-account")
            .with("namespace", namespace)
            .with("service_account", name);
    for (field, value) in [("service_account_uid", uid), ("secret_name", secret), ("pod", pod)] {
        if let Some(value) = value {
            d = d.with(field, value);
        }
    }
    Some(d)
}

/// A GitHub Actions OIDC token: `sub` names the repository and the ref or environment.
fn github_oidc(claims: &Map<String, Value>) -> Option<Derived> {
    if claims.get("iss").and_then(Value::as_str) != Some(GITHUB_OIDC_ISSUER) {
        return None;
    }
    let sub = claims.get("sub").and_then(string)?;
    let mut d = Derived::new(format!("github-oidc:{sub}"), "github-actions-oidc");
    for name in ["repository", "repository_owner", "job_workflow_ref", "ref", "environment"] {
        if let Some(value) = claims.get(name).and_then(string) {
            d = d.with(name, value);
        }
    }
    Some(d)
}

/// A Supabase project key: `role` anon or service_role, issued by Supabase.
fn supabase(claims: &Map<String, Value>) -> Option<Derived> {
    let iss = claims.get("iss").and_then(string).filter(|iss| iss.contains("supabase"))?;
    let role =
        claims.get("role").and_then(Value::as_str).filter(|r| matches!(*r, "anon" | "service_role"))?;
    let project = claims.get("ref").and_then(string);
    let mut d = Derived::new(
        format!("supabase:{}:{role}", project.as_deref().unwrap_or(&iss)),
        format!("supabase-{role}"),
    )
    .with("role", role);
    if let Some(project) = project {
        d = d.with("ref", project);
    }
    Some(d)
}

/// Any other JWT: `jwt:<iss>:<sub>`, with what is present.
fn generic(claims: &Map<String, Value>) -> Option<Derived> {
    let parts: Vec<String> =
        ["iss", "sub"].iter().filter_map(|name| claims.get(*name).and_then(string)).collect();
    (!parts.is_empty()).then(|| Derived::new(format!("jwt:{}", parts.join(":")), "jwt"))
}

/// A non-empty string claim without control characters (claims end up in ids).
fn string(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty() && !s.chars().any(char::is_control)).map(str::to_string)
}

/// `aud`: a string, or an array of them comma-joined.
fn audience(v: &Value) -> Option<String> {
    match v {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().filter_map(string).collect();
            (!items.is_empty()).then(|| items.join(","))
        }
        v => string(v),
    }
}

/// A NumericDate claim as whole seconds.
fn seconds(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::evidence_in;
    use base64::Engine;
    use serde_json::json;

    fn jwt(header: &Value, payload: &Value) -> String {
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.RVhBTVBMRS1TSUdOQVRVUkU", b64(header), b64(payload))
    }

    fn derive(token: &str) -> Option<Derived> {
        extract(&evidence_in("jwt.token", token, token, &[]))
    }

    fn rs256() -> Value {
        json!({"alg": "RS256", "kid": "EXAMPLEKID", "typ": "JWT"})
    }

    #[test]
    fn research_github_oidc_fake() {
        let fake = [
            "eyJhbGciOiJSUzI1NiIsImtpZCI6IkVYQU1QTEVLSUQiLCJ0eXAiOiJKV1QifQ.",
            "eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIiwic3ViIjoicmVwbzpleGFtcGxlLW9yZy9leGFtcGxlLXJlcG86ZW52aXJvbm1lbnQ6cHJvZCIsImF1ZCI6InN0cy5hbWF6b25hd3MuY29tIiwicmVwb3NpdG9yeSI6ImV4YW1wbGUtb3JnL2V4YW1wbGUtcmVwbyIsImpvYl93b3JrZmxvd19yZWYiOiJleGFtcGxlLW9yZy9leGFtcGxlLXJlcG8vLmdpdGh1Yi93b3JrZmxvd3MvZGVwbG95LnltbEByZWZzL2hlYWRzL21haW4iLCJleHAiOjE3MDAwMDAwMDB9.",
            "RVhBTVBMRS1TSUdOQVRVUkU",
        ]
        .concat();
        let d = derive(&fake).unwrap();
        assert_eq!(d.id, "github-oidc:repo:example-org/example-repo:environment:prod");
        assert_eq!(d.kind, "github-actions-oidc");
        assert_eq!(d.fields["repository"], "example-org/example-repo");
        assert_eq!(
            d.fields["job_workflow_ref"],
            "example-org/example-repo/.github/workflows/deploy.yml@refs/heads/main"
        );
        assert_eq!(d.fields["aud"], "sts.amazonaws.com");
        assert_eq!((d.fields["alg"].as_str(), d.fields["kid"].as_str()), ("RS256", "EXAMPLEKID"));
        assert_eq!(
            (d.fields["exp"].as_str(), d.fields["exp_date"].as_str()),
            ("1700000000", "2023-11-14T22:13:20Z")
        );
    }

    #[test]
    fn kubernetes_legacy_token() {
        let token = jwt(
            &rs256(),
            &json!({
                "iss": "kubernetes/serviceaccount",
                "kubernetes.io/serviceaccount/namespace": "ci",
                "kubernetes.io/serviceaccount/secret.name": "deployer-token-abcde",
                "kubernetes.io/serviceaccount/service-account.name": "deployer",
                "kubernetes.io/serviceaccount/service-account.uid": "0000-uid",
                "sub": "system:serviceaccount:ci:deployer"
            }),
        );
        let d = derive(&token).unwrap();
        assert_eq!(d.id, "kubernetes:serviceaccount/ci/deployer");
        assert_eq!(d.kind, "kubernetes-service-account");
        assert_eq!(d.fields["secret_name"], "deployer-token-abcde");
        assert_eq!(d.fields["service_account_uid"], "0000-uid");
        assert!(!d.fields.contains_key("exp"));
    }

    #[test]
    fn kubernetes_bound_token() {
        let token = jwt(
            &rs256(),
            &json!({
                "aud": ["https://kubernetes.default.svc", "vault"],
                "exp": 1_700_003_600, "iat": 1_700_000_000,
                "iss": "https://oidc.eks.example.com/id/EXAMPLE",
                "kubernetes.io": {
                    "namespace": "payments",
                    "pod": {"name": "api-7d9f", "uid": "pod-uid"},
                    "serviceaccount": {"name": "api", "uid": "sa-uid"}
                },
                "sub": "system:serviceaccount:payments:api"
            }),
        );
        let d = derive(&token).unwrap();
        assert_eq!(d.id, "kubernetes:serviceaccount/payments/api");
        assert_eq!(
            (d.fields["pod"].as_str(), d.fields["service_account_uid"].as_str()),
            ("api-7d9f", "sa-uid")
        );
        assert_eq!(d.fields["aud"], "https://kubernetes.default.svc,vault");
        assert_eq!((d.fields["iat"].as_str(), d.fields["exp"].as_str()), ("1700000000", "1700003600"));
        // Only `sub` says it.
        let token =
            jwt(&rs256(), &json!({"iss": "https://k8s.example", "sub": "system:serviceaccount:ns:bot"}));
        assert_eq!(derive(&token).unwrap().id, "kubernetes:serviceaccount/ns/bot");
    }

    #[test]
    fn supabase_keys() {
        let hs256 = json!({"alg": "HS256", "typ": "JWT"});
        let token = jwt(
            &hs256,
            &json!({"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "service_role", "iat": 1, "exp": 2_000_000_000}),
        );
        let d = derive(&token).unwrap();
        assert_eq!(d.id, "supabase:abcdefghijklmnopqrst:service_role");
        assert_eq!(d.kind, "supabase-service_role");
        assert_eq!(d.fields["exp_date"], "2033-05-18T03:33:20Z");
        let token = jwt(&hs256, &json!({"iss": "supabase-demo", "role": "anon", "exp": 1.9e9}));
        let d = derive(&token).unwrap();
        assert_eq!((d.id.as_str(), d.kind.as_str()), ("supabase:supabase-demo:anon", "supabase-anon"));
        assert_eq!(d.fields["exp"], "1900000000");
        // Another role is a plain JWT.
        let token = jwt(&hs256, &json!({"iss": "supabase", "role": "authenticated", "sub": "u1"}));
        assert_eq!(derive(&token).unwrap().id, "jwt:supabase:u1");
    }

    #[test]
    fn generic_tokens() {
        let hs256 = json!({"alg": "HS256"});
        let d =
            derive(&jwt(&hs256, &json!({"iss": "https://auth.example.com", "sub": "svc-billing"}))).unwrap();
        assert_eq!((d.id.as_str(), d.kind.as_str()), ("jwt:https://auth.example.com:svc-billing", "jwt"));
        assert_eq!(derive(&jwt(&hs256, &json!({"sub": "svc"}))).unwrap().id, "jwt:svc");
        assert_eq!(derive(&jwt(&hs256, &json!({"iss": "issuer"}))).unwrap().id, "jwt:issuer");
        assert_eq!(derive(&jwt(&hs256, &json!({"name": "x", "exp": 1}))), None);
        assert_eq!(derive(&jwt(&hs256, &json!({"iss": 7, "sub": ""}))), None);
    }

    #[test]
    fn odd_claims_do_not_panic() {
        let hs256 = json!({"alg": "HS256"});
        for payload in [
            json!({"sub": "x", "exp": -1e300, "iat": "yesterday", "aud": [1, null]}),
            json!({"sub": "x", "exp": i64::MAX, "kubernetes.io": "flat"}),
            json!({"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount::"}),
        ] {
            let _ = derive(&jwt(&hs256, &payload));
        }
        assert_eq!(derive("eyJub3Rqc29u.eyJ4IjoxfQ.c2ln"), None);
        assert_eq!(derive("not a jwt"), None);
    }
}
