//! GitHub Actions: workflows (`.github/workflows/*.yml`) and the composite actions of the
//! repository. Triggers set the exposure; `env` at workflow, job and step level, `with:`
//! inputs, `${{ … }}` expressions and `GITHUB_ENV` writes carry values to the sinks: `run:`
//! scripts, artifact and cache uploads, image builds, third-party actions, reusable workflows
//! and pull-request checkouts.
use std::collections::BTreeMap;

use super::flow::{normalize, Binding, Ctx, Env, Origin, Out};
use super::javascript;
use super::yaml::Node;
use super::{Ci, Hop, Repo, Sink};
use crate::rules::Severity;

/// Triggers whose runs hold the base repository's secrets while a fork's pull request (or
/// comment, or the run it triggered) decides what happens.
const FORK_TRIGGERS: &[&str] = &["pull_request_target", "workflow_run", "issue_comment"];
/// Triggers where outsiders write parts of the event (pull request titles and branch names,
/// issue and comment bodies) while the run holds the repository's secrets.
const INJECTION_TRIGGERS: &[&str] = &[
    "pull_request_target",
    "workflow_run",
    "issue_comment",
    "issues",
    "discussion",
    "discussion_comment",
    "pull_request_review",
    "pull_request_review_comment",
];
/// Composite actions calling composite actions: deeper nesting is not followed.
const MAX_DEPTH: usize = 3;

pub(crate) fn flows(repo: &Repo, out: &mut Out) {
    let workflows: Vec<(&String, Node)> = repo
        .paths
        .iter()
        .filter(|path| {
            let in_dir = path.strip_prefix(".github/workflows/").is_some_and(|r| !r.contains('/'));
            in_dir && (path.ends_with(".yml") || path.ends_with(".yaml"))
        })
        .filter_map(|path| Some((path, repo.yaml(path)?)))
        .collect();
    let callers = callers(&workflows);
    for (path, doc) in &workflows {
        let callers = callers.get(path.as_str()).map_or(&[][..], Vec::as_slice);
        let on = triggers(doc);
        let injectable =
            on.iter().any(|t| INJECTION_TRIGGERS.contains(&t.as_str())) || callers.iter().any(|c| c.fork);
        let after_run = on.iter().any(|t| t == "workflow_run");
        let tags = doc.get("on").and_then(|o| o.get("push")).and_then(|p| p.get("tags")).is_some();
        let publishing = tags || on.iter().any(|t| t == "release");
        Workflow { repo, out: &mut *out, callers, injectable, after_run, publishing }.run(path, doc);
    }
}

/// A job of another workflow of the repository that calls this one as a reusable workflow
/// (`uses: ./.github/workflows/deploy.yml`): what the called workflow's `secrets.X` holds,
/// and whether forks can start it.
struct Caller {
    file: String,
    /// The line of `secrets:`.
    line: u64,
    fork: bool,
    /// `secrets: inherit`: every `secrets.X` is the caller's `secrets.X`.
    inherit: bool,
    /// `secrets:` entries: the called workflow's name, the caller's secrets it is given,
    /// and the entry's line.
    passed: Vec<(String, Vec<String>, u64)>,
}

/// Callers by called workflow path.
fn callers(workflows: &[(&String, Node)]) -> BTreeMap<String, Vec<Caller>> {
    let mut out: BTreeMap<String, Vec<Caller>> = BTreeMap::new();
    for (path, doc) in workflows {
        let fork = triggers(doc).iter().any(|t| FORK_TRIGGERS.contains(&t.as_str()));
        for job in doc.get("jobs").map_or(&[][..], Node::entries) {
            let Some(uses) = job.value.get("uses").and_then(Node::str) else { continue };
            let Some(called) = uses.strip_prefix("./") else { continue };
            let Some(secrets) = job.value.entry("secrets") else { continue };
            let inherit = secrets.value.str() == Some("inherit");
            let passed = if inherit {
                Vec::new()
            } else {
                let store = |value: &str| -> Vec<String> {
                    expressions(value)
                        .into_iter()
                        .flat_map(|(_, e)| idents(e))
                        .filter(|(prefix, _)| *prefix == "secrets")
                        .map(|(_, name)| name.to_string())
                        .collect()
                };
                secrets
                    .value
                    .pairs()
                    .into_iter()
                    .map(|(name, value, line)| (name, store(&value), line))
                    .collect()
            };
            let caller = Caller { file: path.to_string(), line: secrets.line, fork, inherit, passed };
            out.entry(called.split('@').next().unwrap_or(called).to_string()).or_default().push(caller);
        }
    }
    out
}

fn triggers(doc: &Node) -> Vec<String> {
    match doc.get("on") {
        Some(on) if !on.entries().is_empty() => on.entries().iter().map(|e| e.key.clone()).collect(),
        Some(on) => on.strings().into_iter().map(|(s, _)| s.to_string()).collect(),
        None => vec![],
    }
}

