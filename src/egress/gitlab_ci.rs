//! GitLab CI: `.gitlab-ci.yml` and its local includes. `variables:` (global and per job;
//! plaintext in the repository), `CI_DEBUG_TRACE`/`CI_DEBUG_SERVICES`, jobs' `before_script`,
//! `script`, `after_script`, `artifacts` and `cache`, with `extends` followed. An undefined
//! secret-looking `$X` is a project or group variable.
use super::flow::{dollar_vars, Binding, Ctx, Env, Out};
use super::yaml::Node;
use super::{Ci, Repo, Sink};
use crate::rules::Severity;

/// Top-level keys that are not jobs.
const RESERVED: &[&str] = &[
    "image",
    "services",
    "stages",
    "types",
    "before_script",
    "after_script",
    "variables",
    "cache",
    "include",
    "workflow",
    "default",
];
/// Local includes including further local includes: deeper nesting is not followed.
const MAX_INCLUDE_DEPTH: usize = 3;
/// `extends` chains longer than this are not followed.
const MAX_EXTENDS: usize = 5;

pub(crate) fn flows(repo: &Repo, out: &mut Out) {
    if repo.paths.iter().any(|p| p == ".gitlab-ci.yml") {
        let mut seen = vec![".gitlab-ci.yml".to_string()];
        file(repo, ".gitlab-ci.yml", &Env::new(), out, &mut seen, 0);
    }
}

/// One CI file; `base` holds the variables of the file that includes it.
fn file(repo: &Repo, path: &str, base: &Env, out: &mut Out, seen: &mut Vec<String>, depth: usize) {
    let Some(doc) = repo.yaml(path) else { return };
    let top = Ctx {
        ci: Ci::GitlabCi,
        file: path,
        job: None,
        step: None,
        fork: false,
        store_vars: true,
        store_ref: ("$", ""),
    };
    let genv = variables(&top, out, doc.get("variables"), base);
    for job in doc.entries().iter().filter(|e| !RESERVED.contains(&e.key.as_str()) && !e.key.starts_with('.'))
    {
        if job.value.entries().is_empty() {
            continue;
        }
        let ctx = Ctx { job: Some(job.key.clone()), ..top.clone() };
        let chain = extends(&doc, &job.value);
        let get = |key: &str| {
            chain
                .iter()
                .find_map(|n| n.get(key))
                .or_else(|| doc.get("default").and_then(|d| d.get(key)))
                .or_else(|| doc.get(key).filter(|_| key != "variables"))
        };
        let mut env = genv.clone();
        for template in chain.iter().rev() {
            env = variables(&ctx, out, template.get("variables"), &env);
        }
        let mut written = Env::new();
        for key in ["before_script", "script", "after_script"] {
            for (line, text) in
                get(key).map(Node::strings).unwrap_or_default().into_iter().map(|(s, l)| (l, s))
            {
                ctx.script(out, &env, &mut written, text, line);
            }
        }
        if let Some(artifacts) = get("artifacts") {
            let mut paths = artifacts.get("paths").map(Node::strings).unwrap_or_default();
            if let Some(reports) = artifacts.get("reports") {
                paths.extend(reports.get("dotenv").map(Node::strings).unwrap_or_default());
            }
            ctx.upload(out, &written, &paths, Sink::ArtifactUpload, "artifacts path");
        }
        if let Some(cache) = get("cache") {
            let caches = if cache.items().is_empty() { std::slice::from_ref(cache) } else { cache.items() };
            for c in caches {
                ctx.upload(
                    out,
                    &written,
                    &c.get("paths").map(Node::strings).unwrap_or_default(),
                    Sink::CacheUpload,
                    "cache path",
                );
            }
        }
    }
    if depth < MAX_INCLUDE_DEPTH {
        for inc in includes(&doc) {
            if repo.has(&inc) && !seen.contains(&inc) {
                seen.push(inc.clone());
                file(repo, &inc, &genv, out, seen, depth + 1);
            }
        }
    }
}

/// The job, then the templates it extends, nearest first.
fn extends<'a>(doc: &'a Node, job: &'a Node) -> Vec<&'a Node> {
    let mut chain = vec![job];
    let mut at = job;
    while chain.len() < MAX_EXTENDS {
        let Some(parent) = at
            .get("extends")
            .and_then(|e| e.strings().first().map(|(s, _)| *s))
            .and_then(|name| doc.get(name))
        else {
            break;
        };
        chain.push(parent);
        at = parent;
    }
    chain
}

/// Local includes: `include: path`, `include: [path, {local: path}]`.
fn includes(doc: &Node) -> Vec<String> {
    let Some(inc) = doc.get("include") else { return vec![] };
    let items = if inc.items().is_empty() { std::slice::from_ref(inc) } else { inc.items() };
    items
        .iter()
        .filter_map(|i| i.str().or_else(|| i.get("local").and_then(Node::str)))
        .filter(|p| !p.contains("://"))
        .map(|p| p.trim_start_matches('/').to_string())
        .collect()
}

/// `variables:` over `base`: `K: v` or `K: {value: v}`; `$Y` references resolve, other values
/// are literals. `CI_DEBUG_TRACE: "true"` makes the runner trace every command with every
/// variable expanded, masked ones included.
fn variables(ctx: &Ctx, out: &mut Out, node: Option<&Node>, base: &Env) -> Env {
    let mut env = base.clone();
    let Some(node) = node else { return env };
    let mut debug = Vec::new();
    for e in node.entries() {
        let value = e.value.str().or_else(|| e.value.get("value").and_then(Node::str)).unwrap_or_default();
        let name = &e.key;
        if ["CI_DEBUG_TRACE", "CI_DEBUG_SERVICES"].contains(&name.as_str()) {
            if value.eq_ignore_ascii_case("true") {
                debug.push((format!("{name}: true"), e.line));
            }
            continue;
        }
        let refs = dollar_vars(value);
        let what = format!("variables.{name}");
        let bs: Vec<Binding> = if refs.is_empty() {
            if value.is_empty() {
                continue;
            }
            vec![ctx.literal(out, e.line, what)]
        } else {
            refs.iter()
                .flat_map(|r| ctx.lookup(&env, r, e.line))
                .map(|b| b.then(ctx.hop(what.clone(), e.line)))
                .collect()
        };
        env.insert(name.clone(), bs);
    }
    // The trace dumps every variable of the job, whatever its position in the block.
    for (what, line) in debug {
        ctx.dump(out, line, Sink::DebugTrace, Severity::Critical, &env, &what);
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egress::yaml::parse;

    #[test]
    fn includes_and_extends() {
        let doc = parse("include:\n  - local: /ci/a.yml\n  - 'ci/b.yml'\n  - remote: https://x/y.yml\n.t:\n  script: [x]\nj:\n  extends: .t\n")
            .expect("parses");
        assert_eq!(includes(&doc), ["ci/a.yml", "ci/b.yml"]);
        let job = doc.get("j").expect("job");
        assert_eq!(extends(&doc, job).len(), 2);
    }
}
