//! Jenkinsfiles (declarative or scripted), read line by line rather than parsed as Groovy:
//! `credentials('id')` in `environment`, `withCredentials` bindings, `sh`/`echo` steps
//! (double-quoted strings are interpolated by Groovy before the shell sees them, so a
//! credential lands in the command line, where process listings and `set -x` show it),
//! and `archiveArtifacts`.
use super::flow::{dollar_vars, normalize, Binding, Ctx, Env, FileSet, Origin, Out};
use super::{Ci, Repo, Sink};

fn is_jenkinsfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Jenkinsfile" || name.starts_with("Jenkinsfile.") || name.ends_with(".jenkinsfile")
}

pub(crate) fn flows(repo: &Repo, out: &mut Out) {
    for path in repo.paths.iter().filter(|p| is_jenkinsfile(p)) {
        if let Some(text) = (repo.read)(path) {
            file(path, &text, out);
        }
    }
}

fn file(path: &str, text: &str, out: &mut Out) {
    let mut ctx = Ctx {
        ci: Ci::Jenkins,
        file: path,
        job: None,
        step: None,
        fork: false,
        store_vars: false,
        store_ref: ("$", ""),
    };
    let mut env = Env::new();
    let mut written = Env::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line_no = i as u64 + 1;
        let line = lines[i].trim();
        i += 1;
        if line.starts_with("//") {
            continue;
        }
        if let Some(stage) = quoted_arg(line, "stage(") {
            ctx.job = Some(stage);
        }
        bind_credentials(&ctx, line, line_no, &mut env);
        if let Some((name, rhs)) = assignment(line) {
            if !rhs.contains("credentials(")
                && (rhs.starts_with('\'') || rhs.starts_with('"'))
                && dollar_vars(rhs).is_empty()
            {
                let b = ctx.literal(out, line_no, format!("environment {name}"));
                env.insert(name.to_string(), vec![b]);
            }
        }
        if let Some(paths) = line.strip_prefix("archiveArtifacts") {
            let patterns: Vec<String> = quoted_strings(paths)
                .into_iter()
                .flat_map(|p| p.split(',').map(|s| s.trim().to_string()).collect::<Vec<_>>())
                .collect();
            for p in &patterns {
                if let Some(set) = FileSet::new("", &[p], &[]) {
                    let b = Binding::new(Origin::File(set), ctx.hop(p.clone(), line_no));
                    ctx.emit(out, line_no, Sink::ArtifactUpload, &b, ctx.hop("archiveArtifacts", line_no));
                }
            }
        }
        let step = ["sh", "bat", "powershell", "echo"]
            .into_iter()
            .find(|s| line.strip_prefix(s).is_some_and(|r| r.starts_with([' ', '(', '"', '\''])));
        let Some(step) = step else { continue };
        let rest = line[step.len()..].trim_start_matches(['(', ' ']).trim_start_matches("script:").trim();
        let (quote, body, end) = string_literal(rest, &lines, i);
        i = end.max(i);
        if quote.starts_with('"') {
            // Groovy interpolates `${X}`/`$X` before the step runs: the secret is in the
            // command line and, for `echo`, in the log.
            for name in dollar_vars(&body).into_iter().map(|n| n.trim_start_matches("env.").to_string()) {
                for b in env.get(&name).cloned().unwrap_or_default() {
                    let sink = if step == "echo" { Sink::LogPrint } else { Sink::GroovyInterpolation };
                    ctx.emit(out, line_no, sink, &b, ctx.hop(format!("{step} \"…${{{name}}}…\""), line_no));
                }
            }
        } else if step != "echo" {
            ctx.script(out, &env, &mut written, &body, line_no);
        }
    }
}

