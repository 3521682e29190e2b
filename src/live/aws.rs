//! AWS Signature Version 4 for one request: STS `GetCallerIdentity`, which any valid key
//! may call, needs no permission, changes nothing, and answers with the key's ARN, account
//! and user id.
use sha2::{Digest, Sha256};

use crate::secret::hmac;
use crate::units::hex;

use super::http::{Method, Request};

pub const STS_HOST: &str = "sts.amazonaws.com";
const REGION: &str = "us-east-1";
const SERVICE: &str = "sts";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// The signed `GetCallerIdentity` request for a key pair, at `now` (Unix seconds).
pub fn caller_identity(key_id: &str, secret: &str, now: i64) -> Request {
    let amz_date = amz_date(now);
    let authorization = sign(
        &Signed {
            method: "POST",
            host: STS_HOST,
            query: "",
            content_type: FORM,
            body: BODY,
            amz_date: &amz_date,
        },
        key_id,
        secret,
        REGION,
        SERVICE,
    );
    Request {
        method: Method::Post,
        host: STS_HOST,
        path: "/".into(),
        headers: vec![
            ("Content-Type", FORM.into()),
            ("X-Amz-Date", amz_date),
            ("Authorization", authorization),
        ],
        body: Some(BODY.into()),
    }
}

/// What a signature covers: the method, host, query, content type, body and time.
struct Signed<'a> {
    method: &'a str,
    host: &'a str,
    query: &'a str,
    content_type: &'a str,
    body: &'a str,
    amz_date: &'a str,
}

/// The `Authorization` header value for `req` (path `/`, signed headers content-type, host
/// and x-amz-date).
fn sign(req: &Signed, key_id: &str, secret: &str, region: &str, service: &str) -> String {
    let date = &req.amz_date[..8];
    let signed_headers = "content-type;host;x-amz-date";
    let canonical = format!(
        "{}\n/\n{}\ncontent-type:{}\nhost:{}\nx-amz-date:{}\n\n{}\n{}",
        req.method,
        req.query,
        req.content_type,
        req.host,
        req.amz_date,
        signed_headers,
        hex(&Sha256::digest(req.body.as_bytes()))
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        req.amz_date,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// `20150830T123600Z` for a Unix time.
fn amz_date(now: i64) -> String {
    let rfc = crate::units::rfc3339_utc(now);
    rfc.chars().filter(|c| c.is_ascii_digit() || *c == 'T').chain(['Z']).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of AWS's Signature Version 4 documentation (IAM `ListUsers`).
    #[test]
    fn signs_the_documented_example() {
        let req = Signed {
            method: "GET",
            host: "iam.amazonaws.com",
            query: "Action=ListUsers&Version=2010-05-08",
            content_type: FORM,
            body: "",
            amz_date: "20150830T123600Z",
        };
        let secret = ["wJalrXUtnFEMI", "K7MDENG+bPxRfiCYEXAMPLEKEY"].join("/");
        let auth = sign(&req, "AKIDEXAMPLE", &secret, "us-east-1", "iam");
        assert!(
            auth.ends_with("Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"),
            "{auth}"
        );
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, ")
        );
    }

    #[test]
    fn amz_dates_are_compact_utc() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
    }
}
