//! docker-compose files: `build.args` bake values into images; `environment` and
//! `env_file` put values and files into containers. Values are literals (S15) or `${X}`
//! references to the environment the compose command runs in.
use super::flow::{dollar_vars, normalize, Binding, Ctx, FileSet, Origin, Out};
use super::yaml::Node;
use super::{Ci, Repo, Sink};

fn is_compose(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    yaml && (name.starts_with("docker-compose") || name.starts_with("compose."))
}

pub(crate) fn flows(repo: &Repo, out: &mut Out) {
    for path in repo.paths.iter().filter(|p| is_compose(p)) {
        let Some(doc) = repo.yaml(path) else { continue };
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        for service in doc.get("services").map_or(&[][..], Node::entries) {
            let ctx = Ctx {
                ci: Ci::DockerCompose,
                file: path,
                job: Some(service.key.clone()),
                step: None,
                fork: false,
                store_vars: false,
                store_ref: ("$", ""),
            };
            let svc = &service.value;
            if let Some(args) = svc.get("build").and_then(|b| b.get("args")) {
                for (name, value, line) in args.pairs() {
                    for b in values(&ctx, out, &name, &value, line, "build.args") {
                        let hop = ctx.hop(format!("build arg {name}"), line);
                        ctx.emit_as(
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
            }
            if let Some(env) = svc.get("environment") {
                for (name, value, line) in env.pairs() {
                    for b in values(&ctx, out, &name, &value, line, "environment") {
                        ctx.emit(
                            out,
                            line,
                            Sink::ContainerEnv,
                            &b,
                            ctx.hop(format!("container env {name}"), line),
                        );
                    }
                }
            }
            for (file, line) in svc.get("env_file").map(Node::strings).unwrap_or_default() {
                if let Some(set) = FileSet::new(dir, &[file], &[]) {
                    let b = Binding::new(Origin::File(set), ctx.hop(format!("env_file {file}"), line));
                    ctx.emit(out, line, Sink::ContainerEnv, &b, ctx.hop("container env", line));
                }
            }
        }
    }
}

/// A value: `${X}` references (or, when empty, the variable of the same name), or a literal.
fn values(ctx: &Ctx, out: &mut Out, name: &str, value: &str, line: u64, section: &str) -> Vec<Binding> {
    let refs = if value.is_empty() { vec![name.to_string()] } else { dollar_vars(value) };
    if refs.is_empty() {
        return vec![ctx.literal(out, line, format!("{section}.{name}"))];
    }
    refs.iter()
        .map(|r| Binding::new(Origin::Name { name: normalize(r) }, ctx.hop(format!("${{{r}}}"), line)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_file_names() {
        assert!(
            is_compose("docker-compose.yml")
                && is_compose("deploy/compose.yaml")
                && is_compose("docker-compose.prod.yml")
        );
        assert!(!is_compose("composer.json") && !is_compose("compose.txt"));
    }
}