/// `withCredentials([string(credentialsId: 'id', variable: 'X'), usernamePassword(…,
/// usernameVariable: 'U', passwordVariable: 'P')])` and `X = credentials('id')`.
fn bind_credentials(ctx: &Ctx, line: &str, line_no: u64, env: &mut Env) {
    if let Some((name, rhs)) = assignment(line) {
        if let Some(id) = quoted_arg(rhs, "credentials(") {
            let b = Binding::new(
                Origin::Store { name: normalize(&id) },
                ctx.hop(format!("credentials('{id}')"), line_no),
            );
            env.insert(name.to_string(), vec![b.then(ctx.hop(format!("environment {name}"), line_no))]);
        }
    }
    let mut rest = line;
    while let Some(at) = rest.find("credentialsId:") {
        let tail = &rest[at..];
        let end = tail.find(')').unwrap_or(tail.len());
        let call = &tail[..end];
        if let Some(id) = quoted_arg(call, "credentialsId:") {
            for key in ["variable:", "usernameVariable:", "passwordVariable:", "keyFileVariable:"] {
                if let Some(var) = quoted_arg(call, key) {
                    let b = Binding::new(
                        Origin::Store { name: normalize(&id) },
                        ctx.hop(format!("credentials('{id}')"), line_no),
                    );
                    env.insert(var.clone(), vec![b.then(ctx.hop(format!("withCredentials {var}"), line_no))]);
                }
            }
        }
        rest = &tail[end..];
    }
}

/// `NAME = rhs` (an environment entry or a Groovy assignment).
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (name, rhs) = line.split_once('=')?;
    let name = name.trim().trim_start_matches("def ").trim();
    let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (ok && !rhs.starts_with('=')).then(|| (name, rhs.trim()))
}

/// The quoted argument after `key` (`stage('Build')` → `Build`).
fn quoted_arg(text: &str, key: &str) -> Option<String> {
    let after = text[text.find(key)? + key.len()..].trim_start();
    let q = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &after[1..];
    Some(inner[..inner.find(q)?].to_string())
}

fn quoted_strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(['\'', '"']) {
        let q = rest.as_bytes()[start] as char;
        let inner = &rest[start + 1..];
        let Some(end) = inner.find(q) else { break };
        out.push(inner[..end].to_string());
        rest = &inner[end + 1..];
    }
    out
}

/// The string literal that starts `rest` (`'…'`, `"…"`, `'''…'''`, `"""…"""`, possibly over
/// the following lines): its quote, its body, and the index of the line after it.
fn string_literal(rest: &str, lines: &[&str], next: usize) -> (String, String, usize) {
    for q in ["'''", "\"\"\"", "'", "\""] {
        let Some(open) = rest.strip_prefix(q) else { continue };
        if let Some(end) = open.find(q) {
            return (q.to_string(), open[..end].to_string(), next);
        }
        if q.len() == 3 {
            let mut body = vec![open.to_string()];
            for (j, l) in lines.iter().enumerate().skip(next) {
                if let Some(end) = l.find(q) {
                    body.push(l[..end].to_string());
                    return (q.to_string(), body.join("\n"), j + 1);
                }
                body.push(l.to_string());
            }
        }
        return (q.to_string(), open.to_string(), next);
    }
    (String::new(), rest.to_string(), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groovy_interpolation_and_single_quotes() {
        let text = "pipeline {\n  environment {\n    DEPLOY_TOKEN = credentials('deploy-token')\n  }\n  stages {\n    stage('Deploy') {\n      steps {\n        sh \"curl -H 'X: ${DEPLOY_TOKEN}' https://x.example.org\"\n        sh 'echo $DEPLOY_TOKEN'\n      }\n    }\n  }\n}\n";
        let mut out = Out::default();
        file("Jenkinsfile", text, &mut out);
        let got: Vec<(u64, Sink, Option<&str>)> =
            out.flows.iter().map(|f| (f.line, f.sink, f.job.as_deref())).collect();
        assert_eq!(
            got,
            [(8, Sink::GroovyInterpolation, Some("Deploy")), (9, Sink::LogPrint, Some("Deploy"))]
        );
        assert_eq!(out.flows[0].chain[0].what, "credentials('deploy-token')");
    }

    #[test]
    fn with_credentials_bindings() {
        let ctx = Ctx {
            ci: Ci::Jenkins,
            file: "J",
            job: None,
            step: None,
            fork: false,
            store_vars: false,
            store_ref: ("$", ""),
        };
        let mut env = Env::new();
        bind_credentials(&ctx, "withCredentials([usernamePassword(credentialsId: 'reg', usernameVariable: 'U', passwordVariable: 'P')]) {", 3, &mut env);
        assert_eq!(env.keys().collect::<Vec<_>>(), ["P", "U"]);
        assert!(
            is_jenkinsfile("ci/Jenkinsfile")
                && is_jenkinsfile("deploy.jenkinsfile")
                && !is_jenkinsfile("Jenkins.md")
        );
    }
}
