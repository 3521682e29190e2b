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
    /// The last check that found the credential live. A sweep with `--state` carries it from
    /// run to run, so a credential found revoked later says when it still worked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_live_at: Option<String>,
    /// The first check that found revoked a credential an earlier check had found live: it
    /// was rotated or disabled between `last_live_at` and this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
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
    /// Carry what an earlier check of the same credential learnt into this one: when it was
    /// last live, and when it was first found revoked after that. Only statuses that settle
    /// something move the history on; an `unknown` keeps the earlier facts.
    pub fn follow(&mut self, earlier: &Liveness) {
        let last_live = match earlier.status {
            Status::Live => Some(earlier.checked_at.clone()),
            _ => earlier.last_live_at.clone(),
        };
        match self.status {
            Status::Live => {
                self.last_live_at = Some(self.checked_at.clone());
                self.revoked_at = None;
            }
            Status::Revoked => {
                self.last_live_at = last_live;
                self.revoked_at = match earlier.status {
                    Status::Live => Some(self.checked_at.clone()),
                    _ => earlier.revoked_at.clone(),
                }
                .filter(|_| self.last_live_at.is_some());
            }
            Status::Unknown => {
                self.last_live_at = last_live;
                self.revoked_at = earlier.revoked_at.clone();
            }
        }
    }

    /// `live: login=deploy-bot, scopes=repo`, `revoked: refused (401)`, `unknown: timed out`;
    /// `facts` are the identity's live facts.
    pub fn describe(&self, facts: &BTreeMap<String, String>) -> String {
        let detail = match self.status {
            Status::Live => facts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "),
            _ => self.reason.clone().unwrap_or_default(),
        };
        let detail = match (&self.revoked_at, &self.last_live_at) {
            (Some(revoked), Some(live)) => {
                let since = format!("live at {live}, revoked by {revoked}");
                if detail.is_empty() {
                    since
                } else {
                    format!("{detail}; {since}")
                }
            }
            _ => detail,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(status: Status, when: &str) -> Liveness {
        Liveness {
            status,
            reason: None,
            checked_at: when.into(),
            host: "api.github.com".into(),
            last_live_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn history_records_when_a_live_credential_was_revoked() {
        let mut first = at(Status::Live, "t1");
        first.follow(&at(Status::Unknown, "t0"));
        assert_eq!(first.last_live_at.as_deref(), Some("t1"));
        let mut gone = at(Status::Revoked, "t2");
        gone.follow(&first);
        assert_eq!((gone.last_live_at.as_deref(), gone.revoked_at.as_deref()), (Some("t1"), Some("t2")));
        let mut still = at(Status::Revoked, "t3");
        still.follow(&gone);
        assert_eq!(still.revoked_at.as_deref(), Some("t2"), "the first revoked check is kept");
        let mut blip = at(Status::Unknown, "t4");
        blip.follow(&still);
        assert_eq!((blip.last_live_at.as_deref(), blip.revoked_at.as_deref()), (Some("t1"), Some("t2")));
        assert!(still.describe(&BTreeMap::new()).contains("live at t1, revoked by t2"));
        let mut never_live = at(Status::Revoked, "t5");
        never_live.follow(&at(Status::Revoked, "t4"));
        assert_eq!(never_live.revoked_at, None, "revoked is not dated without a live check before");
        let mut back = at(Status::Live, "t6");
        back.follow(&still);
        assert_eq!((back.last_live_at.as_deref(), back.revoked_at), (Some("t6"), None));
    }
}