struct Workflow<'a, 'r> {
    repo: &'a Repo<'r>,
    out: &'a mut Out,
    /// The jobs that call this workflow, if it is a reusable one.
    callers: &'a [Caller],
    /// Outsiders write parts of the event that starts it.
    injectable: bool,
    /// Started by `workflow_run`: the triggering run's artifacts are a pull request's output.
    after_run: bool,
    /// Started by a release or a tag push: its jobs publish.
    publishing: bool,
}

/// Something in a job runs code an attacker controls, at `line` of `step`: every secret
/// the job holds reaches `sink`.
#[derive(Clone)]
struct Untrusted {
    /// The file of `line`: a composite action's steps run in the calling job.
    file: String,
    line: u64,
    step: Option<String>,
    sink: Sink,
    severity: Severity,
    what: String,
}

/// What a job holds and did, across its steps.
#[derive(Default)]
struct JobState {
    env: Env,
    written: Env,
    /// Every value the job references: code running in the job can read them all.
    held: Vec<Binding>,
    /// Where the job runs attacker-controlled code.
    untrusted: Vec<Untrusted>,
    /// The job token's permissions, as written (`contents: write`), for hops.
    token_scope: String,
    /// An artifact of the triggering run downloaded into the workspace: `(name, path)`.
    foreign_artifact: Option<(String, String)>,
}

impl Workflow<'_, '_> {
    fn run(&mut self, path: &str, doc: &Node) {
        // A reusable workflow runs with its callers' exposure.
        let fork = triggers(doc).iter().any(|t| FORK_TRIGGERS.contains(&t.as_str()))
            || self.callers.iter().any(|c| c.fork);
        let base = Ctx {
            ci: Ci::GithubActions,
            file: path,
            job: None,
            step: None,
            fork,
            store_vars: false,
            store_ref: ("secrets.", ""),
        };
        let mut held = Vec::new();
        let mut wenv = self.env_block(&base, doc.get("env"), &Env::new(), &mut held);
        for job in doc.get("jobs").map_or(&[][..], Node::entries) {
            let ctx = Ctx { job: Some(job.key.clone()), ..base.clone() };
            let token_scope = token_scope(job.value.get("permissions").or_else(|| doc.get("permissions")));
            let st = JobState { held: held.clone(), token_scope, ..JobState::default() };
            // A job's outputs reach the jobs that need it (`needs.<job>.outputs.<name>`).
            let outputs = self.job(&ctx, &job.value, &wenv, st);
            for (name, bs) in outputs {
                wenv.insert(format!("needs.{}.outputs.{name}", job.key), bs);
            }
        }
    }

    fn job(&mut self, ctx: &Ctx, job: &Node, wenv: &Env, mut st: JobState) -> Vec<(String, Vec<Binding>)> {
        st.env = wenv.clone();
        let jenv = self.env_block(ctx, job.get("env"), &st.env, &mut st.held);
        st.env = jenv;
        if let Some(uses) = job.get("uses").and_then(Node::str) {
            self.reusable(ctx, job, uses, &mut st);
        }
        self.registry_credentials(ctx, job, &mut st);
        for step in job.get("steps").map_or(&[][..], Node::items) {
            self.step(ctx, step, &mut st, 0);
        }
        for u in std::mem::take(&mut st.untrusted) {
            let at = Ctx { step: u.step, file: &u.file, ..ctx.clone() };
            // The job's env first: its chains say how each value got there.
            let mut seen = std::collections::BTreeSet::new();
            let held: Vec<&Binding> = st.env.values().flatten().chain(&st.held).collect();
            for b in held
                .into_iter()
                .filter(|b| matches!(b.origin, Origin::Store { .. } | Origin::Identity(_) | Origin::All))
            {
                if seen.insert(b.chain[0].clone()) {
                    let hop = at.hop(u.what.clone(), u.line);
                    let severity = job_token_severity(b, &st.token_scope, u.severity);
                    at.emit_as(self.out, u.line, u.sink, severity, b, hop, None);
                }
            }
        }
        let mut outputs = Vec::new();
        for (name, value, line) in job.get("outputs").map(Node::pairs).unwrap_or_default() {
            let hop = ctx.hop(format!("outputs.{name}"), line);
            let bs: Vec<Binding> = expressions(&value)
                .into_iter()
                .flat_map(|(_, e)| self.expression(ctx, &st.env, e, line))
                .map(|b| b.then(hop.clone()))
                .collect();
            if !bs.is_empty() {
                outputs.push((name, bs));
            }
        }
        outputs
    }

