//! Identity: which non-human identity a secret belongs to, derived offline from the secret
//! and the bytes around it (an AWS account from a key id, a service-account email from its
//! JSON key, a key fingerprint from a private key…), and who owns it.
//!
//! Each credential family has its own module with one `extract` function per shape; the
//! rule's `identity` hint picks it. When nothing can be derived, the identity is keyed by
//! the secret's fingerprint and records the variable name it was assigned to.
mod aws;
mod cloud;
mod config;
mod github;
mod gitlab;
mod jwt;
mod keys;
mod pypi;
mod services;

use std::collections::BTreeMap;

pub use crate::finding::Identity;
use crate::rules::IdentityHint;

/// Bytes of context on each side of a match that extractors may read: enough for a
/// service-account JSON key or a kubeconfig user entry around the matched field.
pub const CONTEXT: usize = 4096;

/// What an extractor sees.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The rule that matched (`aws.access-key-id`).
    pub rule: &'a str,
    /// The secret bytes (decoded when the match was inside an encoded value).
    pub secret: &'a [u8],
    /// The rule's other named groups that participated: `key`, `key_id`, `account`,
    /// `user`, `host`, `port`, `db`, `registry`.
    pub groups: &'a [(&'a str, &'a [u8])],
    /// Up to [`CONTEXT`] bytes before and after the match, and where the secret starts in it.
    pub context: &'a [u8],
    pub at: usize,
}

impl<'a> Evidence<'a> {
    /// A named group's text, if it matched and is UTF-8.
    pub fn group(&self, name: &str) -> Option<&'a str> {
        self.groups.iter().find(|(n, _)| *n == name).and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The secret as text (secrets are ASCII in practice; `None` otherwise).
    pub fn secret_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.secret).ok()
    }

    /// Context before the secret.
    pub fn before(&self) -> &'a [u8] {
        &self.context[..self.at]
    }

    /// Context from the secret on.
    pub fn after(&self) -> &'a [u8] {
        &self.context[self.at..]
    }

    /// A string field of the JSON around the secret, nearest occurrence first (see
    /// [`json_field`]).
    pub fn json_field(&self, name: &str) -> Option<String> {
        json_field(self, name)
    }
}

/// A string field of the JSON around the key (a GCP service-account file), nearest occurrence
/// first; also when that JSON is itself escaped inside a string (`\"client_email\": \"…\"`).
pub(crate) fn json_field(ev: &Evidence, name: &str) -> Option<String> {
    let quoted = format!("\"{name}");
    let value_at = |text: &[u8], at: usize| json_value(text.get(at + quoted.len()..)?);
    let after = memchr::memmem::find(ev.after(), quoted.as_bytes())
        .and_then(|at| Some((at, value_at(ev.after(), at)?)));
    let before = memchr::memmem::rfind(ev.before(), quoted.as_bytes())
        .and_then(|at| Some((ev.before().len() - at, value_at(ev.before(), at)?)));
    [after, before].into_iter().flatten().min_by_key(|(distance, _)| *distance).map(|(_, value)| value)
}

/// The value of `": "value"` right after a field name (its closing quote next), in plain or
/// escaped JSON (`\": \"value\"`).
fn json_value(rest: &[u8]) -> Option<String> {
    fn quote(bytes: &[u8]) -> Option<&[u8]> {
        bytes.strip_prefix(b"\\\"").or_else(|| bytes.strip_prefix(b"\""))
    }
    let rest = quote(rest)?.trim_ascii_start().strip_prefix(b":")?;
    let rest = quote(rest.trim_ascii_start())?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    let value = std::str::from_utf8(rest.get(..end)?).ok()?;
    (!value.is_empty() && !value.contains(char::is_whitespace)).then(|| value.to_string())
}

/// What an extractor derives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// Canonical id, provider first: `aws:account/111122223333:key/AKIA…`.
    pub id: String,
    /// What kind of credential or identity: `access-key`, `service-account`, `personal-access-token`…
    pub kind: String,
    /// Everything else learned: `account_id`, `client_email`, `fingerprint`, `exp`…
    pub fields: BTreeMap<String, String>,
}

impl Derived {
    pub fn new(id: impl Into<String>, kind: impl Into<String>) -> Self {
        Self { id: id.into(), kind: kind.into(), fields: BTreeMap::new() }
    }

    /// Add a field (builder style).
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.fields.insert(name.to_string(), value.into());
        self
    }
}

/// Derive the identity of one match. `hint` is the rule's `identity` field.
pub fn identify(hint: Option<IdentityHint>, provider: &str, fingerprint: &str, ev: &Evidence) -> Identity {
    let derived = hint.and_then(|h| match h {
        IdentityHint::AwsAccessKey => aws::extract(ev),
        IdentityHint::GithubToken => github::extract(ev),
        IdentityHint::GitlabToken => gitlab::extract(ev),
        IdentityHint::PypiToken => pypi::extract(ev),
        IdentityHint::Jwt => jwt::extract(ev),
        IdentityHint::PrivateKey => keys::extract(ev),
        IdentityHint::GcpServiceAccount => cloud::gcp_service_account(ev),
        IdentityHint::AzureStorage => cloud::azure_storage(ev),
        IdentityHint::AzureEntra => cloud::azure_entra(ev),
        IdentityHint::SlackToken | IdentityHint::SlackWebhook => services::slack(ev),
        IdentityHint::Twilio => services::twilio(ev),
        IdentityHint::Stripe => services::stripe(ev),
        IdentityHint::DatabaseUrl => config::database_url(ev),
        IdentityHint::DockerAuth => config::docker_auth(ev),
        IdentityHint::Kubeconfig => config::kubeconfig(ev),
        IdentityHint::NpmToken => config::npm(ev),
        IdentityHint::Login => config::login(ev),
    });
    let key = ev.group("key").map(str::to_string);
    match derived {
        Some(d) => {
            let mut fields = d.fields;
            if let Some(key) = key {
                fields.entry("variable".into()).or_insert(key);
            }
            Identity {
                id: d.id,
                kind: d.kind,
                provider: provider.to_string(),
                derived: true,
                fields,
                live: BTreeMap::new(),
                owners: vec![],
            }
        }
        None => {
            let short = crate::secret::short(fingerprint);
            let mut fields = BTreeMap::new();
            if let Some(key) = key {
                fields.insert("variable".into(), key);
            }
            Identity {
                id: format!("{provider}:secret/{short}"),
                kind: "secret".into(),
                provider: provider.to_string(),
                derived: false,
                fields,
                live: BTreeMap::new(),
                owners: vec![],
            }
        }
    }
}

/// Test helper: evidence for a secret alone, or inside a context string.
#[cfg(test)]
pub(crate) fn evidence_in<'a>(
    rule: &'a str,
    context: &'a str,
    secret: &'a str,
    groups: &'a [(&'a str, &'a [u8])],
) -> Evidence<'a> {
    let at = context.find(secret).expect("the secret occurs in its context");
    Evidence { rule, secret: secret.as_bytes(), groups, context: context.as_bytes(), at }
}
