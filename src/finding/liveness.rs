//! What a provider said of a credential when asked (`--validate`): live, revoked, or not
//! known, when, and what its answer revealed about the identity behind it.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liveness {
    pub status: Status,
    /// Why the status is `unknown` (a timeout, rate limiting, an unexpected answer), or the
    /// provider's own word for a refusal (`invalid_auth`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the provider was asked, RFC 3339 UTC.
    pub checked_at: String,
    /// The provider host that was asked (always one built into sprawl). What its answer
    /// said about the identity (login, ARN, team, scopes, expiry) is in the identity's `live`.
    pub host: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The provider accepted the credential.
    Live,
    /// The provider refused it (401/403 or its own word for an invalid credential).
    Revoked,
    /// No answer that settles it.
    Unknown,
}

impl Liveness {
    /// `live: login=deploy-bot, scopes=repo`, `revoked: refused (401)`, `unknown: timed out`;
    /// `facts` are the identity's live facts.
    pub fn describe(&self, facts: &BTreeMap<String, String>) -> String {
        let detail = match self.status {
            Status::Live => facts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "),
            _ => self.reason.clone().unwrap_or_default(),
        };
        if detail.is_empty() {
            self.status.as_str().to_string()
        } else {
            format!("{}: {detail}", self.status.as_str())
        }
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Revoked => "revoked",
            Status::Unknown => "unknown",
        }
    }
}
