//! Google Cloud service-account keys: the OAuth 2.0 flow for server-to-server applications.
//! A JWT naming the account (`iss`: its `client_email`, `kid`: the key id) is signed with the
//! key (RS256) and exchanged at Google's token endpoint for a short-lived access token; the
//! token's own introspection then says which account it is and what it may do.
//!
//! The token asked for is read-only (`cloud-platform.read-only`, `userinfo.email`), lives at
//! most ten minutes, and is never printed or kept: nothing on the account changes.
use std::time::Instant;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Value};

use super::http::{Client, Method, Request};
use super::providers::{Credential, Judgement};

const AUDIENCE: &str = "https://oauth2.googleapis.com/token";
const SCOPES: &str =
    "https://www.googleapis.com/auth/cloud-platform.read-only https://www.googleapis.com/auth/userinfo.email";
const LIFETIME_SECS: i64 = 600;
const FORM: &str = "application/x-www-form-urlencoded";

/// Exchange the key for an access token at `host` (the check's, oauth2.googleapis.com), then
/// read the token's account and scopes. `cred.secret` is the key id, `cred.pair` the PEM
/// private key found next to it and `cred.account` the file's `client_email`.
pub fn ask(client: &Client, host: &'static str, cred: &Credential, now: i64, deadline: Instant) -> Judgement {
    let Some(email) = cred.account else {
        return Judgement::unknown("no client_email next to the key".into());
    };
    let Some(pem) = cred.pair else {
        return Judgement::unknown("no private key next to the key id".into());
    };
    let assertion = match assertion(cred.secret, email, pem, now) {
        Ok(jwt) => jwt,
        Err(why) => return Judgement::unknown(why.into()),
    };
    let exchange = Request {
        method: Method::Post,
        host,
        path: "/token".into(),
        headers: vec![("Content-Type", FORM.into()), ("Accept", "application/json".into())],
        body: Some(format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
        )),
    };
    let answer = match client.send(&exchange, deadline) {
        Ok(a) => a,
        Err(why) => return Judgement::unknown(why),
    };
    let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    let token = match (answer.status, body.get("access_token").and_then(Value::as_str)) {
        (200, Some(token)) if token.bytes().all(|b| b.is_ascii_graphic() && b != b'&') => token,
        (200, _) => return Judgement::unknown("unexpected answer (no access token in it)".into()),
        (status, _) => return refusal(status, &body),
    };
    let mut facts = vec![("client_email".to_string(), email.to_string())];
    let info = Request {
        method: Method::Get,
        host,
        path: format!("/tokeninfo?access_token={token}"),
        headers: vec![("Accept", "application/json".into())],
        body: None,
    };
    // The key is live once Google issued a token for it; introspection only adds facts.
    if let Ok(answer) = client.send(&info, deadline) {
        let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if answer.status == 200 {
            for (name, pointer) in [("email", "/email"), ("scopes", "/scope"), ("expires_in", "/expires_in")]
            {
                if let Some(v) = body.pointer(pointer).and_then(|v| v.as_str().map(str::to_string)) {
                    facts.push((name.to_string(), v));
                }
            }
        }
    }
    Judgement::live(facts)
}

/// What a refused exchange means. Google answers `invalid_grant` for a deleted key ("Invalid
/// JWT Signature"), a deleted or disabled account, and also for a JWT outside its time window:
/// the last is this machine's clock, not the key, and stays unknown.
fn refusal(status: u16, body: &Value) -> Judgement {
    let error = body.get("error").and_then(Value::as_str).unwrap_or_default();
    let detail =
        body.get("error_description").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let clock = ["timeframe", "iat", "exp"]
        .iter()
        .any(|w| detail.split(|c: char| !c.is_ascii_alphanumeric()).any(|t| t == *w));
    match (status, error) {
        (400 | 401, "invalid_grant") if clock => {
            Judgement::unknown("the token endpoint refused the JWT's time window (check the clock)".into())
        }
        (400 | 401, "invalid_grant" | "invalid_client" | "unauthorized_client") => {
            Judgement::refused(error.to_string())
        }
        _ => Judgement::unknown(format!("unexpected answer ({status})")),
    }
}

/// The signed JWT: RS256 over `header.claims`, both base64url without padding.
fn assertion(key_id: &str, email: &str, pem: &str, now: i64) -> Result<String, &'static str> {
    let der = pkcs8_der(pem).ok_or("the private key is not a PEM PKCS#8 key")?;
    let key = ring::signature::RsaKeyPair::from_pkcs8(&der)
        .map_err(|_| "the private key is not an RSA key ring accepts")?;
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": key_id });
    let claims = json!({
        "iss": email,
        "scope": SCOPES,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + LIFETIME_SECS,
    });
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "signing failed")?;
    Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The DER of a `BEGIN PRIVATE KEY` block as a key file holds it: real line breaks, or the
/// `\n` escapes of JSON (once or twice escaped).
fn pkcs8_der(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let end = start + pem[start..].find(END)?;
    let body = pem[start..end].replace("\\n", "").replace('\\', "");
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_and_plain_pem_bodies_decode_alike() {
        let body = STANDARD.encode(b"not a key, only bytes to carry");
        let plain = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        let escaped = plain.replace('\n', "\\n");
        let twice = plain.replace('\n', "\\\\n");
        for text in [&plain, &escaped, &twice] {
            assert_eq!(pkcs8_der(text).as_deref(), Some(&b"not a key, only bytes to carry"[..]), "{text}");
        }
        assert_eq!(pkcs8_der("-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----"), None);
        assert!(assertion("k", "a@b.iam.gserviceaccount.com", &plain, 0).is_err(), "not an RSA key");
    }

    #[test]
    fn a_refusal_for_the_clock_is_not_a_revocation() {
        use crate::finding::Status;
        let body = |e: &str, d: &str| json!({ "error": e, "error_description": d });
        assert_eq!(refusal(400, &body("invalid_grant", "Invalid JWT Signature.")).status, Status::Revoked);
        assert_eq!(
            refusal(400, &body("invalid_grant", "Invalid grant: account not found")).status,
            Status::Revoked
        );
        let clock = refusal(
            400,
            &body("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."),
        );
        assert_eq!(clock.status, Status::Unknown);
        assert_eq!(refusal(400, &body("invalid_scope", "")).status, Status::Unknown);
        assert_eq!(refusal(500, &Value::Null).status, Status::Unknown);
    }
}
