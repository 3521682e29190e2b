//! Egress: where a secret, or the identity behind it, can leave the CI boundary.
//!
//! Built once per scan from the repository's CI files ([`CiModel::build`]): each CI system's
//! module turns its files into [`Flow`]s, "this origin reaches this sink through these hops";
//! the link stage (`crate::link`) then matches findings to flows (literal-in-ci, file-flow,
//! name-match, identity-match) and turns CI secret references into findings of their own.
//!
//! - `files`: CI files on disk (HEAD's tree is read by `crate::source::git::TreeFiles`);
//! - `yaml`: YAML with line numbers;
//! - `shell`: what a `run:`/`script:` block does that matters (prints, sends, writes);
//! - `flow`: variables, bindings and the sink emission shared by every CI system;
//! - `github_actions`, `gitlab_ci`, `dockerfile`, `compose`, `jenkins`, `others`: one model each.
mod compose;
mod dockerfile;
mod files;
pub(crate) mod flow;
mod github_actions;
mod gitlab_ci;
pub(crate) mod javascript;
mod jenkins;
mod others;
mod shell;
mod yaml;

pub use crate::finding::egress::{Ci, Egress, Hop, Link, Sink};
pub use files::DiskFiles;
use flow::Flow;

use crate::paths::RepoFiles;

/// CI files larger than this are not read: the largest real workflow files are ~100 KB.
pub const MAX_CI_FILE: u64 = 1 << 20;

/// Why a CI file of `len` bytes was not read.
pub(crate) fn too_large(len: u64) -> String {
    format!("{len} bytes, over the {} MiB limit for CI files", MAX_CI_FILE >> 20)
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

/// The CI model of one repository (or one commit's tree).
#[derive(Debug, Default)]
pub struct CiModel {
    flows: Vec<Flow>,
}

impl CiModel {
    /// Read every CI file the systems know; a file that cannot be read (too large,
    /// unreadable) or does not parse is reported through `warn` and skipped.
    pub fn build(files: &dyn RepoFiles, warn: &dyn Fn(String)) -> CiModel {
        let paths = files.paths();
        debug_assert!(paths.is_sorted());
        // Several systems read the same file (every YAML file is searched for build
        // targets): each file is warned about once.
        let warned = std::cell::RefCell::new(std::collections::HashSet::new());
        let skip = |path: &str, why: String| {
            if warned.borrow_mut().insert(path.to_string()) {
                warn(format!("{path}: {why}, CI egress not analysed"));
            }
        };
        let read = |path: &str| -> Option<String> {
            let bytes =
                files.read(path).inspect_err(|why| skip(path, format!("CI file not read ({why})"))).ok()?;
            String::from_utf8(bytes).inspect_err(|_| skip(path, "CI file is not UTF-8".into())).ok()
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

    /// Every origin that reaches a sink, for the link stage.
    pub(crate) fn flows(&self) -> &[Flow] {
        &self.flows
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
            // GitHub Actions refuses a workflow with a key given twice ("'env' is already
            // defined") and never runs it, though PyYAML takes the last value: no run, no egress.
            Err(e) if e.to_string().contains("duplicate") && path.contains(".github/") => {
                (self.warn)(format!(
                    "{path}: a key is given twice ({e}); GitHub Actions refuses such a file and never runs it, so CI egress is not analysed"
                ));
                None
            }
            Err(e) => {
                (self.warn)(format!("{path}: not valid YAML ({e}), CI egress not analysed"));
                None
            }
        }
    }
}
