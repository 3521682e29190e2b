//! Entry points for the fuzz targets (`fuzz/`) and the bounded fuzz test (`tests/fuzz.rs`):
//! each takes arbitrary bytes, as a scanned repository could supply them, and runs one
//! parser or decoder the way sprawl does. They return nothing: a panic, a hang or unbounded
//! memory is the only failure.
use std::sync::{Arc, LazyLock};

use crate::{
    egress::javascript,
    identity::Evidence,
    matcher::{Matcher, Scratch},
    paths::RepoFiles,
    rules::{Rule, RuleSet},
    scanner::{Options, ScanScratch, Scanner},
    suppress::Suppressor,
};

/// The builtin rules, loaded once per process.
static BUILTIN: LazyLock<Arc<RuleSet>> = LazyLock::new(|| {
    Arc::new(RuleSet::load(true, &[] as &[&str]).expect("the builtin rules load (checked by rules --check)"))
});

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// Run `rules` (a user rule file's or an imported gitleaks configuration's) over `hay`.
fn run_rules(rules: Vec<Rule>, hay: &[u8]) {
    let mut set = RuleSet::default();
    if set.add(rules).is_ok() {
        if let Ok(matcher) = Matcher::new(Arc::new(set)) {
            matcher.scan(hay, &mut Scratch::default(), |_| {});
        }
    }
}

/// A rule file: load it as `--rules` does, then check it as `sprawl rules --check` does
/// (which runs its examples through the matcher).
pub fn rule_file(data: &[u8]) {
    let mut set = RuleSet::default();
    if set.add_files(&[("fuzz.toml".to_string(), text(data).into_owned())]).is_ok() {
        let _ = crate::rules::check(&Arc::new(set));
    }
}

/// A `.sprawl.toml`: parse it, then ask its suppressor about the file itself.
pub fn project_config(data: &[u8]) {
    if let Ok(config) = crate::suppress::config::ProjectConfig::parse(".sprawl.toml", &text(data)) {
        let _ = config.named_rules();
        ask(&config.suppressor, data);
    }
}

/// A `.gitleaks.toml`: import it (Go regexes translated), then run its rules over itself.
pub fn gitleaks_config(data: &[u8]) {
    if let Ok(imported) = crate::suppress::gitleaks::import(".gitleaks.toml", &text(data)) {
        run_rules(imported.rules, data);
        let suppressor = Suppressor { allows: imported.allows, compat_markers: true };
        ask(&suppressor, data);
    }
}

/// A sweep's state file, as a shared state directory or a restored CI cache could hold it:
/// loaded and checked as a sweep does, then each of its sections read.
pub fn sweep_state(data: &[u8]) {
    use crate::sweep::state::StateDir;
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(state) = StateDir::open(dir.path(), &|_| {}) else { return };
    if std::fs::write(state.file("fuzz"), data).is_err() {
        return;
    }
    if let Ok(Some(recorded)) = state.load("fuzz") {
        recorded.scanned().into_iter().flatten().for_each(drop);
        let _ = recorded.hit_blobs();
        recorded.open().into_iter().flatten().for_each(drop);
    }
}

/// A CODEOWNERS file, in GitHub's place and in GitLab's, asked about a few paths and about
/// each pattern it holds.
pub fn codeowners(data: &[u8]) {
    let text = text(data);
    for file in [".github/CODEOWNERS", ".gitlab/CODEOWNERS"] {
        let (owners, _warnings) = crate::link::owners::Codeowners::parse(file, &text);
        for path in ["README.md", "src/a/b.rs", ".github/workflows/ci.yml", "a b/[x]/*"] {
            let _ = owners.owners(path);
        }
        for line in text.lines().take(64) {
            if let Some(pattern) = line.split_whitespace().next() {
                let _ = owners.owners(pattern.trim_start_matches('/'));
            }
        }
    }
}

