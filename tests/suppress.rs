//! Suppression (inline markers, `.sprawl.toml` allow entries, gitleaks imports), config
//! errors, and baseline round trips.
use std::fs;

use crate::common::{git, run_in, write};

#[test]
fn inline_markers() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app.env",
        "A_PASSWORD=Zx8-Qv2mLp7w # sprawl:allow\n\
         # sprawl:allow\n\
         B_PASSWORD=Wq9-Rt4yUi7o\n\
         C_PASSWORD=Hk3-Bn6mJq2z # gitleaks:allow\n\
         D_PASSWORD=Lp5-Xc8vNm1q # pragma: allowlist secret\n\
         E_PASSWORD=Gt7-Yh2jKl4p\n",
    );
    let run = run_in(dir.path(), &["dir", "--format", "jsonl"]);
    assert_eq!(run.triples(), ["app.env:6 generic.password"]);
    assert!(run.stderr.contains("4 suppressed"), "{}", run.stderr);

    let shown = run_in(dir.path(), &["dir", "--format", "jsonl", "--show-suppressed"]);
    let reasons: Vec<String> = shown
        .findings()
        .iter()
        .map(|f| f["suppressed"]["reason"].as_str().unwrap_or("-").to_string())
        .collect();
    assert_eq!(
        reasons,
        [
            "inline sprawl:allow",
            "inline sprawl:allow",
            "inline gitleaks:allow",
            "inline pragma: allowlist secret",
            "-"
        ]
    );
    assert_eq!(shown.code, 1, "suppressed findings do not fail the run, the last one does");

    // The migration markers can be switched off.
    write(dir.path(), ".sprawl.toml", "compat_markers = false\n");
    let strict = run_in(dir.path(), &["dir", "--format", "jsonl"]);
    assert_eq!(
        strict.triples(),
        ["app.env:4 generic.password", "app.env:5 generic.password", "app.env:6 generic.password"]
    );
}

#[test]
fn config_allow_entries_and_disabled_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "fixtures/a.env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    write(d, "src/b.env", "DB_PASSWORD=Xyzzy-Qv2mLp7w\n");
    write(d, "src/c.env", "DB_PASSWORD=Fak3-Qv2mLp7w\n");
    write(d, "src/d.env", "API_TOKEN=Dz9-Qv2mLp7wXk4R8t\n");
    write(d, "src/e.env", "DB_PASSWORD=Real-Qv2mLp7w\n");
    write(
        d,
        ".sprawl.toml",
        r#"disable = ["generic.token"]

[[allow]]
description = "fixtures"
paths = ["fixtures/**"]

[[allow]]
rules = ["generic.password"]
stopwords = ["XYZZY"]
regexes = ['^Fak3-']
"#,
    );
    let run = run_in(d, &["dir", "--format", "jsonl"]);
    assert_eq!(run.triples(), ["src/e.env:1 generic.password"], "{}", run.stderr);
    assert!(run.stderr.contains("3 suppressed"), "{}", run.stderr);
    let shown = run_in(d, &["dir", "--format", "jsonl", "--sort", "--show-suppressed"]);
    let reasons: Vec<String> = shown
        .findings()
        .iter()
        .filter_map(|f| f["suppressed"]["reason"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        reasons,
        [
            "path allowed by .sprawl.toml:3",
            "stopword allowed by .sprawl.toml:7",
            "regex allowed by .sprawl.toml:7"
        ],
        "{}",
        shown.stdout
    );

    // --config points elsewhere; a file without the entries reports everything but tokens.
    write(d, "other.toml", "disable = [\"generic.token\"]\n");
    let other = run_in(d, &["dir", "--format", "jsonl", "--config", "other.toml"]);
    assert_eq!(other.findings().len(), 4);
}

