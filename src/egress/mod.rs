//! Egress: where a secret, or the identity behind it, can leave the CI boundary.
//!
//! Built once per scan from the repository's CI files ([`CiModel::build`]): each CI system's
//! module turns its files into [`Flow`]s, "this origin reaches this sink through these hops";
//! [`link`] then matches findings to flows (literal-in-ci, file-flow, name-match,
//! identity-match) and turns CI secret references into findings of their own.
//!
//! - `files`: the [`RepoFiles`] inputs, files on disk or HEAD's tree, and [`PathMap`];
//! - `yaml`: YAML with line numbers;
//! - `shell`: what a `run:`/`script:` block does that matters (prints, sends, writes);
//! - `flow`: variables, bindings and the sink emission shared by every CI system;
//! - `github_actions`, `gitlab_ci`, `dockerfile`, `compose`, `jenkins`, `others`: one model each;
//! - `link`: findings ↔ flows.
mod compose;
mod dockerfile;
mod files;
mod flow;
mod github_actions;
mod gitlab_ci;
mod jenkins;
mod link;
mod others;
mod shell;
mod yaml;

use serde::Serialize;

pub use files::{DiskFiles, GitTreeFiles, PathMap};
use flow::Flow;

use crate::rules::Severity;

/// The repository files a CI model is built from, by repository-relative path (`/`-separated).
pub trait RepoFiles {
    /// The repository paths of the files [`may_be_ci_file`] keeps, sorted.
    fn paths(&self) -> &[String];
    fn read(&self, path: &str) -> Option<Vec<u8>>;
}

/// Whether some CI model may read the file at `path` (a superset of every system's own
/// test: YAML, Dockerfiles, `.dockerignore`, Jenkinsfiles). File lists keep only these, so
/// that the model of a 100k-file tree costs no more than that of a small one.
pub fn may_be_ci_file(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path).to_ascii_lowercase();
    let has = |needle: &[u8]| name.windows(needle.len()).any(|w| w == needle);
    [&b".yml"[..], b".yaml", b"dockerfile", b"containerfile", b"jenkinsfile", b"dockerignore"]
        .iter()
        .any(|n| has(n))
}

/// The CI system (or container build) a path runs through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
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

/// What makes a value observable outside its boundary (research/IDENTITY_EGRESS.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sink {
    /// S1: a fork-reachable job checks out and runs the pull request's code with secrets.
    UntrustedCheckout,
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

    /// Severity for a live secret and an internal trigger (§3.3); images are raised to
    /// critical when something in the repository pushes them.
    pub fn base(self) -> Severity {
        match self {
            Self::UntrustedCheckout | Self::NetworkSend => Severity::Critical,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
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

/// The CI model of one repository (or one commit's tree).
#[derive(Debug, Default)]
pub struct CiModel {
    flows: Vec<Flow>,
}

impl CiModel {
    /// Read every CI file the systems know; a file that does not parse is reported through
    /// `warn` and skipped.
    pub fn build(files: &dyn RepoFiles, warn: &dyn Fn(String)) -> CiModel {
        let paths = files.paths();
        debug_assert!(paths.is_sorted());
        let read = |path: &str| -> Option<String> {
            let bytes = files.read(path)?;
            match String::from_utf8(bytes) {
                Ok(s) => Some(s),
                Err(_) => {
                    warn(format!("{path}: CI file is not UTF-8, skipped"));
                    None
                }
            }
        };
        let repo = Repo { paths, read: &read, warn };
        let mut out = flow::Out::default();
        let images = dockerfile::Images::build(&repo, &mut out);
        github_actions::flows(&repo, &mut out);
        gitlab_ci::flows(&repo, &mut out);
        compose::flows(&repo, &mut out);
        others::flows(&repo, &mut out);
        jenkins::flows(&repo, &mut out);
        images.annotate(&mut out.flows);
        CiModel { flows: flow::finish(out) }
    }

    /// Fill each finding's `egress`; `paths` turns finding paths into repository paths.
    pub fn link(&self, findings: &mut [crate::finding::Finding], paths: &PathMap) {
        link::link(&self.flows, findings, paths);
    }

    /// One finding per CI secret reference and sink (`egress.log-print`…): the value lives
    /// in the CI secret store, not in the repository, so no hit stands for it.
    pub fn ci_secret_findings(&self, paths: &PathMap) -> Vec<crate::finding::Finding> {
        link::ci_secret_findings(&self.flows, paths)
    }
}

/// What the per-system modules read the repository through.
pub(crate) struct Repo<'a> {
    pub paths: &'a [String],
    pub read: &'a dyn Fn(&str) -> Option<String>,
    pub warn: &'a dyn Fn(String),
}

impl Repo<'_> {
    /// Whether the repository holds a file at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.paths.binary_search_by(|p| p.as_str().cmp(path)).is_ok()
    }

    /// Parse a YAML file, warning (and yielding nothing) when it does not parse.
    pub fn yaml(&self, path: &str) -> Option<yaml::Node> {
        let text = (self.read)(path)?;
        match yaml::parse(&text) {
            Ok(node) => Some(node),
            Err(e) => {
                (self.warn)(format!("{path}: not valid YAML ({e}), CI egress not analysed"));
                None
            }
        }
    }
}
