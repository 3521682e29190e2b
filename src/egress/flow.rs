//! The vocabulary every CI model shares: origins (what a value is), bindings (a variable
//! and the hops that brought the value there), flows (an origin reaching a sink), and
//! [`Ctx`], which turns a script's events into flows with the sink's severity, so that no CI
//! system has its own copy of the sink logic.
use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobMatcher};

use super::shell::{self, Event};
use super::{Ci, Hop, Sink};
use crate::rules::Severity;

/// Where a value comes from.
#[derive(Debug, Clone)]
pub(crate) enum Origin {
    /// The CI system's secret store: `secrets.X`, a GitLab project variable `$X`, a
    /// Jenkins `credentials('x')`. `name` is normalised; the reference is the chain's first hop.
    Store { name: String },
    /// A variable supplied from outside the file (a Dockerfile `ARG`, compose `${X}`).
    Name { name: String },
    /// A value written in the CI file itself.
    Literal { file: String, line: u64 },
    /// Repository files.
    File(FileSet),
    /// Every secret or variable at once (`secrets: inherit`, `CI_DEBUG_TRACE`).
    All,
    /// The identity the job authenticates as: every field must match the finding's.
    Identity(Vec<(&'static str, String)>),
}

/// A variable's value: its origin, the hops so far, and whether it was transformed.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub origin: Origin,
    pub chain: Vec<Hop>,
    /// Transformed on the way (`base64` into a step output): log masking no longer matches.
    pub unmasked: bool,
}

impl Binding {
    pub fn new(origin: Origin, hop: Hop) -> Self {
        Self { origin, chain: vec![hop], unmasked: false }
    }

    /// The same value, one hop further.
    pub fn then(&self, hop: Hop) -> Self {
        let mut b = self.clone();
        if b.chain.last() != Some(&hop) {
            b.chain.push(hop);
        }
        b
    }
}

/// Variables in scope, by name; a value built from two secrets has two bindings.
pub(crate) type Env = BTreeMap<String, Vec<Binding>>;

/// An origin reaching a sink.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub origin: Origin,
    pub ci: Ci,
    pub file: String,
    pub job: Option<String>,
    pub step: Option<String>,
    pub line: u64,
    pub sink: Sink,
    pub severity: Severity,
    pub chain: Vec<Hop>,
    /// The build argument a CI image build passes (to find its `ARG` in a Dockerfile).
    pub arg: Option<String>,
    /// Where a network send goes, when the URL names a host: the link stage tells a
    /// credential's own provider (its use) from anywhere else (egress).
    pub host: Option<String>,
}

/// Everything the CI models produce.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub flows: Vec<Flow>,
    /// Where images are pushed (`docker push`, `push: true`): image sinks become critical.
    pub pushes: Vec<Hop>,
}

/// Repository paths a step reads, copies or uploads: glob patterns under a base directory,
/// minus exclusions (`.dockerignore`).
#[derive(Debug, Clone)]
pub(crate) struct FileSet {
    include: Vec<GlobMatcher>,
    exclude: Vec<(GlobMatcher, bool)>,
}

impl FileSet {
    /// `patterns` relative to `base` (`""` for the root); `excludes` in `.dockerignore`
    /// syntax (`!` re-includes), relative to `base`. `None` when no pattern is usable (absolute
    /// paths, variables).
    pub fn new(base: &str, patterns: &[&str], excludes: &[String]) -> Option<Self> {
        let join = |p: &str| -> Option<String> {
            let p = p.trim().trim_start_matches("./").trim_end_matches('/');
            if p.starts_with('/') || p.starts_with('~') || p.contains('$') || p.starts_with('!') {
                return None;
            }
            let base = base.trim_end_matches('/');
            Some(match (base.is_empty(), p.is_empty() || p == ".") {
                (true, true) => "**".to_string(),
                (true, false) => p.to_string(),
                (false, true) => format!("{base}/**"),
                (false, false) => format!("{base}/{p}"),
            })
        };
        let glob =
            |p: &str| GlobBuilder::new(p).literal_separator(true).build().ok().map(|g| g.compile_matcher());
        let both = |p: &str| [glob(p), glob(&format!("{p}/**"))].into_iter().flatten().collect::<Vec<_>>();
        let include: Vec<GlobMatcher> =
            patterns.iter().filter_map(|p| join(p)).flat_map(|p| both(&p)).collect();
        if include.is_empty() {
            return None;
        }
        let exclude = excludes
            .iter()
            .filter(|e| !e.trim().is_empty() && !e.trim_start().starts_with('#'))
            .filter_map(|e| {
                let e = e.trim();
                let (negated, pat) = e.strip_prefix('!').map_or((false, e), |p| (true, p));
                let p = join(pat.trim_start_matches('/'))?;
                Some(both(&p).into_iter().map(move |g| (g, negated)))
            })
            .flatten()
            .collect();
        Some(Self { include, exclude })
    }

