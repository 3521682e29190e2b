//! A finding's egress paths, as reported: the CI system, the sink, how the finding is tied
//! to it and the chain of hops between. The egress stage builds them; reports read them.
use serde::{Deserialize, Serialize};

use crate::rules::Severity;

/// The CI system (or container build) a path runs through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ci {
    GithubActions,
    GitlabCi,
    Dockerfile,
    DockerCompose,
    Circleci,
    AzurePipelines,
    BitbucketPipelines,
    Jenkins,
}

impl Ci {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GithubActions => "github-actions",
            Self::GitlabCi => "gitlab-ci",
            Self::Dockerfile => "dockerfile",
            Self::DockerCompose => "docker-compose",
            Self::Circleci => "circleci",
            Self::AzurePipelines => "azure-pipelines",
            Self::BitbucketPipelines => "bitbucket-pipelines",
            Self::Jenkins => "jenkins",
        }
    }
}

/// What makes a value observable outside its boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sink {
    /// S1: a fork-reachable job checks out and runs the pull request's code with secrets.
    UntrustedCheckout,
    /// Attacker-controlled code runs in a job holding secrets without a checkout: an
    /// expression from the event (a pull request title, a comment) pasted into a script, a
    /// `workflow_run` artifact of the triggering run executed, a cache other workflows can
    /// write restored in a publishing job.
    UntrustedCode,
    /// S2: `CI_DEBUG_TRACE`/`CI_DEBUG_SERVICES` dump every variable; `set -x` echoes commands.
    DebugTrace,
    /// S13: `ACTIONS_STEP_DEBUG`, Azure `system.debug`: more output, masking still applies.
    StepDebug,
    /// S3: a build argument (`--build-arg`, `build-args:`, compose `build.args`, `ARG`).
    ImageBuildArg,
    /// S3/S15: an `ENV` value baked into an image layer.
    ImageEnv,
    /// S3: `COPY`/`ADD` of a file into an image.
    ImageCopy,
    /// S4: `curl`/`wget`/`nc` carrying the value or file.
    NetworkSend,
    /// S5: an uploaded artifact.
    ArtifactUpload,
    /// S11: a cache shared across branches.
    CacheUpload,
    /// S7: printed verbatim to the job log.
    LogPrint,
    /// S7: printed after a transformation that defeats masking (base64, substring).
    TransformedPrint,
    /// S8: `GITHUB_ENV`, `task.setvariable` without `issecret`: every later step sees it.
    EnvPropagation,
    /// S9: a third-party action pinned by a mutable tag or branch receives it.
    UnpinnedAction,
    /// S10: `secrets: inherit`, `toJSON(secrets)`: every secret is handed over.
    AllSecrets,
    /// S15: the value is written in the CI/Docker/compose file itself.
    CiLiteral,
    /// S14: Groovy interpolates a Jenkins credential into a shell command line.
    GroovyInterpolation,
    /// A container's runtime environment (compose `environment`, `env_file`).
    ContainerEnv,
}

impl Sink {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UntrustedCheckout => "untrusted-checkout",
            Self::UntrustedCode => "untrusted-code",
            Self::DebugTrace => "debug-trace",
            Self::StepDebug => "step-debug",
            Self::ImageBuildArg => "image-build-arg",
            Self::ImageEnv => "image-env",
            Self::ImageCopy => "image-copy",
            Self::NetworkSend => "network-send",
            Self::ArtifactUpload => "artifact-upload",
            Self::CacheUpload => "cache-upload",
            Self::LogPrint => "log-print",
            Self::TransformedPrint => "transformed-print",
            Self::EnvPropagation => "env-propagation",
            Self::UnpinnedAction => "unpinned-action",
            Self::AllSecrets => "all-secrets",
            Self::CiLiteral => "ci-literal",
            Self::GroovyInterpolation => "groovy-interpolation",
            Self::ContainerEnv => "container-env",
        }
    }

    /// Severity for a live secret and an internal trigger; images are raised to
    /// critical when something in the repository pushes them.
    pub fn base(self) -> Severity {
        match self {
            Self::UntrustedCheckout | Self::UntrustedCode | Self::NetworkSend => Severity::Critical,
            Self::DebugTrace
            | Self::ImageBuildArg
            | Self::ImageEnv
            | Self::ImageCopy
            | Self::ArtifactUpload
            | Self::LogPrint
            | Self::TransformedPrint
            | Self::UnpinnedAction
            | Self::CiLiteral
            | Self::GroovyInterpolation => Severity::High,
            Self::CacheUpload | Self::EnvPropagation | Self::AllSecrets => Severity::Medium,
            Self::StepDebug | Self::ContainerEnv => Severity::Low,
        }
    }

    /// Whether the sink puts the value into a container image.
    pub fn is_image(self) -> bool {
        matches!(self, Self::ImageBuildArg | Self::ImageEnv | Self::ImageCopy)
    }
}

/// How a finding is tied to a path (DESIGN.md, Egress model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Link {
    LiteralInCi,
    FileFlow,
    NameMatch,
    IdentityMatch,
    /// The path of a CI secret reference, on an `egress.*` finding.
    CiSecret,
}

impl Link {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LiteralInCi => "literal-in-ci",
            Self::FileFlow => "file-flow",
            Self::NameMatch => "name-match",
            Self::IdentityMatch => "identity-match",
            Self::CiSecret => "ci-secret",
        }
    }
}

/// One step of a chain: what carries the value, and where. Names and references only,
/// never values.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hop {
    pub what: String,
    pub file: String,
    pub line: u64,
}

impl Hop {
    pub fn new(what: impl Into<String>, file: &str, line: u64) -> Self {
        Self { what: what.into(), file: file.to_string(), line }
    }
}

/// One egress path of a finding: repository-relative file, the sink and the chain to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Egress {
    pub ci: Ci,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    pub line: u64,
    pub sink: Sink,
    pub severity: Severity,
    pub link: Link,
    pub chain: Vec<Hop>,
}

impl Egress {
    /// Worst first, then by place: the order of a finding's `egress` list.
    pub fn order(&self, other: &Self) -> std::cmp::Ordering {
        other
            .severity
            .cmp(&self.severity)
            .then_with(|| (&self.file, self.line, self.sink).cmp(&(&other.file, other.line, other.sink)))
            .then_with(|| (&self.job, &self.step, self.link).cmp(&(&other.job, &other.step, other.link)))
            .then_with(|| self.chain.cmp(&other.chain))
    }

    /// `high log-print github-actions .github/workflows/ci.yml:12 job build step "Print" (name-match: a → b)`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} {} {} {}:{}",
            self.severity,
            self.sink.as_str(),
            self.ci.as_str(),
            self.file,
            self.line
        );
        if let Some(job) = &self.job {
            s.push_str(&format!(" job {job}"));
        }
        if let Some(step) = &self.step {
            s.push_str(&format!(" step {step:?}"));
        }
        let chain: Vec<&str> = self.chain.iter().map(|h| h.what.as_str()).collect();
        s.push_str(&format!(" ({}: {})", self.link.as_str(), chain.join(" → ")));
        s
    }
}
