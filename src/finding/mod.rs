//! A finding: one secret at one location, with everything a report needs and never the
//! raw value unless redaction is off.
pub mod egress;
pub mod identity;
pub mod liveness;
pub(crate) mod weigh;

use serde::{Deserialize, Serialize};

pub use egress::{Ci, Egress, Hop, Link, Sink};
pub use identity::{Identity, Owner};
pub use liveness::{Liveness, Status};
pub(crate) use weigh::Weigh;

use crate::rules::Severity;
use crate::secret::Raw;
use crate::validate::Validation;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub kind: Kind,
    pub rule: String,
    pub provider: String,
    pub name: String,
    pub severity: Severity,
    pub secret: Secret,
    pub location: Location,
    /// The variable or key name the secret was assigned to, when the rule captures it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// How the secret was stored when it was found inside an encoded value (`base64`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The other half of a multi-part credential found nearby (an AWS key id for a
    /// secret access key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paired_with: Option<Pair>,
    /// The non-human identity the secret belongs to, and its owners.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Why the finding is not reported (an inline marker, an allow entry, the baseline);
    /// suppressed findings are shown only with `--show-suppressed`.
    pub suppressed: Option<Suppression>,
    /// Where the secret came from in git history (`sprawl git` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
    /// CI paths through which it can leave the repository's boundary, worst first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<Egress>,
}

/// What was found: a secret in the scanned content, a CI secret reference that reaches a
/// sink (its value lives in the CI secret store; rule ids `egress.*`), or a change that a
/// pull-request range makes to sprawl's own configuration (`sprawl.config-change`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Secret,
    CiEgress,
    ConfigChange,
}

/// Why a finding is not reported, and who decided it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    /// `sprawl:allow`, `path allowed by .sprawl.toml:12`, `baseline`…
    pub reason: String,
}

/// Where a suppression lives: in the source next to the secret (SARIF `inSource`), or
/// outside it, in configuration or a baseline (SARIF `external`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    Inline,
    Config,
    Baseline,
}

impl Suppression {
    pub fn new(kind: SuppressionKind, reason: impl Into<String>) -> Self {
        Self { kind, reason: reason.into() }
    }
}

/// A finding's place in git history. Commit fields are absent when unknown: an unreachable
/// blob has no commit, a staged blob none yet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GitInfo {
    /// The blob the location refers to.
    pub blob: String,
    /// The oldest commit carrying the secret at this path, after `.mailmap`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Committer date of `first_commit`, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The newest commit carrying it at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_date: Option<String>,
    /// How many commits carry it at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<u64>,
    /// Whether HEAD's tree still has it at this path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_head: Option<bool>,
    /// In the object database but reachable from no ref.
    #[serde(default)]
    pub unreachable: bool,
    /// In the index, about to be committed (`--staged`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub staged: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Secret {
    pub redacted: String,
    /// [`crate::secret::fingerprint`]: stable across lines, paths and runs, so baselines
    /// and identities key on content, not position.
    pub fingerprint: String,
    pub entropy: f64,
    pub validation: Validation,
    /// The raw value, present only with `--no-redact`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The raw value for live validation (`--validate` only); never serialized.
    #[serde(skip)]
    pub raw: Option<Raw>,
    /// What the provider said of it (`--validate` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Liveness>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub end_line: u64,
    pub end_column: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pair {
    pub rule: String,
    pub redacted: String,
    pub line: u64,
    /// The other half's raw value for live validation (`--validate` only); never serialized.
    #[serde(skip)]
    pub raw: Option<Raw>,
}

impl Finding {
    /// A pull-request range changes `path`, a file that configures sprawl: the check's
    /// configuration came from the base commit, and a reviewer should look at the change.
    pub fn config_change(path: &str) -> Self {
        Self {
            kind: Kind::ConfigChange,
            rule: "sprawl.config-change".into(),
            provider: "sprawl".into(),
            name: "The change modifies sprawl's configuration (not applied to this check)".into(),
            severity: Severity::Medium,
            secret: Secret {
                redacted: path.to_string(),
                fingerprint: crate::secret::fingerprint(format!("config:{path}").as_bytes()),
                entropy: 0.0,
                validation: Validation::Unverified,
                value: None,
                raw: None,
                liveness: None,
            },
            location: Location { path: path.to_string(), line: 1, column: 1, end_line: 1, end_column: 1 },
            key: None,
            encoding: None,
            paired_with: None,
            identity: None,
            suppressed: None,
            git: None,
            egress: Vec::new(),
        }
    }

    /// Sort key: path, position, rule, then the secret (as shown) and the blob, so that the order is
    /// total and reports diff cleanly whatever order the threads found them in.
    pub fn sort_key(&self) -> (&Location, &str, &str, &str, Option<&str>) {
        let blob = self.git.as_ref().map(|g| g.blob.as_str());
        (&self.location, &self.rule, &self.secret.redacted, &self.secret.fingerprint, blob)
    }
}

/// A finding is what the report orders sort (as is a finding through the pipeline).
impl AsRef<Finding> for Finding {
    fn as_ref(&self) -> &Finding {
        self
    }
}