    /// `container.credentials` and `services.*.credentials`: the runner logs in to pull the
    /// images. A password written in the workflow is a literal in a CI file; a secret is
    /// held by the job.
    fn registry_credentials(&mut self, ctx: &Ctx, job: &Node, st: &mut JobState) {
        let services = job.get("services").map_or(&[][..], Node::entries).iter().map(|e| &e.value);
        for image in job.get("container").into_iter().chain(services) {
            let Some(creds) = image.get("credentials") else { continue };
            for (name, value, line) in creds.pairs() {
                if value.contains("${{") {
                    self.resolve(ctx, &st.env, &value, line, &mut st.held);
                } else if name == "password" && !value.trim().is_empty() {
                    ctx.literal(self.out, line, "credentials.password".into());
                }
            }
        }
    }

    /// A checkout of the pull request's code, which runs in a fork-reachable job.
    fn pr_checkout(&self, ctx: &Ctx, st: &mut JobState, line: u64) {
        if ctx.fork {
            let what = "checkout of pull request code".to_string();
            st.untrusted.push(Untrusted {
                file: ctx.file.to_string(),
                line,
                step: ctx.step.clone(),
                sink: Sink::UntrustedCheckout,
                severity: Sink::UntrustedCheckout.base(),
                what,
            });
        }
    }

    /// A job that calls another repository's reusable workflow: `secrets: inherit` hands
    /// over every secret. A workflow of this repository (no `@ref`) is not a sink: its own
    /// sinks are found with the secrets its callers give it.
    fn reusable(&mut self, ctx: &Ctx, job: &Node, uses: &str, st: &mut JobState) {
        let Some(secrets) = job.entry("secrets") else { return };
        if secrets.value.str() == Some("inherit") && uses.contains('@') {
            let b = Binding::new(Origin::All, ctx.hop("secrets: inherit", secrets.line));
            ctx.emit(
                self.out,
                secrets.line,
                Sink::AllSecrets,
                &b,
                ctx.hop(format!("uses {uses}"), secrets.line),
            );
            return;
        }
        if !unpinned_third_party(uses) || secrets.value.str() == Some("inherit") {
            return;
        }
        for (name, value, line) in secrets.value.pairs() {
            for b in self.resolve(ctx, &st.env, &value, line, &mut st.held) {
                let hop = ctx.hop(format!("secrets.{name} → {uses}"), line);
                ctx.emit(self.out, line, Sink::UnpinnedAction, &b, hop);
            }
        }
    }

    fn step(&mut self, job: &Ctx, step: &Node, st: &mut JobState, depth: usize) {
        let uses = step.get("uses").and_then(Node::str);
        let run = step.get("run");
        let label = step.get("name").and_then(Node::str).or(uses).map(str::to_string).or_else(|| {
            run.and_then(Node::str).and_then(|r| r.lines().next()).map(|l| l.chars().take(40).collect())
        });
        let ctx = Ctx { step: label.clone(), ..job.clone() };
        let env = self.env_block(&ctx, step.get("env"), &st.env, &mut st.held);
        let mut inputs: Vec<(String, Vec<Binding>, u64)> = Vec::new();
        for e in step.get("with").map_or(&[][..], Node::entries) {
            let value = e.value.str().unwrap_or_default();
            let bs = self.resolve(&ctx, &env, value, e.line, &mut st.held);
            let bs = bs.into_iter().map(|b| b.then(ctx.hop(format!("with.{}", e.key), e.line))).collect();
            inputs.push((e.key.clone(), bs, e.line));
        }
        if let Some(run) = run {
            let text = run.str().unwrap_or_default();
            // The shell analysis sees each `${{ … }}` as a variable named `{{ … }}`.
            let mut scope = env.clone();
            let mut line = run.line;
            let mut last = 0;
            for (at, expr) in expressions(text) {
                line += text[last..at].matches('\n').count() as u64;
                last = at;
                if self.injectable && attacker_written(expr) {
                    let what = format!("${{{{ {} }}}} pasted into the script", expr.trim());
                    st.untrusted.push(Untrusted {
                        file: ctx.file.to_string(),
                        line,
                        step: label.clone(),
                        sink: Sink::UntrustedCode,
                        severity: Sink::UntrustedCode.base(),
                        what,
                    });
                }
                let bs = self.resolve(&ctx, &env, &text[at..at + expr.len() + 5], line, &mut st.held);
                scope.insert(format!("{{{{ {} }}}}", expr.trim()), bs);
            }
            let fx = ctx.script(self.out, &scope, &mut st.written, text, run.line);
            for (name, bs) in fx.exports {
                st.env.insert(name, bs);
            }
            if let Some(id) = step.get("id").and_then(Node::str) {
                for (name, bs) in fx.outputs.into_iter().filter(|(_, bs)| !bs.is_empty()) {
                    st.env.insert(format!("steps.{id}.outputs.{name}"), bs);
                }
            }
            if let Some(line) = fx.pr_checkout {
                self.pr_checkout(&ctx, st, line);
            }
            if let Some((name, path)) = &st.foreign_artifact {
                if executes(text, path) {
                    st.untrusted.push(Untrusted {
                        file: ctx.file.to_string(),
                        line: run.line,
                        step: label.clone(),
                        sink: Sink::UntrustedCode,
                        severity: Sink::UntrustedCode.base(),
                        what: format!("artifact {name} of the triggering run, run from the workspace"),
                    });
                }
            }
        }
        if let Some(uses) = uses {
            self.action(&ctx, step, uses, &env, &inputs, st, depth);
        }
    }

