//! Dockerfiles: `ARG` and `ENV` (secret-looking names and literal values persist in the
//! image), `COPY`/`ADD` of repository files (the build context minus `.dockerignore`), and
//! `RUN` scripts. Also the index of declared `ARG`s, so that a CI build argument's chain
//! continues into the Dockerfile that receives it.
use std::collections::{BTreeMap, BTreeSet};

use super::flow::{dollar_vars, normalize, secret_like, Binding, Ctx, Env, FileSet, Flow, Origin, Out};
use super::{Ci, Hop, Repo, Sink};

/// Every Dockerfile's declared `ARG`s: name → where.
#[derive(Debug, Default)]
pub(crate) struct Images {
    args: BTreeMap<String, Vec<Hop>>,
}

pub(crate) fn is_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.") && !name.ends_with(".dockerignore")
        || name.ends_with(".dockerfile")
}

impl Images {
    /// Analyse every Dockerfile of the repository.
    pub fn build(repo: &Repo, out: &mut Out) -> Self {
        let mut images = Self::default();
        let dockerfiles: Vec<&String> = repo.paths.iter().filter(|p| is_dockerfile(p)).collect();
        // Targets only matter to Dockerfiles; a repository without one reads no file for them.
        let targets = if dockerfiles.is_empty() { BTreeSet::new() } else { build_targets(repo) };
        for path in dockerfiles {
            let Some(text) = (repo.read)(path) else { continue };
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            let ignore_file = [format!("{path}.dockerignore"), join(dir, ".dockerignore")]
                .into_iter()
                .find(|p| repo.has(p));
            let ignore: Vec<String> = ignore_file
                .and_then(|p| (repo.read)(&p))
                .map(|t| t.lines().map(str::to_string).collect())
                .unwrap_or_default();
            images.file(path, dir, &text, &ignore, &targets, out);
        }
        images
    }

    fn file(
        &mut self,
        path: &str,
        context: &str,
        text: &str,
        ignore: &[String],
        targets: &BTreeSet<String>,
        out: &mut Out,
    ) {
        let ctx = Ctx {
            ci: Ci::Dockerfile,
            file: path,
            job: None,
            step: None,
            fork: false,
            store_vars: false,
            store_ref: ("$", ""),
        };
        let mut env = Env::new();
        let mut written = Env::new();
        let mut stages: Vec<Stage> = Vec::new();
        // Flows of one instruction: image sinks belong to its stage, the rest (literals in
        // the file, what `RUN` sends at build time) stand whatever the final image holds.
        let mut here = Out::default();
        for (line, instr) in instructions(text) {
            let (op, rest) = instr.split_once(char::is_whitespace).unwrap_or((&instr, ""));
            let rest = rest.trim();
            let op = op.to_ascii_uppercase();
            match op.as_str() {
                "FROM" => {
                    env.clear();
                    stages.push(Stage::from(rest, &stages));
                }
                "WORKDIR" => {
                    if let Some(stage) = stages.last_mut() {
                        stage.workdir = stage.resolve(rest);
                    }
                }
                "ARG" => self.arg(&ctx, rest, line, &mut env, &mut here),
                "ENV" => env_instruction(&ctx, rest, line, &mut env, &mut here),
                "COPY" | "ADD" => {
                    let words: Vec<&str> = rest.split_whitespace().collect();
                    if words.first().is_some_and(|w| w.starts_with('[')) {
                        continue;
                    }
                    let args: Vec<&str> = words.iter().copied().filter(|w| !w.starts_with("--")).collect();
                    let Some((dest, sources)) = args.split_last() else { continue };
                    let Some(stage) = stages.last_mut() else { continue };
                    let dest = stage.resolve(dest);
                    if let Some(from) = words.iter().find_map(|w| w.strip_prefix("--from=")) {
                        let srcs = sources.iter().map(|s| s.to_string()).collect();
                        stage.from.push((
                            from.to_string(),
                            srcs,
                            ctx.hop(format!("{op} --from={from}"), line),
                        ));
                        continue;
                    }
                    let before = here.flows.len();
                    copy(&ctx, &op, context, sources, ignore, line, &mut here);
                    stage.copies.extend(here.flows.drain(before..).map(|f| (dest.clone(), f)));
                }
                "RUN" => {
                    let script: Vec<&str> = rest.split(' ').skip_while(|w| w.starts_with("--")).collect();
                    ctx.script(&mut here, &env, &mut written, &script.join(" "), line);
                }
                _ => {}
            }
            let (image, other): (Vec<Flow>, Vec<Flow>) =
                here.flows.drain(..).partition(|f| f.sink.is_image());
            out.flows.extend(other);
            out.pushes.append(&mut here.pushes);
            match stages.last_mut() {
                Some(stage) => stage.image.extend(image),
                None => out.flows.extend(image),
            }
        }
        // The images built: the stages a build names as its target, else the last stage.
        let named: Vec<usize> = (0..stages.len())
            .filter(|&i| stages[i].name.as_ref().is_some_and(|n| targets.contains(n)))
            .collect();
        let built = if named.is_empty() { stages.len().checked_sub(1).into_iter().collect() } else { named };
        for at in built {
            final_image(&stages, at, out);
        }
    }

