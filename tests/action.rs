//! The GitHub Action's scan step (`scripts/action-scan.sh`, run by `action.yml`) on real
//! repositories made with the git CLI, with the built binary: what a pull request adds is
//! scanned into SARIF, hostile `args` run nothing, a shallow checkout is refused with the fix.
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{git, root};

struct Step {
    code: i32,
    stderr: String,
    /// What the step wrote to `GITHUB_OUTPUT`.
    output: String,
}

/// Run the scan step in `repo` with the Action's environment and `args` as its input.
fn scan_step(repo: &Path, event: &str, range: (&str, &str), args: &str) -> Step {
    let output = repo.join("github-output");
    fs::write(&output, "").expect("write");
    let out = Command::new("bash")
        .arg(root().join("scripts/action-scan.sh"))
        .current_dir(repo)
        .env("SPRAWL", env!("CARGO_BIN_EXE_sprawl"))
        .env("EVENT", event)
        .env("BASE", range.0)
        .env("HEAD", range.1)
        .env("SARIF", repo.join("out.sarif"))
        .env("BASELINE", "")
        .env("ARGS", args)
        .env("GITHUB_OUTPUT", &output)
        .output()
        .expect("bash runs");
    Step {
        code: out.status.code().expect("exit code"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        output: fs::read_to_string(&output).expect("read output"),
    }
}

/// A repository whose second commit, the pull request, adds a password.
fn pull_request_repo(dir: &Path) -> (String, String) {
    git(dir, &["init", "-q"]);
    fs::write(dir.join("README.md"), "# app\n").expect("write");
    git(dir, &["add", "."]);
    git(dir, &["commit", "-qm", "base"]);
    let base = git(dir, &["rev-parse", "HEAD"]);
    fs::write(dir.join("app.env"), ["DB_PASS", "WORD=Zq8-w0rd-Lm3x\n"].concat()).expect("write");
    git(dir, &["add", "app.env"]);
    git(dir, &["commit", "-qm", "feature"]);
    (base, git(dir, &["rev-parse", "HEAD"]))
}

#[test]
fn a_pull_request_is_scanned_into_sarif() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, head) = pull_request_repo(dir.path());
    let step = scan_step(dir.path(), "pull_request", (&base, &head), "--max-file-size 10M");
    assert_eq!(step.code, 0, "{}", step.stderr);
    assert_eq!(step.output.trim(), "exit-code=1");
    assert_eq!(sarif_rules(dir.path()), ["generic.password"]);
    // The base alone adds nothing.
    let step = scan_step(dir.path(), "pull_request", (&base, &base), "");
    assert_eq!(step.output.trim(), "exit-code=0", "{}", step.stderr);
}

/// The rule ids of the results the step wrote to `out.sarif` in `repo`, in order.
fn sarif_rules(repo: &Path) -> Vec<String> {
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(repo.join("out.sarif")).expect("SARIF written"))
            .expect("SARIF is JSON");
    let runs = sarif["runs"].as_array().expect("runs");
    let results = runs.iter().flat_map(|r| r["results"].as_array().into_iter().flatten());
    results.map(|r| r["ruleId"].as_str().expect("ruleId").to_string()).collect()
}

/// Issue 13, item 2, through the Action: a pull request that adds a `.sprawl.toml`
/// disabling the rule and allowing every path, next to its password, still fails the check
/// (the configuration is read from the base), and the configuration change is reported.
#[test]
fn a_pull_request_cannot_switch_off_its_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (base, _) = pull_request_repo(d);
    let quiet = "disable = [\"generic.password\"]\n\n[[allow]]\npaths = [\"**\"]\n";
    fs::write(d.join(".sprawl.toml"), quiet).expect("write");
    git(d, &["add", ".sprawl.toml"]);
    git(d, &["commit", "-qm", "quiet"]);
    let head = git(d, &["rev-parse", "HEAD"]);
    let step = scan_step(d, "pull_request", (&base, &head), "");
    assert_eq!(step.output.trim(), "exit-code=1", "{}", step.stderr);
    let mut rules = sarif_rules(d);
    rules.sort();
    assert_eq!(rules, ["generic.password", "sprawl.config-change"], "{}", step.stderr);
}

#[test]
fn hostile_args_run_nothing_and_output_options_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (base, head) = pull_request_repo(dir.path());
    let canary = dir.path().join("pwned");
    let hostile = format!("--max-file-size 10M $(touch {0}) `touch {0}` ;touch {0} *", canary.display());
    let step = scan_step(dir.path(), "pull_request", (&base, &head), &hostile);
    assert!(!canary.exists(), "args ran a command");
    assert_eq!(step.code, 2, "unknown words are sprawl's errors, not the shell's: {}", step.stderr);
    for args in ["--format human", "-o /tmp/x", "--output=x", "-fjson"] {
        let step = scan_step(dir.path(), "pull_request", (&base, &head), args);
        assert_eq!(step.code, 2, "{args}");
        assert_eq!(step.output.trim(), "exit-code=2");
        assert!(step.stderr.contains("set by the Action"), "{args}: {}", step.stderr);
    }
}

#[test]
fn a_shallow_checkout_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let origin = dir.path().join("origin");
    fs::create_dir(&origin).expect("mkdir");
    let (base, head) = pull_request_repo(&origin);
    let url = format!("file://{}", origin.display());
    git(dir.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let step = scan_step(&dir.path().join("shallow"), "pull_request", (&base, &head), "");
    assert_eq!(step.code, 2);
    assert!(step.stderr.contains("fetch-depth: 0"), "{}", step.stderr);
    let step = scan_step(&dir.path().join("shallow"), "push", ("", ""), "");
    assert_eq!(step.code, 2, "a push scan of a shallow clone would cut history too");
}

/// action.yml hands workflow inputs to the script through the environment only: an input
/// expanded into a `run:` script is a command injection.
#[test]
fn the_action_expands_no_input_into_a_script() {
    let action = fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let mut in_run = false;
    for line in action.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("run:") {
            in_run = true;
            assert!(!trimmed.contains("${{"), "{line}");
        } else if in_run
            && (trimmed.starts_with("- name:") || trimmed.starts_with("if:") || trimmed.starts_with("env:"))
        {
            in_run = false;
        } else if in_run {
            assert!(!line.contains("${{"), "an expression inside a run script: {line}");
        }
    }
    assert!(action.contains("scripts/action-scan.sh") && action.contains("actions/cache@"));
    for permission in ["security-events: write", "actions: read", "contents: read"] {
        assert!(action.contains(permission), "action.yml documents {permission}");
    }
}
