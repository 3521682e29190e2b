//! Signatures: loading `signatures/*.toml` (builtin and user-supplied) into a compiled,
//! immutable [`RuleSet`] shared by every matcher thread.
mod check;
mod hosts;
pub(crate) mod syntax;

use std::sync::OnceLock;
use std::{fmt, path::Path};

use anyhow::{bail, Context};
use regex_automata::meta::Regex;
use serde::{Deserialize, Serialize};

pub use check::{check, CheckReport};
pub use hosts::ProviderHosts;
use syntax::{RuleFile, RuleSyntax};

use crate::validate::Checksum;

/// Signature files compiled into the binary by `build.rs`: `(file name, contents)`.
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// How bad a leak of this kind of credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "low" => Self::Low,
            "medium" => Self::Medium,
            "high" => Self::High,
            "critical" => Self::Critical,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which identity extractor applies to a rule's matches (the `identity` field of a rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityHint {
    AwsAccessKey,
    GithubToken,
    GitlabToken,
    PypiToken,
    Jwt,
    PrivateKey,
    GcpServiceAccount,
    AzureStorage,
    AzureEntra,
    SlackToken,
    SlackWebhook,
    Twilio,
    Stripe,
    DatabaseUrl,
    DockerAuth,
    Kubeconfig,
    NpmToken,
    Login,
}

impl IdentityHint {
    const ALL: [(&'static str, Self); 18] = [
        ("aws-access-key", Self::AwsAccessKey),
        ("github-token", Self::GithubToken),
        ("gitlab-token", Self::GitlabToken),
        ("pypi-token", Self::PypiToken),
        ("jwt", Self::Jwt),
        ("private-key", Self::PrivateKey),
        ("gcp-service-account", Self::GcpServiceAccount),
        ("azure-storage", Self::AzureStorage),
        ("azure-entra", Self::AzureEntra),
        ("slack-token", Self::SlackToken),
        ("slack-webhook", Self::SlackWebhook),
        ("twilio", Self::Twilio),
        ("stripe", Self::Stripe),
        ("database-url", Self::DatabaseUrl),
        ("docker-auth", Self::DockerAuth),
        ("kubeconfig", Self::Kubeconfig),
        ("npm-token", Self::NpmToken),
        ("login", Self::Login),
    ];

    /// The hint a rule file names, or an error listing the valid names.
    fn parse(name: &str) -> anyhow::Result<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|&(_, h)| h).with_context(|| {
            let valid: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
            format!("unknown identity {name:?}; valid names: {}", valid.join(", "))
        })
    }
}

/// Bytes searched after a keyword hit when the rule does not say: tokens are rarely longer
/// than 300 characters, and the window also runs on to the end of its line.
const DEFAULT_WINDOW: usize = 512;
/// Bytes searched before a keyword hit: keywords usually start the secret or sit just
/// before it (`aws_secret_access_key = …`), but some follow it on the same line
/// (`https://<key>@o1.ingest.sentry.io`).
const LOOKBEHIND: usize = 256;
/// Generic rules match `name = value` on one line, with at most 40 name characters
/// before the keyword. Their keywords (`password`, `token`) are common in code, so their
/// windows are kept small: 57k keyword hits in 250 MB of curl sources.
const GENERIC_LOOKBEHIND: usize = 64;
const GENERIC_WINDOW: usize = 256;

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub keywords: Vec<String>,
    /// Compiled on first use (see [`Rule::regex`]): a pre-commit scan of a small change
    /// needs only the few rules whose keywords occur in it.
    regex: OnceLock<Option<Regex>>,
    /// See [`RuleSyntax::gate`]; compiled on first use like `regex`.
    gate: OnceLock<Option<Regex>>,
    pub min_entropy: Option<f64>,
    pub checksum: Option<Checksum>,
    pub identity: Option<IdentityHint>,
    pub severity: Severity,
    pub window: usize,
    /// Bytes searched before a keyword hit.
    pub lookbehind: usize,
    /// See [`RuleSyntax::starts_in_name`].
    pub starts_in_name: bool,
    pub pair_with: Option<String>,
    pub references: Vec<String>,
    /// The provider's own service hosts (see [`ProviderHosts`]).
    pub hosts: Vec<String>,
    /// Generic rules (`provider = "generic"`) match any key name and so get the
    /// placeholder/reference/label filters, and yield to a specific rule on the same bytes.
    pub generic: bool,
    /// From a user or repository rule file, not builtin: its cost is limited while matching
    /// (see `matcher::budget`).
    pub imported: bool,
    /// The syntax it came from, kept for `rules --check`.
    pub(crate) source: RuleSyntax,
    /// File the rule was loaded from.
    pub origin: String,
}

