//! A finding's identity and owners, as reported: which non-human identity the secret
//! belongs to and who is accountable for it. The identity and link stages fill them.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A finding's identity, as reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub id: String,
    pub kind: String,
    pub provider: String,
    /// Whether the identity was derived from the credential (`true`) or only keyed by its
    /// fingerprint (`false`).
    pub derived: bool,
    pub fields: BTreeMap<String, String>,
    /// What the provider's answer to `--validate` said about the identity (login, ARN,
    /// account, team, scopes, expiry): facts whose source is the live provider.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub live: BTreeMap<String, String>,
    pub owners: Vec<Owner>,
}

/// Someone accountable for a secret, and where that came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// `@org/team`, `@user`, an email, or a name.
    pub who: String,
    /// `codeowners`, `commit-author` or `variable-name`.
    pub source: String,
    /// Where exactly: the CODEOWNERS file and line, the commit id, the variable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