/// Paths a CI input is read as: segment `i` of an input split on NUL bytes is the file at
/// `CI_PATHS[i]`; an input without NUL is every one of them.
const CI_PATHS: [&str; 12] = [
    ".github/workflows/ci.yml",
    ".github/actions/setup/action.yml",
    ".gitlab-ci.yml",
    "ci/include.yml",
    "Dockerfile",
    ".dockerignore",
    "docker-compose.yml",
    "Jenkinsfile",
    ".circleci/config.yml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "deploy/Dockerfile.prod",
];

struct MemFiles {
    paths: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
}

impl RepoFiles for MemFiles {
    fn paths(&self) -> &[String] {
        &self.paths
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.files.iter().find(|(p, _)| p == path).map(|(_, b)| b.clone()).ok_or_else(|| "absent".into())
    }
}

/// A repository's CI files (see [`CI_PATHS`]): build the CI model from them, and read each
/// line as the JavaScript of an `actions/github-script` step.
pub fn ci_files(data: &[u8]) {
    let segments: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    let mut files: Vec<(String, Vec<u8>)> = if segments.len() == 1 {
        CI_PATHS.iter().map(|p| (p.to_string(), data.to_vec())).collect()
    } else {
        CI_PATHS.iter().zip(segments).map(|(p, s)| (p.to_string(), s.to_vec())).collect()
    };
    files.sort();
    let paths = files.iter().map(|(p, _)| p.clone()).collect();
    let _ = crate::egress::CiModel::build(&MemFiles { paths, files }, &|_| {});
    for line in text(data).lines() {
        let code = javascript::code(line);
        for name in javascript::env_reads(&code) {
            let _ = javascript::mentions(&code, name);
        }
        let _ = javascript::declared(line);
    }
}

/// Bytes as a decoder meets them: embedded base64 (every marker on), UTF-16, JWT, PyPI
/// macaroon, basic credentials, and each builtin rule's identity extractor (PEM and
/// private keys, JWT, macaroons…) and checksum, with the bytes as the secret and around it.
pub fn decoders(data: &[u8]) {
    let _ = crate::decode::embedded(data, u8::MAX);
    if let Some(order) = crate::text::utf16(data) {
        let _ = crate::text::decode(data, order);
    }
    let _ = crate::validate::jwt_parts(data);
    let _ = crate::validate::pypi_macaroon(data);
    let _ = crate::validate::basic_credentials(data);
    let mid = data.len() / 2;
    for rule in BUILTIN.rules.iter().filter(|r| r.identity.is_some() || r.checksum.is_some()) {
        if let Some(c) = rule.checksum {
            let _ = c.validate(data);
        }
        if rule.identity.is_none() {
            continue;
        }
        let groups: [(&str, &[u8]); 2] = [("key", &data[..mid]), ("user", &data[mid..])];
        for (secret, at, groups) in [(data, 0, &groups[..0]), (&data[mid..], mid, &groups[..])] {
            let ev = Evidence { rule: &rule.id, secret, groups, context: data, at };
            let _ = crate::identity::identify(rule.identity, &rule.provider, "sha256:0", &ev);
        }
    }
}

/// Ask `suppressor` about each line of `data`, as a secret at that line and as a path.
fn ask(suppressor: &Suppressor, data: &[u8]) {
    let mut at = 0;
    for line in data.split(|&b| b == b'\n').take(256) {
        for rule in ["generic.token", "aws.access-key-id", "gitleaks.x"] {
            let _ = suppressor.by_content(rule, data, at, line);
            let _ = suppressor.by_path(rule, &text(line));
        }
        at += line.len() + 1;
    }
}

/// A scanned file: the builtin rules, binary files and invalid matches included, so that
/// every match reaches identity and suppression. Returns the number of findings.
pub fn scan(data: &[u8]) -> usize {
    static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
        let matcher = Matcher::new(BUILTIN.clone()).expect("the builtin rules compile");
        let suppressor = Arc::new(Suppressor { allows: Vec::new(), compat_markers: true });
        Scanner::new(
            matcher,
            suppressor,
            Options { binary: true, report_invalid: true, ..Options::default() },
        )
    });
    let mut out = Vec::new();
    SCANNER.scan_bytes(data, "fuzz/input.env", &mut ScanScratch::default(), &mut out);
    out.len()
}