impl Rule {
    /// A rule from a user's file: its regex is parsed now, so that a mistake is reported
    /// when rules load; compiling waits for first use.
    pub(crate) fn compile(src: RuleSyntax, origin: &str) -> anyhow::Result<Self> {
        verify_regex(&src)?;
        Ok(Self { imported: true, ..Self::trusted(src, origin)? })
    }

    /// A builtin rule: `rules --check` (in CI) verifies its regex, and parsing 300 of them
    /// at every start cost the pre-commit hook 13 ms.
    fn trusted(src: RuleSyntax, origin: &str) -> anyhow::Result<Self> {
        let severity = Severity::parse(&src.severity).with_context(|| {
            format!("rule {}: severity {:?} is not one of low, medium, high, critical", src.id, src.severity)
        })?;
        let checksum = match &src.checksum {
            None => None,
            Some(name) => Some(
                Checksum::from_name(name)
                    .with_context(|| format!("rule {}: unknown checksum {name:?}", src.id))?,
            ),
        };
        let identity = match &src.identity {
            None => None,
            Some(name) => Some(IdentityHint::parse(name).with_context(|| format!("rule {}", src.id))?),
        };
        if let Some(bad) = src.hosts.iter().find(|h| !hosts::valid(h)) {
            bail!("rule {}: host {bad:?} is not a lower-case host name (no scheme, port or path)", src.id);
        }
        if src.strong_context && !src.password {
            bail!("rule {}: strong_context qualifies the password check: it needs password = true", src.id);
        }
        let generic = src.provider == "generic";
        if src.keywords.iter().all(|k| k.trim().is_empty()) {
            bail!("rule {}: needs at least one non-empty keyword for the prefilter", src.id);
        }
        Ok(Self {
            id: src.id.clone(),
            name: src.name.clone(),
            provider: src.provider.clone(),
            keywords: src.keywords.clone(),
            regex: OnceLock::new(),
            gate: OnceLock::new(),
            min_entropy: src.min_entropy,
            checksum,
            identity,
            severity,
            window: src.window.unwrap_or(if generic { GENERIC_WINDOW } else { DEFAULT_WINDOW }),
            lookbehind: src.lookbehind.unwrap_or(if generic { GENERIC_LOOKBEHIND } else { LOOKBEHIND }),
            starts_in_name: src.starts_in_name.unwrap_or(generic),
            pair_with: src.pair_with.clone(),
            references: src.references.clone(),
            hosts: src.hosts.clone(),
            generic,
            imported: false,
            source: src,
            origin: origin.to_string(),
        })
    }
}

impl Rule {
    /// The compiled regex, or `None` (after one warning) if it exceeds the size limit:
    /// `rules --check` compiles every rule, so builtin rules always compile.
    pub fn regex(&self) -> Option<&Regex> {
        self.regex.get_or_init(|| self.compiled("regex", &self.source.regex, "rule disabled")).as_ref()
    }

    /// Whether a keyword hit at `at` passes the rule's [`RuleSyntax::gate`] (always, without
    /// one, or when it does not compile: a broken gate must not hide secrets).
    /// `cache` is the calling thread's search state for the gate, made here on first use.
    pub fn passes_gate(
        &self,
        hay: &[u8],
        at: usize,
        cache: &mut Option<regex_automata::meta::Cache>,
    ) -> bool {
        let Some(pattern) = &self.source.gate else { return true };
        let Some(gate) = self.gate.get_or_init(|| self.compiled("gate", pattern, "gate ignored")).as_ref()
        else {
            return true;
        };
        let end = (at + self.window).min(hay.len());
        let input = regex_automata::Input::new(&hay[..end])
            .range(at..)
            .anchored(regex_automata::Anchored::Yes)
            .earliest(true);
        gate.search_half_with(cache.get_or_insert_with(|| gate.create_cache()), &input).is_some()
    }

    fn compiled(&self, what: &str, pattern: &str, consequence: &str) -> Option<Regex> {
        compile_regex(pattern)
            .inspect_err(|e| {
                eprintln!("sprawl: warning: rule {}: {what} does not compile, {consequence}: {e}", self.id)
            })
            .ok()
    }
}