    /// A step's `uses:`: well-known actions by what they do, local composite actions by
    /// their steps, third-party actions by how they are pinned.
    #[allow(clippy::too_many_arguments)]
    fn action(
        &mut self,
        ctx: &Ctx,
        step: &Node,
        uses: &str,
        env: &Env,
        inputs: &[(String, Vec<Binding>, u64)],
        st: &mut JobState,
        depth: usize,
    ) {
        let name = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
        let with = |k: &str| step.get("with").and_then(|w| w.entry(k));
        let line = step.entries().first().map_or(step.line, |e| e.line);
        let cache_input =
            with("cache").and_then(|e| e.value.str()).is_some_and(|c| !c.is_empty() && c != "false");
        let restores = ["actions/cache", "actions/cache/restore", "swatinem/rust-cache"]
            .contains(&name.as_str())
            || name.starts_with("actions/setup-") && cache_input;
        if self.publishing && restores {
            // Caches are shared with the default branch's other workflows: code that runs
            // in any of them can write what this publishing job restores.
            st.untrusted.push(Untrusted {
                file: ctx.file.to_string(),
                line,
                step: ctx.step.clone(),
                sink: Sink::UntrustedCode,
                severity: Severity::High,
                what: format!("cache restored by {uses} in a publishing job"),
            });
        }
        match name.as_str() {
            "actions/checkout" => {
                if with("persist-credentials").and_then(|e| e.value.str()) != Some("false") {
                    // The token lands in `.git/config` for later git commands: whatever reads
                    // or ships the work tree has it. That is `with.token` when given, else the
                    // job token (unless it can only read: a public repository's code is no
                    // secret).
                    let dir = with("path").and_then(|e| e.value.str()).map_or(".".into(), workspace_relative);
                    let config = format!("{}/.git/config", dir.trim_end_matches('/'));
                    let config = config.trim_start_matches("./").to_string();
                    let given: Vec<Binding> = inputs
                        .iter()
                        .filter(|(k, ..)| k == "token")
                        .flat_map(|(_, b, _)| b.clone())
                        .collect();
                    let read_only = ["read-only", "read-all"].contains(&st.token_scope.as_str());
                    let job_token = || {
                        let what = format!("job token ({})", st.token_scope);
                        Binding::new(
                            Origin::Store { name: "GITHUB_TOKEN".into() },
                            ctx.hop("github.token", line),
                        )
                        .then(ctx.hop(what, line))
                    };
                    let tokens = if given.is_empty() && !read_only { vec![job_token()] } else { given };
                    for b in tokens {
                        let b = b.then(ctx.hop(format!("persisted in {config} by actions/checkout"), line));
                        st.written.entry(config.clone()).or_default().push(b.clone());
                        st.held.push(b);
                    }
                }
                let r = with("ref").and_then(|e| e.value.str()).unwrap_or_default();
                let untrusted =
                    ["pull_request.head", "head_ref", "refs/pull/", "workflow_run.head", "merge_commit_sha"];
                if untrusted.iter().any(|u| r.contains(u)) {
                    self.pr_checkout(ctx, st, with("ref").map_or(line, |e| e.line));
                }
            }
            "actions/download-artifact" | "dawidd6/action-download-artifact" if self.after_run => {
                let from_run = name.starts_with("dawidd6") || with("run-id").is_some();
                let path =
                    with("path").and_then(|e| e.value.str()).map_or(".".to_string(), workspace_relative);
                let outside = ["${{ runner.temp", "$RUNNER_TEMP", "/"].iter().any(|p| path.starts_with(p));
                if from_run && !outside {
                    let artifact = with("name").and_then(|e| e.value.str()).unwrap_or("*");
                    st.foreign_artifact = Some((artifact.to_string(), path));
                }
            }
            "actions/upload-artifact" | "actions/cache" | "actions/cache/save" => {
                let sink =
                    if name.starts_with("actions/cache") { Sink::CacheUpload } else { Sink::ArtifactUpload };
                if let Some(p) = with("path") {
                    let text = p.value.str().unwrap_or_default();
                    let start = p.value.line;
                    let patterns: Vec<(String, u64)> = text
                        .lines()
                        .enumerate()
                        .filter(|(_, l)| !l.trim().is_empty())
                        .map(|(i, l)| {
                            let at = if text.contains('\n') { start + i as u64 } else { p.line };
                            (workspace_relative(l.trim()), at)
                        })
                        .collect();
                    let patterns: Vec<(&str, u64)> = patterns.iter().map(|(p, l)| (p.as_str(), *l)).collect();
                    ctx.upload(self.out, &st.written, &patterns, sink, &format!("{name} path"));
                }
            }
            "docker/build-push-action" => {
                if let Some(args) = with("build-args") {
                    let text = args.value.str().unwrap_or_default();
                    let start = if text.contains('\n') { args.value.line } else { args.line };
                    for (i, l) in text.lines().enumerate() {
                        let Some((arg, value)) = l.trim().split_once('=') else { continue };
                        let at = start + i as u64;
                        for b in self.resolve(ctx, env, value, at, &mut st.held) {
                            let hop = ctx.hop(format!("build-args {arg}"), at);
                            ctx.emit_as(
                                self.out,
                                at,
                                Sink::ImageBuildArg,
                                Sink::ImageBuildArg.base(),
                                &b,
                                hop,
                                Some(arg),
                            );
                        }
                    }
                }
                if let Some(push) = with("push").filter(|p| p.value.str() == Some("true")) {
                    self.out.pushes.push(ctx.hop(format!("{name} push: true"), push.line));
                }
            }
            "aws-actions/configure-aws-credentials" => {
                let mut creds: Vec<Binding> = inputs
                    .iter()
                    .filter(|(k, ..)| k.starts_with("aws-"))
                    .flat_map(|(_, b, _)| b.clone())
                    .collect();
                if let Some(role) = with("role-to-assume") {
                    let arn = role.value.str().unwrap_or_default();
                    if let Some(account) = arn
                        .split(':')
                        .nth(4)
                        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
                    {
                        let id = Origin::Identity(vec![("account_id", account.to_string())]);
                        creds.push(Binding::new(
                            id,
                            ctx.hop(format!("assume role in AWS account {account}"), role.line),
                        ));
                    }
                }
                self.authenticate(
                    ctx,
                    st,
                    &creds,
                    &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"],
                    line,
                );
            }
            "google-github-actions/auth" => {
                let mut creds: Vec<Binding> = inputs.iter().flat_map(|(_, b, _)| b.clone()).collect();
                if let Some(sa) = with("service_account").and_then(|e| e.value.str().map(|s| (s, e.line))) {
                    let id = Origin::Identity(vec![("client_email", sa.0.to_string())]);
                    creds.push(Binding::new(id, ctx.hop(format!("authenticate as {}", sa.0), sa.1)));
                }
                self.authenticate(ctx, st, &creds, &["GOOGLE_APPLICATION_CREDENTIALS"], line);
            }
            "docker/login-action" => {
                // The user name is not a credential.
                let mut creds: Vec<Binding> =
                    inputs.iter().filter(|(k, ..)| k != "username").flat_map(|(_, b, _)| b.clone()).collect();
                let registry = with("registry").and_then(|e| e.value.str()).unwrap_or("docker.io");
                if let Some(user) = with("username")
                    .and_then(|e| e.value.str().map(|s| (s, e.line)))
                    .filter(|u| !u.0.contains("${{"))
                {
                    let id = Origin::Identity(vec![
                        ("registry", registry.to_string()),
                        ("user", user.0.to_string()),
                    ]);
                    creds.push(Binding::new(
                        id,
                        ctx.hop(format!("docker login {registry} as {}", user.0), user.1),
                    ));
                }
                // `docker login` stores the credential in the home directory.
                let config = "~/.docker/config.json";
                let stored = creds.iter().map(|b| b.then(ctx.hop(config, line)));
                st.written.entry(config.to_string()).or_default().extend(stored);
                self.authenticate(ctx, st, &creds, &["DOCKER_CONFIG"], line);
            }
            "actions/github-script" => {
                if let Some(script) = with("script") {
                    let text = script.value.str().unwrap_or_default();
                    let start = if text.contains('\n') { script.value.line } else { script.line };
                    self.github_script(ctx, env, text, start, st);
                }
            }
            _ if uses.starts_with("./") => self.composite(ctx, uses, inputs, st, depth),
            _ => {}
        }
        if unpinned_third_party(uses) {
            let mut given: Vec<&Binding> = inputs.iter().flat_map(|(_, b, _)| b).collect();
            given.extend(env.values().flatten());
            for b in given.into_iter().filter(|b| !matches!(b.origin, Origin::File(_))) {
                ctx.emit(self.out, line, Sink::UnpinnedAction, b, ctx.hop(format!("uses {uses}"), line));
            }
        }
    }

