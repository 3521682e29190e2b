//! Helpers shared by the integration tests: run the built binary, parse its JSON Lines,
//! build git repositories with fixed identities and dates.
#![allow(dead_code)] // each test module uses a different subset

pub mod python;
pub mod tls;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The binary under test.
pub fn sprawl() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sprawl"));
    cmd.env_remove("NO_COLOR").stdin(Stdio::null());
    cmd
}

/// Run `cmd` (its program, arguments, environment and folder) on a pseudo-terminal
/// (util-linux `script`), with `COLUMNS` set as a shell exports it; standard output and
/// standard error both land in the result.
pub fn on_terminal(cmd: &Command, columns: usize) -> String {
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
    let mut line = quote(cmd.get_program());
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]).env("COLUMNS", columns.to_string()).stdin(Stdio::null());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        script.current_dir(dir);
    }
    let out = script.output().expect("script (util-linux) runs");
    String::from_utf8(out.stdout).expect("UTF-8").replace('\r', "")
}

/// The result of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Self {
        Self {
            code: out.status.code().expect("not killed by a signal"),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Findings printed as JSON Lines, in the order `--sort` gives (path, line, column,
    /// rule): streamed JSON Lines come in the order files finish. Other lines (a sweep's
    /// summaries) follow, in output order.
    pub fn findings(&self) -> Vec<Value> {
        let mut lines: Vec<Value> = self
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect();
        lines.sort_by_cached_key(|f| {
            let at = &f["location"];
            let key = (at["path"].as_str().map(str::to_owned), at["line"].as_u64(), at["column"].as_u64());
            (at.is_null(), key, f["rule"].as_str().map(str::to_owned))
        });
        lines
    }

    /// `path:line rule` for each finding, in the order of [`Run::findings`].
    pub fn triples(&self) -> Vec<String> {
        self.findings().iter().map(triple).collect()
    }
}

pub fn triple(f: &Value) -> String {
    format!(
        "{}:{} {}",
        f["location"]["path"].as_str().expect("path"),
        f["location"]["line"],
        f["rule"].as_str().expect("rule")
    )
}

/// Write `contents` to `rel` under `dir`, making its parent directories.
pub fn write(dir: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write fixture");
}

/// sprawl in `dir` with its temporary files in `tmp` and, when given, a spill budget of
/// `budget` bytes (`SPRAWL_SPILL_BUDGET`: a size, `7` or `64M`).
pub fn with_budget(dir: &Path, tmp: &Path, budget: Option<&str>) -> Command {
    let mut cmd = sprawl();
    cmd.current_dir(dir).env("TMPDIR", tmp);
    if let Some(b) = budget {
        cmd.env("SPRAWL_SPILL_BUDGET", b);
    }
    cmd
}

/// Run sprawl with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    Run::from(sprawl().current_dir(dir).args(args).output().expect("sprawl runs"))
}

/// Run sprawl with `args` and `input` on standard input.
pub fn run_stdin(args: &[&str], input: &[u8]) -> Run {
    use std::io::Write;
    let mut child = sprawl()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sprawl starts");
    child.stdin.take().expect("piped").write_all(input).expect("write stdin");
    Run::from(child.wait_with_output().expect("sprawl finishes"))
}

/// Copy the directory tree `from` to `to` (a fixture into a temporary directory).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy fixture file");
        }
    }
}

/// The repository root (where `testdata/` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A checksum-valid fake GitHub classic token, built at test time so that no
/// valid-looking token is committed.
pub fn valid_github_token(seed: &str) -> String {
    let body: String = seed.chars().cycle().filter(|c| c.is_ascii_alphanumeric()).take(30).collect();
    format!("ghp_{body}{}", sprawl::validate::github_checksum(body.as_bytes()))
}

/// Run `git` in `dir` with a fixed identity and dates, failing the test on error.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_at(dir, args, "2024-01-01T00:00:00Z", "Test Author", "author@example.com")
}

/// Like [`git`], with an explicit date and author.
pub fn git_at(dir: &Path, args: &[&str], date: &str, name: &str, email: &str) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
        .args(args)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email)
        .env("GIT_COMMITTER_NAME", name)
        .env("GIT_COMMITTER_EMAIL", email)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("git output is UTF-8").trim().to_string()
}