/// Secrets are ASCII: without Unicode classes, `\w`, `\s` and `(?i)` compile 5-10x faster.
/// Configured as `regex::bytes::Regex` would be, with anchored searches at an offset.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, Box<regex_automata::meta::BuildError>> {
    Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().unicode(false).utf8(false))
        .configure(Regex::config().utf8_empty(false).nfa_size_limit(Some(1 << 24)))
        .build(pattern)
        .map_err(Box::new)
}

/// Index of the capture group called `name` (group 0 is the whole match).
/// The rule's regex parses and has a `secret` group.
pub(crate) fn verify_regex(src: &RuleSyntax) -> anyhow::Result<()> {
    let hir =
        regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(&src.regex).map_err(
            |e| anyhow::anyhow!("rule {}: regex does not parse: {}", src.id, crate::diag::regex_error(&e)),
        )?;
    if !has_capture(&hir, "secret") {
        bail!("rule {}: regex has no named group `secret`", src.id);
    }
    if let Some(gate) = &src.gate {
        regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(gate).map_err(|e| {
            anyhow::anyhow!("rule {}: gate does not parse: {}", src.id, crate::diag::regex_error(&e))
        })?;
    }
    Ok(())
}

fn has_capture(hir: &regex_syntax::hir::Hir, name: &str) -> bool {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(c) => c.name.as_deref() == Some(name) || has_capture(&c.sub, name),
        HirKind::Repetition(r) => has_capture(&r.sub, name),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(|h| has_capture(h, name)),
        _ => false,
    }
}

/// Every rule in force for a scan, compiled once; scans share it behind an `Arc`.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The builtin signatures plus every `*.toml` in `extra` (files or directories).
    pub fn load(builtin: bool, extra: &[impl AsRef<Path>]) -> anyhow::Result<Self> {
        let mut rules = Vec::new();
        if builtin {
            // Parsing the builtin files is most of a start's single-threaded work: they are
            // parsed side by side (a start of 13.4 ms took 12.1, medians of 4 x 60 runs).
            use rayon::prelude::*;
            let files: Vec<Vec<Rule>> = BUILTIN
                .par_iter()
                .map(|(name, text)| parse_file(name, text, Rule::trusted))
                .collect::<Result<_, _>>()?;
            rules.extend(files.into_iter().flatten());
        }
        for path in extra {
            for file in toml_files(path.as_ref())? {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read rule file {}", file.display()))?;
                rules.extend(parse_file(&file.display().to_string(), &text, Rule::compile)?);
            }
        }
        let mut set = Self::default();
        set.add(rules)?;
        Ok(set)
    }

    /// Add the rules of user or repository rule files, given as `(name, text)`.
    pub fn add_files(&mut self, files: &[(String, String)]) -> anyhow::Result<()> {
        for (name, text) in files {
            self.add(parse_file(name, text, Rule::compile)?)?;
        }
        Ok(())
    }

    /// Add rules; an id defined twice is an error naming both origins.
    pub fn add(&mut self, rules: Vec<Rule>) -> anyhow::Result<()> {
        for r in rules {
            if let Some(prev) = self.rules.iter().find(|p| p.id == r.id) {
                bail!("rule id {} is defined twice ({} and {})", r.id, prev.origin, r.origin);
            }
            self.rules.push(r);
        }
        Ok(())
    }

    /// Drop the rule with this id; whether there was one.
    pub fn remove(&mut self, id: &str) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() < before
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// A version string for the rule set: changes whenever any rule changes, so
    /// incremental state knows when to rescan.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for r in &self.rules {
            h.update(format!("{:?}\0", r.source).as_bytes());
        }
        crate::units::hex(&h.finalize()[..8])
    }
}

fn parse_file(
    name: &str,
    text: &str,
    rule: fn(RuleSyntax, &str) -> anyhow::Result<Rule>,
) -> anyhow::Result<Vec<Rule>> {
    let file: RuleFile = toml::from_str(text)
        .map_err(|e| anyhow::anyhow!("rule file {}", crate::diag::toml_error(name, text, &e)))?;
    file.rule.into_iter().map(|r| rule(r, name).with_context(|| format!("rule file {name}"))).collect()
}

fn toml_files(path: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out: Vec<_> = std::fs::read_dir(path)
        .with_context(|| format!("cannot read rules directory {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    out.sort();
    Ok(out)
}