    pub fn matches(&self, path: &str) -> bool {
        if !self.include.iter().any(|g| g.is_match(path)) {
            return false;
        }
        // Later patterns win, as in `.dockerignore`.
        let mut excluded = false;
        for (g, negated) in &self.exclude {
            if g.is_match(path) {
                excluded = !negated;
            }
        }
        !excluded
    }
}

/// Upper case, `-` → `_`: `deploy-bot-token` and `DEPLOY_BOT_TOKEN` are one name.
pub(crate) fn normalize(name: &str) -> String {
    name.trim().to_ascii_uppercase().replace(['-', '.'], "_")
}

/// Whether an undefined variable looks like a secret held by the CI system: one of its
/// `_`-separated words names a credential (`NPM_TOKEN`, `DB_PASS`, `REGISTRY_CREDS`), so
/// that `$AUTHOR` or `$CACHE_PATH` do not.
pub(crate) fn secret_like(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "TOKEN",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PAT",
        "KEY",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "AUTH",
    ];
    normalize(name).split('_').any(|w| WORDS.contains(&w))
}

fn raise(s: Severity) -> Severity {
    match s {
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

fn lower(s: Severity) -> Severity {
    match s {
        Severity::Critical => Severity::High,
        Severity::High => Severity::Medium,
        Severity::Medium | Severity::Low => Severity::Low,
    }
}

/// What a script did besides emitting flows.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// Variables exported to later steps (`GITHUB_ENV`, `task.setvariable`).
    pub exports: Vec<(String, Vec<Binding>)>,
    /// Step outputs written to `GITHUB_OUTPUT`: name, what they hold.
    pub outputs: Vec<(String, Vec<Binding>)>,
    /// The line of a pull-request checkout (`gh pr checkout`).
    pub pr_checkout: Option<u64>,
}

/// Where flows are emitted: one job (or stage, or image build) of one CI file.
#[derive(Debug, Clone)]
pub(crate) struct Ctx<'a> {
    pub ci: Ci,
    pub file: &'a str,
    pub job: Option<String>,
    pub step: Option<String>,
    /// Fork-reachable trigger (`pull_request_target`, `workflow_run`): sinks are attacker-driven.
    pub fork: bool,
    /// An undefined, secret-like `$X` is a CI variable (GitLab, CircleCI, Bitbucket, Azure).
    pub store_vars: bool,
    /// How a CI store reference is written around its name (`$X`, `$(X)`), for hops.
    pub store_ref: (&'a str, &'a str),
}