    /// `ARG NAME[=default]`: declared (for CI build arguments), bound, and an image sink
    /// when its name looks secret (build arguments stay in the image history).
    fn arg(&mut self, ctx: &Ctx, rest: &str, line: u64, env: &mut Env, out: &mut Out) {
        for decl in rest.split_whitespace() {
            let (name, default) = decl.split_once('=').map_or((decl, None), |(n, d)| (n, Some(d)));
            self.args.entry(normalize(name)).or_default().push(ctx.hop(format!("ARG {name}"), line));
            let what = format!("ARG {name}");
            let b = match default.filter(|d| !d.trim_matches(['"', '\'']).is_empty()) {
                Some(d) if dollar_vars(d).is_empty() => ctx.literal(out, line, what.clone()),
                _ => Binding::new(Origin::Name { name: normalize(name) }, ctx.hop(what.clone(), line)),
            };
            if secret_like(name) {
                let hop = ctx.hop("image history", line);
                ctx.emit_as(out, line, Sink::ImageBuildArg, Sink::ImageBuildArg.base(), &b, hop, None);
            }
            env.insert(name.to_string(), vec![b]);
        }
    }

    /// A CI build argument continues into the Dockerfiles that declare it.
    pub fn annotate(&self, flows: &mut [Flow]) {
        for f in flows.iter_mut().filter(|f| f.sink == Sink::ImageBuildArg && f.ci != Ci::Dockerfile) {
            let Some(arg) = &f.arg else { continue };
            if let Some(decl) = self.args.get(&normalize(arg)).and_then(|d| d.first()) {
                f.chain.push(decl.clone());
            }
        }
    }
}

