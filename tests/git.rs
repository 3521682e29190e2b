//! `sprawl git` on repositories built with the git CLI: history attribution, refs, merges,
//! unreachable objects, ranges, staged changes, repository shapes and the pre-commit hook.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{git, git_at, run_in, valid_github_token, Run};

/// A scratch repository whose commits get increasing, fixed dates.
struct Repo {
    dir: tempfile::TempDir,
    day: u32,
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "-q"]);
        Self { dir, day: 0 }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, contents: &str) {
        let path = self.path().join(rel);
        fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        fs::write(path, contents).expect("write");
    }

    /// `git add -A && git commit` as `who`, one day after the previous commit; the new id.
    fn commit(&mut self, msg: &str, who: &str) -> String {
        self.day += 1;
        let date = format!("2024-01-{:02}T12:00:00Z", self.day);
        let email = format!("{}@example.com", who.to_lowercase());
        git_at(self.path(), &["add", "-A"], &date, who, &email);
        git_at(self.path(), &["commit", "-qm", msg, "--allow-empty"], &date, who, &email);
        git(self.path(), &["rev-parse", "HEAD"])
    }

    fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    fn scan(&self, args: &[&str]) -> Run {
        let mut all = vec!["git", "--format", "jsonl"];
        all.extend_from_slice(args);
        let run = run_in(self.path(), &all);
        assert!(run.code <= 1, "sprawl failed: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }
}

fn git_of(f: &Value) -> &Value {
    &f["git"]
}

/// A secret committed by Ann, kept by Bob's next commit, then deleted with its file: found,
/// attributed to Ann's commit, last seen in Bob's, not at HEAD.
#[test]
fn removed_secret_is_found_with_its_introducing_commit() {
    let mut r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init", "Zed");
    let token = valid_github_token("removed-secret");
    r.write("deploy/.env", &format!("# deploy\nGITHUB_TOKEN={token}\n"));
    let added = r.commit("add deploy env", "Ann");
    r.write("deploy/.env", &format!("# deploy settings\nGITHUB_TOKEN={token}\n"));
    let kept = r.commit("reword", "Bob");
    r.git(&["rm", "-q", "deploy/.env"]);
    r.commit("remove env", "Bob");

    let run = r.scan(&[]);
    assert_eq!(run.code, 1);
    assert_eq!(run.triples(), ["deploy/.env:2 github.pat.classic"]);
    let f = &run.findings()[0];
    let g = git_of(f);
    assert_eq!(g["first_commit"], added.as_str());
    assert_eq!(g["author"], "Ann");
    assert_eq!(g["email"], "ann@example.com");
    assert_eq!(g["date"], "2024-01-02T12:00:00Z");
    assert_eq!(g["last_commit"], kept.as_str());
    assert_eq!(g["commits"], 2);
    assert_eq!(g["at_head"], false);
    assert_eq!(g["unreachable"], false);
    assert_eq!(g["blob"], r.git(&["rev-parse", &format!("{kept}:deploy/.env")]).as_str());
    assert!(!run.stdout.contains(&token), "the secret leaked into the output");
}

/// One blob at two paths is scanned once and reported at both; the blob count equals the
/// number of blobs in the object database.
#[test]
fn one_blob_two_paths_scanned_once() {
    let mut r = Repo::new();
    r.write("a/settings.env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    r.write("b/settings.env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    r.write("c.txt", "nothing\n");
    r.commit("two copies", "Ann");
    let run = r.scan(&[]);
    assert_eq!(run.triples(), ["a/settings.env:1 generic.password", "b/settings.env:1 generic.password"]);
    let found = run.findings();
    assert_eq!(found[0]["git"]["blob"], found[1]["git"]["blob"]);
    assert!(run.stderr.contains("2 findings in 2 blobs"), "{}", run.stderr);
}

/// A secret only on an unmerged branch, or only under a tag, is found; `--branch main` does
/// not see it.
#[test]
fn side_branch_and_tag_only_secrets() {
    let mut r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init", "Zed");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write("feature.env", "API_TOKEN=Fe4tur3-Br4nch-S3cr3t\n");
    let side = r.commit("feature work", "Ann");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["checkout", "-q", "--detach"]);
    r.write("release.env", "DB_PASSWORD=T4gg3d-0nly-Pw\n");
    let tagged = r.commit("release", "Bob");
    r.git(&["tag", "v1.0"]);
    r.git(&["checkout", "-q", "main"]);

    let run = r.scan(&[]);
    assert_eq!(run.triples(), ["feature.env:1 generic.token", "release.env:1 generic.password"]);
    let found = run.findings();
    assert_eq!(found[0]["git"]["first_commit"], side.as_str());
    assert_eq!(found[0]["git"]["at_head"], false);
    assert_eq!(found[1]["git"]["first_commit"], tagged.as_str());

    let run = r.scan(&["--branch", "main"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = r.scan(&["--branch", "v1.0"]);
    assert_eq!(run.triples(), ["release.env:1 generic.password"]);
}

/// A secret merged from a side branch is attributed to the side commit, present at HEAD.
#[test]
fn merged_secret_keeps_its_side_commit() {
    let mut r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init", "Zed");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("svc/config.yaml", "password: \"S1d3-Br4nch-Pw9\"\n");
    let side = r.commit("service config", "Ann");
    r.git(&["checkout", "-q", "main"]);
    r.write("other.txt", "main work\n");
    r.commit("main work", "Bob");
    r.day += 1;
    git_at(
        r.path(),
        &["merge", "-q", "--no-ff", "side", "-m", "merge side"],
        "2024-01-09T00:00:00Z",
        "Bob",
        "b@x",
    );
    let run = r.scan(&[]);
    assert_eq!(run.triples(), ["svc/config.yaml:1 generic.password"]);
    let g = &run.findings()[0]["git"];
    assert_eq!(g["first_commit"], side.as_str());
    assert_eq!(g["at_head"], true);
    assert_eq!(g["commits"], 2, "the side commit and the merge");
}

/// An object written to the database but never committed is found with `--unreachable`
/// (off by default), labelled so that its id does not pose as a path.
#[test]
fn unreachable_blob_is_labelled() {
    let mut r = Repo::new();
    r.write("README.md", "hello\n");
    r.commit("init", "Zed");
    r.write("scratch.env", "DB_PASSWORD=Unr34chable-Pw\n");
    let blob = r.git(&["hash-object", "-w", "scratch.env"]);
    fs::remove_file(r.path().join("scratch.env")).expect("rm");
    assert_eq!(r.scan(&[]).code, 0, "unreachable objects are off by default");
    let run = r.scan(&["--unreachable"]);
    assert_eq!(run.triples(), [format!("<unreachable blob {}>:1 generic.password", &blob[..12])]);
    let g = &run.findings()[0]["git"];
    assert_eq!(g["unreachable"], true);
    assert_eq!(g["blob"], blob.as_str());
    assert!(g.get("first_commit").is_none());
}

/// `--range BASE..HEAD` reports only what the new commits introduced.
#[test]
fn range_sees_only_new_commits() {
    let mut r = Repo::new();
    r.write("old.env", "DB_PASSWORD=0ld-S3cr3t-Pw\n");
    let base = r.commit("old", "Zed");
    r.write("new.env", "\nAPI_TOKEN=N3w-C0mm1t-T0ken\n");
    let new = r.commit("new", "Ann");
    let run = r.scan(&["--range", &format!("{base}..HEAD")]);
    assert_eq!(run.triples(), ["new.env:2 generic.token"]);
    let g = &run.findings()[0]["git"];
    assert_eq!(g["first_commit"], new.as_str());
    assert_eq!(g["author"], "Ann");
    assert_eq!(r.scan(&["--range", "HEAD..HEAD"]).code, 0);
    let bad = run_in(r.path(), &["git", "--range", "nonsense"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("range"), "{}", bad.stderr);
}

/// `--staged` sees the index, not the work tree, with line numbers of the staged content.
#[test]
fn staged_changes_only() {
    let mut r = Repo::new();
    r.write("app.env", "A=1\n");
    r.commit("init", "Zed");
    r.write("app.env", "A=1\nB=2\nDB_PASSWORD=St4ged-S3cret-Pw\n");
    r.git(&["add", "app.env"]);
    r.write("app.env", "A=1\nB=2\nDB_PASSWORD=St4ged-S3cret-Pw\nAPI_TOKEN=Unst4ged-0nly-Tok\n");
    r.write("untracked.env", "DB_PASSWORD=Untr4cked-0nly-Pw\n");
    let run = r.scan(&["--staged"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.triples(), ["app.env:3 generic.password"]);
    assert_eq!(run.findings()[0]["git"]["staged"], true);

    r.commit("commit it", "Ann");
    let run = r.scan(&["--staged"]);
    assert_eq!(run.code, 0, "nothing staged: {}", run.stdout);
}

/// Bare clones, shallow clones, empty repositories and submodules.
#[test]
fn repository_shapes() {
    let mut r = Repo::new();
    r.write("a.env", "DB_PASSWORD=B4re-R3po-Pw\n");
    r.commit("one", "Ann");
    r.write("b.txt", "more\n");
    r.commit("two", "Ann");
    let parent = r.path().parent().expect("tempdir has a parent").to_path_buf();
    let other = tempfile::tempdir_in(&parent).expect("tempdir");

    let bare = other.path().join("bare.git");
    git(&parent, &["clone", "-q", "--bare", &r.path().display().to_string(), &bare.display().to_string()]);
    let run = run_in(&bare, &["git", "--format", "jsonl"]);
    assert_eq!(run.triples(), ["a.env:1 generic.password"], "{}", run.stderr);

    let shallow = other.path().join("shallow");
    let url = format!("file://{}", r.path().display());
    git(&parent, &["clone", "-q", "--depth", "1", &url, &shallow.display().to_string()]);
    let run = run_in(&shallow, &["git", "--format", "jsonl"]);
    assert_eq!(run.triples(), ["a.env:1 generic.password"], "{}", run.stderr);
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);

    let empty = other.path().join("empty");
    git(&parent, &["init", "-q", &empty.display().to_string()]);
    let run = run_in(&empty, &["git", "--format", "jsonl"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = run_in(&empty, &["git", "--staged"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let missing = run_in(other.path(), &["git", "no-such-repo"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("not a git repository"), "{}", missing.stderr);
}

/// `.mailmap` decides the author shown; the same scan twice prints the same bytes.
#[test]
fn mailmap_and_determinism() {
    let mut r = Repo::new();
    r.write(".mailmap", "Ann Real <ann@corp.example> <ann@example.com>\n");
    r.write("x.env", "DB_PASSWORD=M41lm4p-Pw-X\n");
    r.write("y.env", "DB_PASSWORD=M41lm4p-Pw-Y\n");
    r.commit("both", "Ann");
    let one = r.scan(&[]);
    let g = &one.findings()[0]["git"];
    assert_eq!((g["author"].as_str(), g["email"].as_str()), (Some("Ann Real"), Some("ann@corp.example")));
    let two = r.scan(&["--threads", "1"]);
    assert_eq!(one.stdout, two.stdout);
}

/// The human format names the commit and author.
#[test]
fn human_format_shows_commit_and_author() {
    let mut r = Repo::new();
    r.write("x.env", "DB_PASSWORD=Hum4n-F0rmat-Pw\n");
    let id = r.commit("add", "Ann");
    let run = run_in(r.path(), &["git", "--format", "human", "--color", "never"]);
    let line = run.stdout.lines().next().expect("one line");
    assert!(line.starts_with("x.env:1:13"), "{line}");
    assert!(line.contains(&format!("commit {}", &id[..10])), "{line}");
    assert!(line.contains("by Ann <ann@example.com>"), "{line}");
}

/// The real pre-commit framework with this repository's `sprawl-system` hook: a commit that
/// adds a secret is rejected, a clean one passes.
#[test]
fn pre_commit_hook_blocks_secrets() {
    let hooks = Repo::new();
    fs::copy(
        crate::common::root().join(".pre-commit-hooks.yaml"),
        hooks.path().join(".pre-commit-hooks.yaml"),
    )
    .expect("copy hooks file");
    git(hooks.path(), &["add", "-A"]);
    git(hooks.path(), &["commit", "-qm", "hooks"]);
    let rev = git(hooks.path(), &["rev-parse", "HEAD"]);

    let mut r = Repo::new();
    r.write(
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: sprawl-system\n",
            hooks.path().display()
        ),
    );
    r.commit("pre-commit config", "Ann");
    let cache = tempfile::tempdir().expect("tempdir");
    let bin_dir = PathBuf::from(env!("CARGO_BIN_EXE_sprawl")).parent().expect("bin dir").to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .expect("PATH");
    let commit = |msg: &str| {
        Command::new("git")
            .current_dir(r.path())
            .args(["-c", "commit.gpgsign=false", "commit", "-qm", msg])
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", cache.path())
            .env("GIT_AUTHOR_NAME", "Ann")
            .env("GIT_AUTHOR_EMAIL", "ann@example.com")
            .env("GIT_COMMITTER_NAME", "Ann")
            .env("GIT_COMMITTER_EMAIL", "ann@example.com")
            .output()
            .expect("git commit runs")
    };
    let install = Command::new(crate::common::python::python())
        .current_dir(r.path())
        .args(["-m", "pre_commit", "install"])
        .env("PRE_COMMIT_HOME", cache.path())
        .output()
        .expect("the tests' Python environment runs pre-commit");
    assert!(install.status.success(), "{}", String::from_utf8_lossy(&install.stderr));

    r.write("settings.env", "DB_PASSWORD=Pr3-C0mmit-Hook-Pw\n");
    r.git(&["add", "settings.env"]);
    let blocked = commit("add settings");
    let said =
        format!("{}{}", String::from_utf8_lossy(&blocked.stdout), String::from_utf8_lossy(&blocked.stderr));
    assert!(!blocked.status.success(), "the commit went through: {said}");
    assert!(said.contains("settings.env:1:13"), "{said}");
    assert!(!said.contains("Pr3-C0mmit-Hook-Pw"), "the hook printed the secret: {said}");
    assert!(said.contains("rotate each real secret first"), "no next steps: {said}");

    r.write("settings.env", "DB_HOST=localhost\n");
    r.git(&["add", "settings.env"]);
    let clean = commit("add clean settings");
    assert!(clean.status.success(), "{}", String::from_utf8_lossy(&clean.stderr));
}

/// Findings placed in history through spilled runs (a budget of 3 bytes) are byte for byte
/// those placed in memory, in every format, for the whole history (several versions of
/// several secrets, a blob at two paths, a deleted file, unreachable blobs), a range and the
/// index; and no temporary file is left in `TMPDIR`.
#[test]
fn spilled_history_matches_held_history() {
    let mut r = Repo::new();
    r.write("app.env", "DB_PASSWORD=H1st-Sp1ll-Pw-one\nAPI_TOKEN=H1st-Sp1ll-T0ken-one\n");
    r.write("ops/b.env", "DB_PASSWORD=H1st-Sp1ll-Pw-two\n");
    let first = r.commit("settings", "Ann");
    r.write("app.env", "# app\nDB_PASSWORD=H1st-Sp1ll-Pw-one\nAPI_TOKEN=H1st-Sp1ll-T0ken-one\n");
    r.write("copy/app.env", "# app\nDB_PASSWORD=H1st-Sp1ll-Pw-one\nAPI_TOKEN=H1st-Sp1ll-T0ken-one\n");
    r.commit("comment and copy", "Bob");
    r.write("ops/b.env", "DB_PASSWORD=H1st-Sp1ll-Pw-two\nAPI_TOKEN=H1st-Sp1ll-T0ken-two\n");
    r.write("app.env", "# app settings\nDB_PASSWORD=H1st-Sp1ll-Pw-one\nAPI_TOKEN=H1st-Sp1ll-T0ken-one\n");
    r.commit("more", "Cid");
    r.git(&["rm", "-q", "ops/b.env"]);
    r.commit("remove ops", "Cid");
    for n in ["one", "two"] {
        r.write("scratch.env", &format!("DB_PASSWORD=Unr34ch-Sp1ll-Pw-{n}\n"));
        r.git(&["hash-object", "-w", "scratch.env"]);
    }
    fs::remove_file(r.path().join("scratch.env")).expect("rm");
    r.write("staged.env", "DB_PASSWORD=St4ged-Sp1ll-Pw\nAPI_TOKEN=St4ged-Sp1ll-T0ken\n");
    r.git(&["add", "staged.env"]);

    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |budget: Option<&str>, args: &[&str]| {
        let mut cmd = crate::common::with_budget(r.path(), tmp.path(), budget);
        Run::from(cmd.arg("git").args(args).output().expect("sprawl runs"))
    };
    let whole = run(None, &["--unreachable", "--format", "jsonl"]);
    let versions = whole.findings();
    let app = versions
        .iter()
        .find(|f| f["location"]["path"] == "app.env" && f["rule"] == "generic.password")
        .expect("the password of app.env");
    assert_eq!((app["location"]["line"].as_u64(), app["git"]["commits"].as_u64()), (Some(2), Some(4)));
    assert_eq!(app["git"]["first_commit"], first.as_str(), "its versions are merged");
    assert!(versions.iter().any(|f| f["location"]["path"] == "copy/app.env"));
    let unreachable = versions.iter().filter(|f| f["git"]["unreachable"] == true).count();
    assert_eq!(unreachable, 4, "the two scratch blobs and the staged one, not yet committed");

    let range = format!("{first}..HEAD");
    let modes: [&[&str]; 3] = [&["--unreachable"], &["--range", &range], &["--staged"]];
    for mode in modes {
        for format in ["human", "json", "jsonl", "sarif", "inventory", "html"] {
            let args = [mode, &["--format", format]].concat();
            let (held, spilled) = (run(None, &args), run(Some("3"), &args));
            assert_eq!(held.code, 1, "{args:?}: {}", held.stderr);
            assert_eq!(spilled.code, 1, "{args:?}: {}", spilled.stderr);
            assert!(held.stdout == spilled.stdout, "{args:?}: spilled output differs");
        }
    }
    assert_eq!(fs::read_dir(tmp.path()).expect("TMPDIR").count(), 0, "no temporary file is left");
}

/// A history with no findings is still walked for the blobs its commits add that the
/// repository lacks: the first 20 are named with their path and commit, the rest counted.
#[test]
fn missing_blobs_are_named_without_findings() {
    let mut r = Repo::new();
    r.write("README.md", "hello\n");
    for i in 0..22 {
        r.write(&format!("conf/{i:02}.txt"), &format!("replicas = {i}\n"));
    }
    let commit = r.commit("settings", "Ann");
    let lost: Vec<String> =
        (0..22).map(|i| r.git(&["rev-parse", &format!("HEAD:conf/{i:02}.txt")])).collect();
    for id in &lost {
        fs::remove_file(r.path().join(".git/objects").join(&id[..2]).join(&id[2..]))
            .expect("remove the loose object");
    }
    let run = r.scan(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let named =
        run.stderr.lines().filter(|l| l.contains("is missing from the repository: not scanned")).count();
    assert_eq!(named, 20, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "conf/00.txt: blob {}, added by commit {commit}, is missing from the repository: not scanned",
            lost[0]
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("2 more blobs missing from the repository"), "{}", run.stderr);
    assert!(run.stderr.contains("; 22 missing from the repository"), "{}", run.stderr);
}

/// A version holding a secret twice is counted once in the merged history: two commits, one
/// per version, on every run (the commits of an older version were once added again for each
/// further occurrence when the scan met the newer version first, so the count depended on the
/// order blobs were read in).
#[test]
fn a_version_is_counted_once_whatever_its_occurrences() {
    let mut r = Repo::new();
    r.write("app.env", "API_TOKEN=Vers10n-C0unt-T0ken\nAPI_TOKEN=Vers10n-C0unt-T0ken\n");
    let first = r.commit("twice", "Ann");
    r.write("app.env", "# once\nAPI_TOKEN=Vers10n-C0unt-T0ken\n");
    r.commit("once", "Bob");
    for _ in 0..4 {
        let found = r.scan(&[]).findings();
        assert_eq!(found.len(), 1, "the newest version's one occurrence");
        let g = &found[0]["git"];
        assert_eq!((g["commits"].as_u64(), g["first_commit"].as_str()), (Some(2), Some(first.as_str())));
    }
}