    /// `actions/github-script`: JavaScript whose `core.info`/`console.log` calls print to the
    /// job log. A secret reaches a print from `${{ }}`, `process.env.X` or a `const`/`let`/
    /// `var` assigned from them; a transformation on the way (`Buffer.from(…).toString`,
    /// `btoa`, `split`, `slice`…) defeats the log's masking.
    fn github_script(&mut self, ctx: &Ctx, env: &Env, text: &str, start: u64, st: &mut JobState) {
        const PRINTS: &[&str] = &[
            "core.info(",
            "core.notice(",
            "core.warning(",
            "core.error(",
            "core.debug(",
            "console.log(",
            "console.error(",
        ];
        const TRANSFORMS: &[&str] = &[
            "Buffer.from(",
            "btoa(",
            ".toString(",
            ".split(",
            ".slice(",
            ".substring(",
            ".substr(",
            ".replace(",
            ".reverse(",
            ".join(",
            "encodeURIComponent(",
            "escape(",
        ];
        let mut vars: Env = Env::new();
        for (i, l) in text.lines().enumerate() {
            let at = start + i as u64;
            let transformed = TRANSFORMS.iter().any(|t| l.contains(t));
            let mut values = self.resolve(ctx, env, l, at, &mut st.held);
            let code = javascript::code(l);
            for name in javascript::env_reads(&code) {
                values.extend(ctx.lookup(env, name, at));
            }
            for (name, bs) in &vars {
                if javascript::mentions(&code, name) {
                    values.extend(bs.iter().cloned());
                }
            }
            if let Some(var) = javascript::declared(l) {
                let hop = ctx.hop(format!("script {var}"), at);
                let bound = values
                    .iter()
                    .map(|b| Binding { unmasked: b.unmasked || transformed, ..b.then(hop.clone()) });
                vars.insert(var.to_string(), bound.collect());
                continue;
            }
            let Some(print) = PRINTS.iter().find(|p| l.contains(*p)) else { continue };
            let call = print.trim_end_matches('(');
            for b in values {
                let sink = if transformed || b.unmasked { Sink::TransformedPrint } else { Sink::LogPrint };
                ctx.emit(self.out, at, sink, &b, ctx.hop(format!("github-script {call}"), at));
            }
        }
    }