#[test]
fn config_errors_name_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "a.env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    for (config, wanted) in [
        ("max_file_size = \"1M\"\nunknown_key = 1\n", ".sprawl.toml:2:1: unknown field `unknown_key`"),
        ("[[allow]]\nregexes = ['(unclosed']\n", ".sprawl.toml:2: allow.regexes: bad regex: unclosed group"),
        ("\n\ndisable = [\"no.such.rule\"]\n", ".sprawl.toml:3: disable names unknown rule \"no.such.rule\""),
        ("[[allow]]\npaths = ['a/[']\n", ".sprawl.toml:2: allow.paths: bad glob"),
    ] {
        write(d, ".sprawl.toml", config);
        let run = run_in(d, &["dir", "--format", "jsonl"]);
        assert_eq!(run.code, 2, "{config}: {}", run.stderr);
        assert!(run.stderr.contains(wanted), "{config}: wanted {wanted:?} in {}", run.stderr);
    }
}

#[test]
fn gitleaks_config_is_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        ".gitleaks.toml",
        r#"title = "team rules"
[[rules]]
id = "acme-key"
description = "Acme API key"
regex = '''acme_live_([a-z0-9]{24})'''
secretGroup = 1
keywords = ["acme_live_"]

[allowlist]
paths = ['''(^|/)vendor/''']
commits = ["0123abc"]
"#,
    );
    let key = format!("acme_live_{}", "q8zp2k5sx7wv3n6m1b4c9d0f");
    write(d, "app.cfg", format!("key = {key}\n"));
    write(d, "vendor/app.cfg", format!("key = {key}\n"));
    let run = run_in(d, &["dir", "--format", "jsonl"]);
    assert_eq!(run.triples(), ["app.cfg:1 gitleaks.acme-key"], "{}", run.stderr);
    assert!(run.stderr.contains("\"commits\" is not supported"), "{}", run.stderr);
    assert!(!run.stdout.contains(&key));
}

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "config/app.env", "# settings\nDB_PASSWORD=Zx8-Qv2mLp7w\n");
    write(d, "deploy/ci.yaml", "token: \"Tk4-Qv2mLp7wXk4R8tZ\"\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "one"]);

    let created = run_in(d, &["baseline", "create", "-o", ".sprawl-baseline"]);
    assert_eq!(created.code, 0, "{}", created.stderr);
    let text = fs::read_to_string(d.join(".sprawl-baseline")).expect("baseline written");
    let entries: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 2, "{text}");
    assert!(entries[0].starts_with("generic.password pbkdf2:") && entries[0].contains(" config/app.env  # "));
    assert!(!text.contains("Zx8-Qv2mLp7w"), "the baseline holds fingerprints, not secrets");

    // Nothing new.
    let again = run_in(d, &["git", "--format", "jsonl", "--baseline", ".sprawl-baseline"]);
    assert_eq!((again.code, again.findings().len()), (0, 0), "{}", again.stdout);
    assert!(again.stderr.contains("2 in the baseline"), "{}", again.stderr);

    // Moving the secret within its file is not new.
    write(d, "config/app.env", "# settings\n\n\nOTHER=1\nDB_PASSWORD=Zx8-Qv2mLp7w\n");
    git(d, &["commit", "-qam", "move"]);
    let moved = run_in(d, &["git", "--format", "jsonl", "--baseline", ".sprawl-baseline"]);
    assert_eq!(moved.code, 0, "{}", moved.stdout);

    // A new secret is exactly one new finding; the same for a dir scan of the work tree.
    write(
        d,
        "config/app.env",
        "# settings\n\n\nOTHER=1\nDB_PASSWORD=Zx8-Qv2mLp7w\nAPI_KEY=Nw5-Hj8kLz3qPx7v\n",
    );
    git(d, &["commit", "-qam", "add"]);
    let added = run_in(d, &["git", "--format", "jsonl", "--baseline", ".sprawl-baseline"]);
    assert_eq!(added.triples(), ["config/app.env:6 generic.api-key"]);
    let files = run_in(d, &["dir", "--format", "jsonl", "--baseline", ".sprawl-baseline"]);
    assert_eq!(files.triples(), ["config/app.env:6 generic.api-key"]);

    let bad = run_in(d, &["dir", "--baseline", "deploy/ci.yaml"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("deploy/ci.yaml:1: expected `RULE FINGERPRINT PATH`"), "{}", bad.stderr);
}