impl Ctx<'_> {
    pub fn hop(&self, what: impl Into<String>, line: u64) -> Hop {
        Hop::new(what, self.file, line)
    }

    /// Emit `b` reaching `sink` at `line`, with `hop` as the sink's own hop.
    pub fn emit(&self, out: &mut Out, line: u64, sink: Sink, b: &Binding, hop: Hop) {
        self.emit_as(out, line, sink, sink.base(), b, hop, None);
    }

    #[allow(clippy::too_many_arguments)]
    pub fn emit_as(
        &self,
        out: &mut Out,
        line: u64,
        sink: Sink,
        base: Severity,
        b: &Binding,
        hop: Hop,
        arg: Option<&str>,
    ) {
        let mut severity = base;
        // GitHub, GitLab and Azure mask a store secret's exact value in logs: printed
        // verbatim, it shows only where masking fails (split lines, short values), so medium.
        if matches!(sink, Sink::LogPrint | Sink::DebugTrace)
            && matches!(b.origin, Origin::Store { .. })
            && !b.unmasked
            && base < Severity::Critical
        {
            severity = lower(severity);
        }
        if self.fork {
            severity = raise(severity);
        }
        let b = b.then(hop);
        out.flows.push(Flow {
            origin: b.origin,
            ci: self.ci,
            file: self.file.to_string(),
            job: self.job.clone(),
            step: self.step.clone(),
            line,
            sink,
            severity,
            chain: b.chain,
            arg: arg.map(str::to_string),
            host: None,
        });
    }

    /// Every variable in scope reaches `sink` (`printenv`).
    pub fn emit_env(&self, out: &mut Out, line: u64, sink: Sink, base: Severity, env: &Env, what: &str) {
        for b in env.values().flatten() {
            self.emit_as(out, line, sink, base, b, self.hop(what, line), None);
        }
    }

    /// Every variable in scope and every secret of the store (one `All` flow whose
    /// reference is `what`) reach `sink`: debug switches that dump them all.
    pub fn dump(&self, out: &mut Out, line: u64, sink: Sink, base: Severity, env: &Env, what: &str) {
        self.emit_env(out, line, sink, base, env, what);
        let b = Binding::new(Origin::All, self.hop(what, line));
        self.emit_as(out, line, sink, base, &b, self.hop(what, line), None);
    }

    /// A value written in the CI file (`env: K: v`, `variables:`, `ENV K=v`): a literal
    /// binding, and its own S15 sink where it stands.
    pub fn literal(&self, out: &mut Out, line: u64, what: String) -> Binding {
        let b = Binding::new(Origin::Literal { file: self.file.to_string(), line }, self.hop(what, line));
        self.emit(out, line, Sink::CiLiteral, &b, self.hop("literal value in CI file", line));
        b
    }

    /// The bindings of `$name` at `line`.
    pub fn lookup(&self, env: &Env, name: &str, line: u64) -> Vec<Binding> {
        match env.get(name) {
            Some(b) => b.clone(),
            None if self.store_vars && secret_like(name) => vec![Binding::new(
                Origin::Store { name: normalize(name) },
                self.hop(format!("{}{name}{}", self.store_ref.0, self.store_ref.1), line),
            )],
            None => vec![],
        }
    }

    /// Run a script's events against `env`; `written` maps files written so far to what
    /// they hold. Flows go to `out`.
    pub fn script(
        &self,
        out: &mut Out,
        env: &Env,
        written: &mut Env,
        text: &str,
        first_line: u64,
    ) -> Effects {
        let mut fx = Effects::default();
        let vars = |vars: &[shell::Var], line: u64| -> Vec<(Binding, bool)> {
            vars.iter()
                .flat_map(|v| self.lookup(env, &v.name, line).into_iter().map(move |b| (b, v.transformed)))
                .collect()
        };
        for ev in shell::events(text, first_line) {
            match ev {
                Event::Print { line, cmd, vars: vs } => {
                    for (b, transformed) in vars(&vs, line) {
                        let sink =
                            if transformed || b.unmasked { Sink::TransformedPrint } else { Sink::LogPrint };
                        self.emit(out, line, sink, &b, self.hop(cmd.clone(), line));
                    }
                }
                Event::PrintFile { line, cmd, path } => {
                    for b in self.file_bindings(written, &path, line) {
                        self.emit(out, line, Sink::LogPrint, &b, self.hop(cmd.clone(), line));
                    }
                }
                Event::PrintAll { line, cmd } => {
                    self.emit_env(out, line, Sink::LogPrint, Sink::LogPrint.base(), env, &cmd)
                }
                Event::Trace { line, cmd, vars: vs } => {
                    for (b, _) in vars(&vs, line) {
                        self.emit(out, line, Sink::DebugTrace, &b, self.hop(format!("set -x: {cmd}"), line));
                    }
                }
                Event::Send { line, cmd, vars: vs, files, host } => {
                    let what = match &host {
                        Some(h) => format!("{cmd} → {h}"),
                        None => cmd,
                    };
                    let mut all: Vec<Binding> = vars(&vs, line).into_iter().map(|(b, _)| b).collect();
                    for f in &files {
                        all.extend(self.file_bindings(written, f, line));
                    }
                    for b in all {
                        self.emit(out, line, Sink::NetworkSend, &b, self.hop(what.clone(), line));
                        if let Some(flow) = out.flows.last_mut() {
                            flow.host.clone_from(&host);
                        }
                    }
                }
                Event::EnvWrite { line, target, name, vars: vs } => {
                    if target == "GITHUB_OUTPUT" {
                        // Not a sink by itself: a step output reaches only the expressions
                        // that read it.
                        let hop = self.hop(format!("GITHUB_OUTPUT {name}"), line);
                        let bs = vars(&vs, line)
                            .into_iter()
                            .map(|(b, transformed)| Binding {
                                unmasked: b.unmasked || transformed,
                                ..b.then(hop.clone())
                            })
                            .collect();
                        fx.outputs.push((name, bs));
                        continue;
                    }
                    let what = format!("{target} {name}");
                    let bs: Vec<Binding> = vars(&vs, line).into_iter().map(|(b, _)| b).collect();
                    for b in &bs {
                        self.emit(out, line, Sink::EnvPropagation, b, self.hop(what.clone(), line));
                    }
                    if !name.is_empty() {
                        fx.exports
                            .push((name, bs.iter().map(|b| b.then(self.hop(what.clone(), line))).collect()));
                    }
                }
                Event::FileWrite { line, path, vars: vs } => {
                    let hop = self.hop(format!("> {path}"), line);
                    let bs = vars(&vs, line).into_iter().map(|(b, _)| b.then(hop.clone()));
                    written.entry(path).or_default().extend(bs);
                }
                Event::BuildArg { line, name, vars: vs } => {
                    for (b, _) in vars(&vs, line) {
                        let hop = self.hop(format!("--build-arg {name}"), line);
                        self.emit_as(
                            out,
                            line,
                            Sink::ImageBuildArg,
                            Sink::ImageBuildArg.base(),
                            &b,
                            hop,
                            Some(&name),
                        );
                    }
                }
                Event::Push { line } => out.pushes.push(self.hop("docker push", line)),
                Event::PrCheckout { line } => fx.pr_checkout = Some(line),
            }
        }
        fx
    }

    /// What a file holds: the repository file itself, and anything a script wrote to it.
    pub fn file_bindings(&self, written: &Env, path: &str, line: u64) -> Vec<Binding> {
        let mut out: Vec<Binding> = written.get(path).cloned().unwrap_or_default();
        if let Some(set) = FileSet::new("", &[path], &[]) {
            out.push(Binding::new(Origin::File(set), self.hop(path.to_string(), line)));
        }
        out
    }

    /// Files uploaded by a step (`patterns`, repository-relative, with their lines) reach
    /// `sink` (artifacts, caches) at each pattern's line.
    pub fn upload(&self, out: &mut Out, written: &Env, patterns: &[(&str, u64)], sink: Sink, what: &str) {
        for b in self.paths_bindings(written, patterns) {
            let line = b.chain.last().map_or(0, |h| h.line);
            self.emit(out, line, sink, &b, self.hop(what, line));
        }
    }

    /// Bindings for the files a sink takes (artifact and cache paths): each pattern, and what
    /// scripts wrote to a matching path; each ends with the pattern's hop.
    fn paths_bindings(&self, written: &Env, patterns: &[(&str, u64)]) -> Vec<Binding> {
        let mut out = Vec::new();
        for (p, line) in patterns {
            // Home directory files (`~/.npmrc`, `$HOME/.docker/config.json`) are not in the
            // repository; only what the job wrote there can be in them.
            if let Some(home) = home_relative(p) {
                for (path, bs) in written {
                    let under = home_relative(path)
                        .is_some_and(|w| home.is_empty() || w == home || w.starts_with(&format!("{home}/")));
                    if under {
                        out.extend(bs.iter().map(|b| b.then(self.hop(p.to_string(), *line))));
                    }
                }
                continue;
            }
            if let Some(set) = FileSet::new("", &[p], &[]) {
                for (path, bs) in written {
                    if set.matches(path.trim_start_matches("./")) {
                        out.extend(bs.iter().map(|b| b.then(self.hop(p.to_string(), *line))));
                    }
                }
                out.push(Binding::new(Origin::File(set), self.hop(p.to_string(), *line)));
            }
        }
        out
    }
}