    /// A login step: later steps hold its credentials (as these variables).
    fn authenticate(&mut self, ctx: &Ctx, st: &mut JobState, creds: &[Binding], vars: &[&str], line: u64) {
        for var in vars {
            let bs: Vec<Binding> =
                creds.iter().map(|b| b.then(ctx.hop(format!("env {var}"), line))).collect();
            if !bs.is_empty() {
                st.env.entry((*var).to_string()).or_default().extend(bs.iter().cloned());
                st.held.extend(bs);
            }
        }
    }

    /// A local composite action: its steps run in the job with `inputs.*` bound.
    fn composite(
        &mut self,
        ctx: &Ctx,
        uses: &str,
        inputs: &[(String, Vec<Binding>, u64)],
        st: &mut JobState,
        depth: usize,
    ) {
        if depth >= MAX_DEPTH {
            return;
        }
        let dir = uses.trim_start_matches("./").trim_end_matches('/');
        let Some(path) =
            ["action.yml", "action.yaml"].iter().map(|f| format!("{dir}/{f}")).find(|p| self.repo.has(p))
        else {
            return;
        };
        let Some(doc) = self.repo.yaml(&path) else { return };
        let Some(runs) = doc.get("runs") else { return };
        let saved = std::mem::take(&mut st.env);
        let mut env = saved.clone();
        for (name, bs, _) in inputs {
            env.insert(format!("inputs.{name}"), bs.clone());
        }
        st.env = env;
        let inner = Ctx { file: &path, ..ctx.clone() };
        for step in runs.get("steps").map_or(&[][..], Node::items) {
            self.step(&inner, step, st, depth + 1);
        }
        st.env = saved;
    }

    /// `env:` entries over `base`: expressions resolve, anything else is a literal.
    fn env_block(&mut self, ctx: &Ctx, node: Option<&Node>, base: &Env, held: &mut Vec<Binding>) -> Env {
        let mut env = base.clone();
        let Some(node) = node else { return env };
        for (name, value, line) in node.pairs() {
            let hop = ctx.hop(format!("env.{name}"), line);
            let bs: Vec<Binding> = if value.contains("${{") {
                self.resolve(ctx, &env, &value, line, held).into_iter().map(|b| b.then(hop.clone())).collect()
            } else if !value.trim().is_empty() {
                vec![ctx.literal(self.out, line, format!("env.{name}"))]
            } else {
                vec![]
            };
            let debug = ["ACTIONS_STEP_DEBUG", "ACTIONS_RUNNER_DEBUG"].contains(&name.as_str());
            if debug && value.trim().eq_ignore_ascii_case("true") {
                let what = format!("{name}: true");
                ctx.dump(self.out, line, Sink::StepDebug, Sink::StepDebug.base(), &env, &what);
            }
            if !bs.is_empty() {
                env.insert(name, bs);
            }
        }
        env
    }

