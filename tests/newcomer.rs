//! A newcomer's first hour (issue 17): the pre-commit refusal says what to do next, and the
//! pre-commit snippet in the README names a hook this repository defines.
use std::fs;

use crate::common::{git, root, run_in};

/// A scratch repository with one commit, so that HEAD exists.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    fs::write(dir.path().join("README"), "hello\n").expect("write");
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "start"]);
    dir
}

/// A refused commit says what to do, in order: rotate first, then remove; or mark a false
/// positive, or baseline it. A clean one and other scans say nothing of the kind.
#[test]
fn staged_refusal_gives_next_steps() {
    let dir = repo();
    fs::write(dir.path().join("app.env"), "DB_PASSWORD=St4ged-Next-Steps-Pw\n").expect("write");
    git(dir.path(), &["add", "app.env"]);
    let refused = run_in(dir.path(), &["git", "--staged", "--format", "human", "--color", "never"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stdout.contains("app.env:1:13"), "{}", refused.stdout);
    let said = &refused.stderr;
    let rotate = said.find("rotate each real secret first").expect("rotation advice");
    let remove = said.find("then remove it").expect("removal advice");
    assert!(rotate < remove, "{said}");
    for hint in ["sprawl:allow", "sprawl baseline create --files", "--baseline .sprawl-baseline"] {
        assert!(said.contains(hint), "no {hint:?} in {said}");
    }
    assert!(!said.contains("St4ged-Next-Steps-Pw") && !refused.stdout.contains("St4ged-Next-Steps-Pw"));

    let quiet = run_in(dir.path(), &["git", "--staged", "-q", "--format", "human"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (1, ""));
    let history = run_in(dir.path(), &["dir", "--format", "human", "."]);
    assert_eq!(history.code, 1);
    assert!(!history.stderr.contains("rotate"), "{}", history.stderr);

    fs::write(dir.path().join("app.env"), "DB_HOST=localhost\n").expect("write");
    git(dir.path(), &["add", "app.env"]);
    let clean = run_in(dir.path(), &["git", "--staged", "--format", "human"]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert!(!clean.stderr.contains("rotate"), "{}", clean.stderr);
}

/// The README's pre-commit snippet names hooks that `.pre-commit-hooks.yaml` defines, and
/// a tag rather than a branch.
#[test]
fn readme_hook_snippet_matches_the_hooks_file() {
    let readme = fs::read_to_string(root().join("README.md")).expect("README");
    let hooks = fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("hooks file");
    let snippet =
        readme.split("# .pre-commit-config.yaml").nth(1).expect("snippet").split("```").next().expect("end");
    let id = snippet.split("- id: ").nth(1).expect("a hook id").split_whitespace().next().expect("id");
    assert!(hooks.contains(&format!("- id: {id}\n")), "{id} is not in .pre-commit-hooks.yaml");
    assert!(snippet.contains("rev: v0.1.0"), "{snippet}");
    let changelog = fs::read_to_string(root().join("CHANGELOG.md")).expect("CHANGELOG.md");
    assert!(changelog.contains("## 0.1.0"), "the tag the snippet names has a changelog entry");
}

/// A gitleaks configuration written for Go's regex syntax imports: a literal `{` in an
/// allowlist works as gitleaks reads it, it runs alone with `--no-builtin-rules`, and a
/// regex that cannot compile is named on one line without quoting it.
#[test]
fn gitleaks_config_alone_with_go_syntax() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gl.toml");
    fs::write(
        &config,
        r#"
[[rules]]
id = "acme-key"
description = "Acme key"
regex = '''acme_key\s*=\s*"([^"]+)"'''
keywords = ["acme_key"]
[rules.allowlist]
regexes = ['''^{{\w+}}$''', '''(unclosedXyz''']
"#,
    )
    .expect("write");
    let src = dir.path().join("src");
    fs::create_dir(&src).expect("mkdir");
    fs::write(
        src.join("app.cfg"),
        "acme_key = \"{{Templated}}\"\nacme_key = \"Wq7rT2vL9xK4\"\nDB_PASSWORD=Bu1ltin-0nly-Pw\n",
    )
    .expect("write");
    let config = config.to_str().expect("UTF-8 path");
    let run = run_in(dir.path(), &["dir", "--no-builtin-rules", "--gitleaks-config", config, "src"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.triples(), ["src/app.cfg:2 gitleaks.acme-key"]);
    let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("sprawl: warning:")).collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0]
            .ends_with("rule acme-key allowlist: regexes[1] does not compile (unclosed group); ignored"),
        "{}",
        warnings[0]
    );
    assert!(!run.stderr.contains("\\n") && !run.stderr.contains("Xyz"), "{}", run.stderr);
}

/// Completions come from the command-line definition: every command and option is there, and
/// the bash script parses.
#[test]
fn shell_completions() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = run_in(&root(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for word in ["sweep", "baseline", "respect-gitignore", "no-builtin-rules", "staged"] {
            assert!(run.stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    let script = tempfile::NamedTempFile::new().expect("temp file");
    fs::write(script.path(), run_in(&root(), &["completions", "bash"]).stdout).expect("write");
    let parsed = std::process::Command::new("bash").arg("-n").arg(script.path()).output().expect("bash runs");
    assert!(parsed.status.success(), "{}", String::from_utf8_lossy(&parsed.stderr));
    let bad = run_in(&root(), &["completions", "cmd.exe"]);
    assert_eq!(bad.code, 2);
}

/// `sprawl man` renders sprawl(1) and each command's page, named as man pages are.
#[test]
fn man_pages() {
    let top = run_in(&root(), &["man"]);
    assert_eq!(top.code, 0, "{}", top.stderr);
    assert!(top.stdout.contains(".TH sprawl 1"), "{}", &top.stdout[..200]);
    assert!(top.stdout.contains("sprawl\\-git(1)"), "sprawl(1) lists its commands' pages");
    let git = run_in(&root(), &["man", "git"]);
    assert!(git.stdout.contains(".TH sprawl-git 1") && git.stdout.contains("\\-\\-staged"), "{}", git.stdout);
    let create = run_in(&root(), &["man", "baseline", "create"]);
    assert!(create.stdout.contains(".TH sprawl-baseline-create 1"), "{}", create.stdout);
    assert!(create.stdout.contains(env!("CARGO_PKG_VERSION")));
    let bad = run_in(&root(), &["man", "gti"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no command \"gti\"") && bad.stderr.contains("git"), "{}", bad.stderr);
}

/// SARIF names where to read about the tool (Cargo.toml's `repository`).
#[test]
fn sarif_information_uri() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("app.env"), "DB_PASSWORD=Inf0rmation-Uri-Pw\n").expect("write");
    let run = run_in(dir.path(), &["dir", "--format", "sarif", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
    for r in log["runs"].as_array().expect("runs") {
        assert_eq!(r["tool"]["driver"]["informationUri"], "https://github.com/sprawl-scanner/sprawl");
    }
}