/// The part of a home-directory path after the home (`~/.npm` → `.npm`, `$HOME` → ``).
pub(crate) fn home_relative(path: &str) -> Option<String> {
    let p = path.trim().trim_matches(['"', '\'']);
    let rest = ["~", "$HOME", "${HOME}"].iter().find_map(|h| p.strip_prefix(h))?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    Some(rest.trim_matches('/').to_string())
}

/// Variable names of `$X`, `${X}`, `${X:-default}` in a value (compose, GitLab, Dockerfile).
pub(crate) fn dollar_vars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            let braced = b[i + 1] == b'{';
            let start = if braced { i + 2 } else { i + 1 };
            let mut end = start;
            while end < b.len() && ident(b[end]) {
                end += 1;
            }
            if end > start && !b[start].is_ascii_digit() {
                out.push(text[start..end].to_string());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Raise image sinks to critical when something pushes images, then sort and dedupe.
pub(crate) fn finish(out: Out) -> Vec<Flow> {
    let Out { mut flows, pushes } = out;
    if let Some(push) = pushes.iter().min() {
        for f in flows.iter_mut().filter(|f| f.sink.is_image()) {
            f.severity = Severity::Critical;
            f.chain.push(push.clone());
        }
    }
    flows.sort_by(|a, b| key(a).cmp(&key(b)));
    flows.dedup_by(|a, b| key(a) == key(b));
    // A credential handed to every later third-party action of a job, or held by a job that
    // runs untrusted code at several steps, is one path: the first step (the others add
    // nothing a reader must act on).
    let mut seen = std::collections::BTreeSet::new();
    flows.retain(|f| {
        let collapsed =
            matches!(f.sink, Sink::UnpinnedAction | Sink::UntrustedCode | Sink::UntrustedCheckout);
        let credential = match &f.origin {
            Origin::Store { name } => name.clone(),
            _ => f.chain.first().map_or_else(String::new, |h| format!("{}@{}", h.what, h.line)),
        };
        // The job's workflow is where its chain starts (a composite action's step has its
        // own file).
        let workflow = f.chain.first().map_or_else(|| f.file.clone(), |h| h.file.clone());
        !collapsed || seen.insert((workflow, f.job.clone(), f.sink, credential))
    });
    flows
}

fn key(f: &Flow) -> impl Ord + '_ {
    (&f.file, f.line, f.sink, &f.job, &f.step, &f.chain, f.severity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sets_glob_and_exclude() {
        let all = FileSet::new(
            "app",
            &["."],
            &["*.md".into(), "config/.env".into(), "!config/.env.example".into()],
        )
        .expect("usable");
        assert!(all.matches("app/src/main.rs"));
        assert!(!all.matches("app/README.md"));
        assert!(!all.matches("app/config/.env"));
        assert!(all.matches("app/config/.env.example"));
        assert!(!all.matches("other/x"));
        let dir = FileSet::new("", &["./config/"], &[]).expect("usable");
        assert!(dir.matches("config/.env") && !dir.matches("src/config"));
        assert!(FileSet::new("", &["/tmp/x", "$HOME/x"], &[]).is_none());
    }

    #[test]
    fn dollar_variables() {
        assert_eq!(dollar_vars("a $X ${Y:-z} $1 $"), ["X", "Y"]);
    }

    #[test]
    fn names_normalise_and_look_secret() {
        assert_eq!(normalize("deploy-bot-token"), "DEPLOY_BOT_TOKEN");
        assert!(secret_like("NPM_TOKEN") && secret_like("db_pass") && secret_like("REGISTRY_CREDS"));
        assert!(!secret_like("CI_COMMIT_SHA") && !secret_like("AUTHOR") && !secret_like("KEYBOARD"));
    }

    #[test]
    fn masked_verbatim_print_is_lowered_and_forks_raise() {
        let mut ctx = Ctx {
            ci: Ci::GithubActions,
            file: "w.yml",
            job: None,
            step: None,
            fork: false,
            store_vars: true,
            store_ref: ("$", ""),
        };
        let mut out = Out::default();
        ctx.script(&mut out, &Env::new(), &mut Env::new(), "echo $API_TOKEN\necho $API_TOKEN | base64\n", 1);
        let sev: Vec<_> = out.flows.iter().map(|f| (f.sink, f.severity)).collect();
        assert_eq!(sev, [(Sink::LogPrint, Severity::Medium), (Sink::TransformedPrint, Severity::High)]);
        ctx.fork = true;
        let mut out = Out::default();
        ctx.script(&mut out, &Env::new(), &mut Env::new(), "echo $API_TOKEN\n", 1);
        assert_eq!(out.flows[0].severity, Severity::High);
    }
}