    /// The bindings of every `${{ … }}` in `text` (at `line`); every one is held by the job.
    fn resolve(
        &mut self,
        ctx: &Ctx,
        env: &Env,
        text: &str,
        line: u64,
        held: &mut Vec<Binding>,
    ) -> Vec<Binding> {
        let mut out = Vec::new();
        for (_, expr) in expressions(text) {
            out.extend(self.expression(ctx, env, expr, line));
        }
        held.extend(out.iter().cloned());
        out
    }

    /// `secrets.NAME`: the secret store's, or in a reusable workflow, whatever each caller
    /// passes as NAME, with the caller's line as the first hop.
    fn secret(&self, ctx: &Ctx, name: &str, line: u64) -> Vec<Binding> {
        let here = ctx.hop(format!("secrets.{name}"), line);
        let store = |name: &str| Origin::Store { name: normalize(name) };
        let mut out = Vec::new();
        for c in self.callers {
            // The caller's secret, named where the caller hands it over, then how.
            let mut given = |caller_name: &str, at: u64, how: String| {
                let origin = Hop::new(format!("secrets.{caller_name}"), &c.file, at);
                out.push(
                    Binding::new(store(caller_name), origin)
                        .then(Hop::new(how, &c.file, at))
                        .then(here.clone()),
                );
            };
            if c.inherit {
                given(name, c.line, "secrets: inherit".into());
            }
            for (_, passed, at) in c.passed.iter().filter(|(called, ..)| called.eq_ignore_ascii_case(name)) {
                for caller_name in passed {
                    given(caller_name, *at, format!("passed as secrets.{name}"));
                }
            }
        }
        if out.is_empty() {
            out.push(Binding::new(store(name), here));
        }
        out
    }

    fn expression(&mut self, ctx: &Ctx, env: &Env, expr: &str, line: u64) -> Vec<Binding> {
        let mut out = Vec::new();
        let lower = expr.to_ascii_lowercase();
        if lower.contains("tojson(secrets)") || lower.contains("secrets[") {
            let what = if lower.contains("tojson(secrets)") { "toJSON(secrets)" } else { "secrets[…]" };
            let b = Binding::new(Origin::All, ctx.hop(what, line));
            ctx.emit(
                self.out,
                line,
                Sink::AllSecrets,
                &b,
                ctx.hop(format!("${{{{ {} }}}}", expr.trim()), line),
            );
            out.push(b);
        }
        for path in output_refs(expr) {
            out.extend(env.get(&path).cloned().unwrap_or_default());
        }
        for (prefix, name) in idents(expr) {
            match prefix {
                "secrets" => out.extend(self.secret(ctx, name, line)),
                "github" if name == "token" => out.push(Binding::new(
                    Origin::Store { name: "GITHUB_TOKEN".into() },
                    ctx.hop("github.token", line),
                )),
                "env" => out.extend(env.get(name).cloned().unwrap_or_default()),
                "inputs" => out.extend(env.get(&format!("inputs.{name}")).cloned().unwrap_or_default()),
                _ => {}
            }
        }
        out
    }
}

/// Whether an expression reads an event field that whoever opens the pull request, issue
/// or comment writes: titles, bodies, branch names, commit messages and authors.
fn attacker_written(expr: &str) -> bool {
    let e = expr.trim().to_ascii_lowercase();
    const FIELDS: &[&str] = &[
        ".title",
        ".body",
        ".head.ref",
        ".head.label",
        ".head_branch",
        ".head_commit.message",
        ".head_commit.author",
        ".display_title",
        ".commits",
        ".pages",
    ];
    e.contains("github.head_ref") || e.contains("github.event.") && FIELDS.iter().any(|f| e.contains(f))
}

/// Whether a script runs files it finds in `path` (of the workspace): an interpreter, a
/// build tool or `./x` on a line, naming `path` unless it is the workspace itself.
fn executes(script: &str, path: &str) -> bool {
    const RUNNERS: &[&str] =
        &["bash", "sh", "source", ".", "python", "python3", "node", "npm", "npx", "yarn", "pnpm", "make"];
    let runs = script.lines().any(|l| {
        let first = l.split_whitespace().next().unwrap_or_default();
        RUNNERS.contains(&first) || first.starts_with("./")
    });
    runs && (path == "." || script.contains(path))
}

/// The job token's permissions as written: `permissions: write-all`, the entries that grant
/// `write`, `read-only`, or the repository's default when the workflow says nothing.
fn token_scope(permissions: Option<&Node>) -> String {
    let Some(p) = permissions else { return "repository default permissions".into() };
    if let Some(all) = p.str() {
        return all.to_string();
    }
    let writes: Vec<String> =
        p.pairs().into_iter().filter(|(_, v, _)| v == "write").map(|(k, v, _)| format!("{k}: {v}")).collect();
    if writes.is_empty() {
        "read-only".into()
    } else {
        writes.join(", ")
    }
}