/// Stage names that a build in the repository targets: `docker build --target NAME` (and
/// `buildx`, `podman`) in any CI file or script, and a YAML `target:` key
/// (`docker/build-push-action`, compose `build.target`). Matched to stages by name in every
/// Dockerfile: a build with a target builds that stage, not the last one, and a file copied
/// only into another stage does not reach its image.
fn build_targets(repo: &Repo) -> BTreeSet<String> {
    let name = |s: &str| -> Option<String> {
        let n: String = s
            .trim_start_matches(['=', ' ', '\t', '"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "_.-".contains(*c))
            .collect();
        (!n.is_empty()).then(|| n.to_ascii_lowercase())
    };
    let mut targets = BTreeSet::new();
    for path in repo.paths.iter().filter(|p| !is_dockerfile(p)) {
        let Some(text) = (repo.read)(path) else { continue };
        let yaml = path.ends_with(".yml") || path.ends_with(".yaml");
        // Only a line holding `target` can name one: such lines are found by a byte search,
        // each taken once, instead of testing every line of every file.
        let mut next = 0;
        for at in memchr::memmem::find_iter(text.as_bytes(), "target") {
            if at < next {
                continue;
            }
            let start = memchr::memrchr(b'\n', &text.as_bytes()[..at]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |i| at + i);
            next = end;
            let line = text[start..end].trim_end_matches('\r');
            if ["docker", "buildx", "podman"].iter().any(|d| line.contains(d)) {
                for (at, _) in line.match_indices("--target") {
                    targets.extend(name(&line[at + "--target".len()..]));
                }
            }
            if let Some(value) =
                line.trim_start().trim_start_matches("- ").strip_prefix("target:").filter(|_| yaml)
            {
                targets.extend(name(value));
            }
        }
    }
    targets
}

/// One build stage: what it puts into its image, what it copies from other stages.
#[derive(Debug, Default)]
struct Stage {
    name: Option<String>,
    /// The earlier stage it starts from (`FROM build AS test`): its image is inherited.
    base: Option<usize>,
    workdir: String,
    /// Build arguments and `ENV` of this stage.
    image: Vec<Flow>,
    /// Build-context files copied in, by their absolute destination.
    copies: Vec<(String, Flow)>,
    /// `COPY --from=stage src…`: the stage, its sources, the hop.
    from: Vec<(String, Vec<String>, Hop)>,
}

impl Stage {
    /// `FROM image [AS name]`.
    fn from(rest: &str, earlier: &[Stage]) -> Self {
        let words: Vec<&str> = rest.split_whitespace().filter(|w| !w.starts_with("--")).collect();
        let image = words.first().copied().unwrap_or_default();
        let name = match words.as_slice() {
            [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => Some(name.to_ascii_lowercase()),
            _ => None,
        };
        let base = find_stage(earlier, image);
        let workdir = base.map_or_else(|| "/".to_string(), |b| earlier[b].workdir.clone());
        Self { name, base, workdir, ..Self::default() }
    }

    /// An absolute path in this stage (relative paths are under `WORKDIR`).
    fn resolve(&self, path: &str) -> String {
        let path = path.trim_matches(['"', '\'']);
        let joined =
            if path.starts_with('/') { path.to_string() } else { format!("{}/{path}", self.workdir) };
        let parts: Vec<&str> = joined.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        format!("/{}", parts.join("/"))
    }
}

/// A stage named `name` (or numbered) among `stages`, the latest first.
fn find_stage(stages: &[Stage], name: &str) -> Option<usize> {
    let name = name.to_ascii_lowercase();
    if let Ok(n) = name.parse::<usize>() {
        return (n < stages.len()).then_some(n);
    }
    stages.iter().rposition(|s| s.name.as_deref() == Some(name.as_str()))
}

/// Emit what reaches the image of stage `at` (a built image: the target of a build, or the
/// last stage): its own and its base stages' arguments, `ENV` and copies, and context files that
/// a `COPY --from` takes whole (the source is the directory they were copied to, or above it;
/// a built file below it, such as `/app/bin/server`, is not the context).
fn final_image(stages: &[Stage], at: usize, out: &mut Out) {
    let mut chain = vec![at];
    while let Some(b) = chain.last().and_then(|&s| stages[s].base) {
        if chain.contains(&b) {
            break;
        }
        chain.push(b);
    }
    let mut taken: Vec<Flow> = Vec::new();
    for &s in &chain {
        let froms = stages[s].from.clone();
        for (from, srcs, hop) in froms {
            let Some(src_stage) = find_stage(&stages[..s], &from) else { continue };
            let src_paths: Vec<String> = srcs.iter().map(|p| stages[src_stage].resolve(p)).collect();
            for (dest, flow) in &stages[src_stage].copies {
                if src_paths
                    .iter()
                    .any(|src| src == "/" || dest == src || dest.starts_with(&format!("{src}/")))
                {
                    let mut f = flow.clone();
                    f.line = hop.line;
                    f.chain.push(hop.clone());
                    taken.push(f);
                }
            }
        }
    }
    for &s in &chain {
        out.flows.extend(stages[s].image.iter().cloned());
        out.flows.extend(stages[s].copies.iter().map(|(_, f)| f.clone()));
    }
    out.flows.extend(taken);
}

/// `COPY`/`ADD` of build-context files.
fn copy(ctx: &Ctx, op: &str, context: &str, sources: &[&str], ignore: &[String], line: u64, out: &mut Out) {
    for src in sources.iter().filter(|s| !s.contains("://")) {
        let Some(set) = FileSet::new(context, &[src], ignore) else { continue };
        let what =
            if ignore.is_empty() { format!("{op} {src} (no .dockerignore)") } else { format!("{op} {src}") };
        let dir = if context.is_empty() { "." } else { context };
        let b = Binding::new(Origin::File(set), ctx.hop(format!("build context {dir}"), line));
        ctx.emit(out, line, Sink::ImageCopy, &b, ctx.hop(what, line));
    }
}

/// `ENV A=1 B=$X`: literals and references bound, each an image sink.
fn env_instruction(ctx: &Ctx, rest: &str, line: u64, env: &mut Env, out: &mut Out) {
    for (name, value) in env_pairs(rest) {
        let what = format!("ENV {name}");
        let refs = dollar_vars(&value);
        let bs: Vec<Binding> = if refs.is_empty() {
            if value.is_empty() {
                continue;
            }
            vec![ctx.literal(out, line, what.clone())]
        } else {
            refs.iter()
                .flat_map(|r| env.get(r).cloned().unwrap_or_default())
                .map(|b| b.then(ctx.hop(what.clone(), line)))
                .collect()
        };
        for b in &bs {
            ctx.emit(out, line, Sink::ImageEnv, b, ctx.hop("image config", line));
        }
        env.insert(name, bs);
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// `ENV A=1 B="2"` and the legacy `ENV A 1`.
fn env_pairs(rest: &str) -> Vec<(String, String)> {
    let unquote = |v: &str| v.trim_matches(['"', '\'']).to_string();
    match rest.split_once(char::is_whitespace) {
        Some((name, value)) if !name.contains('=') => vec![(name.to_string(), unquote(value.trim()))],
        _ => rest
            .split_whitespace()
            .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), unquote(v))))
            .collect(),
    }
}

/// Logical instructions with their first line: comments dropped, `\` continuations joined.
fn instructions(text: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u64, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if current.is_none() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if current.is_some() && line.starts_with('#') {
            continue;
        }
        let (body, more) = match line.strip_suffix('\\') {
            Some(b) => (b.trim_end(), true),
            None => (line, false),
        };
        let entry = current.get_or_insert_with(|| (i as u64 + 1, String::new()));
        if !entry.1.is_empty() {
            entry.1.push(' ');
        }
        entry.1.push_str(body);
        if !more {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_join_continuations() {
        let got = instructions("# c\nFROM x\nRUN a \\\n  && b\n\nENV A=1\n");
        assert_eq!(got, vec![(2, "FROM x".into()), (3, "RUN a && b".into()), (6, "ENV A=1".into())]);
        assert_eq!(env_pairs("A 1 2"), vec![("A".into(), "1 2".into())]);
        assert_eq!(env_pairs("A=\"x\" B=$C"), vec![("A".into(), "x".into()), ("B".into(), "$C".into())]);
        assert!(
            is_dockerfile("a/Dockerfile")
                && is_dockerfile("Dockerfile.prod")
                && is_dockerfile("x.Dockerfile")
        );
        assert!(!is_dockerfile("Dockerfile.dockerignore"));
    }

    #[test]
    fn copy_args_env_and_ignore() {
        let mut out = Out::default();
        let mut images = Images::default();
        let text = "FROM node\nARG NPM_TOKEN\nENV TOKEN=$NPM_TOKEN\nCOPY . .\nCOPY --from=b /x /y\n";
        images.file("app/Dockerfile", "app", text, &[".env".into()], &BTreeSet::new(), &mut out);
        let sinks: Vec<(u64, Sink)> = out.flows.iter().map(|f| (f.line, f.sink)).collect();
        assert_eq!(sinks, [(2, Sink::ImageBuildArg), (3, Sink::ImageEnv), (4, Sink::ImageCopy)]);
        let Origin::File(set) = &out.flows[2].origin else { panic!("a file origin") };
        assert!(set.matches("app/src/x.js") && !set.matches("app/.env") && !set.matches("src/x.js"));
        assert_eq!(
            out.flows[1].chain.iter().map(|h| h.what.as_str()).collect::<Vec<_>>(),
            ["ARG NPM_TOKEN", "ENV TOKEN", "image config"]
        );
    }
}