/// What the job token can do decides what untrusted code holding it can do: a token that
/// may write (`contents: write`, `packages: write`, `id-token: write`, `write-all`) keeps
/// the path's severity; under the repository's default (read-only for repositories made
/// since 2023, write for older ones) it is at most medium, which a fork-reachable trigger
/// raises to high. Any other secret keeps its severity.
fn job_token_severity(b: &Binding, scope: &str, severity: Severity) -> Severity {
    match &b.origin {
        Origin::Store { name } if name == "GITHUB_TOKEN" && !scope.contains("write") => {
            severity.min(Severity::Medium)
        }
        _ => severity,
    }
}

/// A path under the workspace, relative (`${{ github.workspace }}/dist` → `dist`).
fn workspace_relative(path: &str) -> String {
    let p = path.replace("${{ github.workspace }}", ".").replace("$GITHUB_WORKSPACE", ".");
    let p = p.trim_start_matches("./");
    if p.is_empty() {
        ".".into()
    } else {
        p.to_string()
    }
}

/// The `${{ … }}` spans of `text`: byte offset of each opening, inner text.
fn expressions(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${{").map(|i| i + from) {
        let inner = start + 3;
        let Some(len) = text[inner..].find("}}") else { break };
        out.push((start, &text[inner..inner + len]));
        from = inner + len + 2;
    }
    out
}

/// `context.name` pairs of an expression (`secrets.X`, `env.Y`, `inputs.z`, `github.token`).
fn idents(expr: &str) -> Vec<(&str, &str)> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = Vec::new();
    for ctx in ["secrets", "env", "inputs", "github"] {
        let mut from = 0;
        while let Some(at) = expr[from..].find(ctx).map(|i| i + from) {
            from = at + ctx.len();
            let before_ok = at == 0 || !expr[..at].ends_with(|c: char| is_ident(c) || c == '.');
            let Some(after) = expr[from..].strip_prefix('.') else { continue };
            let name: &str = &after[..after.find(|c: char| !is_ident(c)).unwrap_or(after.len())];
            if before_ok && !name.is_empty() {
                out.push((ctx, name));
            }
        }
    }
    out
}

/// `steps.<id>.outputs.<name>` and `needs.<job>.outputs.<name>` references of an expression.
fn output_refs(expr: &str) -> Vec<String> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = Vec::new();
    for ctx in ["steps.", "needs."] {
        let mut from = 0;
        while let Some(at) = expr[from..].find(ctx).map(|i| i + from) {
            from = at + ctx.len();
            let rest = &expr[at..];
            let end = rest.find(|c: char| !(is_ident(c) || c == '.')).unwrap_or(rest.len());
            let parts: Vec<&str> = rest[..end].split('.').collect();
            if let [scope, id, "outputs", name, ..] = parts.as_slice() {
                out.push(format!("{scope}.{id}.outputs.{name}"));
            }
        }
    }
    out
}

/// A third-party action or reusable workflow pinned by something other than a full commit SHA.
fn unpinned_third_party(uses: &str) -> bool {
    if let Some(image) = uses.strip_prefix("docker://") {
        // An image is pinned by its digest; a tag can be pushed again.
        return !image.contains("@sha256:");
    }
    if uses.starts_with("./") {
        return false;
    }
    let Some((name, pin)) = uses.split_once('@') else { return false };
    let owner = name.split('/').next().unwrap_or_default().to_ascii_lowercase();
    let sha = pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit());
    !["actions", "github"].contains(&owner.as_str()) && !sha
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_contexts() {
        assert_eq!(
            idents(" secrets.A && env.B_C || inputs.d-e "),
            vec![("secrets", "A"), ("env", "B_C"), ("inputs", "d-e")]
        );
        assert_eq!(idents("github.token"), vec![("github", "token")]);
        assert!(idents("mysecrets.X").is_empty());
        assert_eq!(expressions("a ${{ x }} b ${{y}}"), vec![(2, " x "), (13, "y")]);
    }

    #[test]
    fn pinning() {
        assert!(unpinned_third_party("someorg/deploy-action@v2"));
        assert!(!unpinned_third_party("someorg/deploy-action@0123456789abcdef0123456789abcdef01234567"));
        assert!(!unpinned_third_party("actions/checkout@v4"));
        assert!(!unpinned_third_party("./.github/actions/x"));
        assert!(unpinned_third_party("docker://alpine:3.20"));
        let digest = format!("docker://alpine@sha256:{}", "ab".repeat(32));
        assert!(!unpinned_third_party(&digest));
    }
}
