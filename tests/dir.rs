//! `sprawl dir`: exact findings on the fixture tree, and the edge cases a file walker meets.
use std::fs;

use crate::common::{git, root, run_in, valid_github_token, write};

/// Every finding in `testdata/fs`, as `path:line rule`, equals `testdata/fs.expected`:
/// positives for every family, and none from the negatives.
#[test]
fn fixture_tree_exact_findings() {
    let run = run_in(&root(), &["dir", "--no-config", "testdata/fs", "--format", "jsonl", "--sort"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expected = fs::read_to_string(root().join("testdata/fs.expected")).expect("expected file");
    let expected: Vec<&str> = expected.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert_eq!(run.triples(), expected);
    assert!(run.triples().iter().all(|t| !t.contains("negatives/")));
}

/// The same findings whatever the thread count, in the same order.
#[test]
fn output_is_deterministic() {
    let one = run_in(&root(), &["dir", "--no-config", "testdata/fs", "--format", "json", "--threads", "1"]);
    let four = run_in(&root(), &["dir", "--no-config", "testdata/fs", "--format", "json", "--threads", "4"]);
    assert_eq!(one.stdout, four.stdout);
}

#[test]
fn checksum_valid_token_is_reported_and_invalid_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = valid_github_token("checksum-good-seed");
    let mut bad = good.clone().into_bytes();
    bad[8] = if bad[8] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).expect("ascii");
    write(dir.path(), "good.sh", format!("export GH_TOKEN={good}\n"));
    write(dir.path(), "bad.sh", format!("export GH_TOKEN={bad}\n"));
    let run = run_in(dir.path(), &["dir", "--format", "jsonl"]);
    assert_eq!(run.triples(), ["good.sh:1 github.pat.classic"]);
    assert_eq!(run.findings()[0]["secret"]["validation"], "checksum-valid");
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--report-invalid"]);
    assert_eq!(run.triples(), ["bad.sh:1 github.pat.classic", "good.sh:1 github.pat.classic"]);
    assert_eq!(run.findings()[0]["secret"]["validation"], "checksum-invalid");
}

#[test]
fn confluent_cflt_secret_is_judged_by_its_checksum_without_a_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body: String = "Kf9Qz2Lw7Xm4Rt8Vb1Nc6Hd3Js5Gp0Ye-confluent"
        .chars()
        .cycle()
        .filter(char::is_ascii_alphanumeric)
        .take(54)
        .collect();
    let good = format!("cflt{body}{}", sprawl::validate::confluent_checksum(body.as_bytes()));
    let bad = format!("cflt{body}AAAAAA");
    write(dir.path(), "good.properties", format!("sasl.password={good}\n"));
    write(dir.path(), "bad.properties", format!("sasl.password={bad}\n"));
    let run = run_in(dir.path(), &["dir", "--format", "jsonl"]);
    assert_eq!(run.triples(), ["good.properties:1 confluent.api-secret.prefixed"]);
    assert_eq!(run.findings()[0]["secret"]["validation"], "checksum-valid");
}

#[test]
fn secret_never_printed_unless_no_redact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = valid_github_token("redaction-seed");
    write(dir.path(), "a.env", format!("TOKEN={token}\nDB_PASSWORD=Zx8-Qv2mLp7w\n"));
    for format in ["human", "json", "jsonl"] {
        let run = run_in(dir.path(), &["dir", "--format", format]);
        assert_eq!(run.code, 1);
        for raw in [token.as_str(), "Zx8-Qv2mLp7w"] {
            assert!(!run.stdout.contains(raw) && !run.stderr.contains(raw), "{format} leaked {raw}");
        }
    }
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--no-redact"]);
    assert_eq!(run.findings()[0]["secret"]["value"], token.as_str());
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "clean.txt", "hello\n");
    assert_eq!(run_in(dir.path(), &["dir", "--format", "jsonl"]).code, 0);
    write(dir.path(), "leak.env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    assert_eq!(run_in(dir.path(), &["dir", "--format", "jsonl"]).code, 1);
    let missing = run_in(dir.path(), &["dir", "does-not-exist"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("does-not-exist"), "{}", missing.stderr);
    assert_eq!(run_in(dir.path(), &["dir", "--threads", "0"]).code, 2);
}

#[test]
fn hidden_and_ignored_files_are_scanned_by_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".gitignore", ".env\nbuild/\n");
    write(dir.path(), ".env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    write(dir.path(), "build/out.cfg", "api_token = Qm4Rt7Yu1Io3Pa6Sd9Fg2Hj5\n");
    write(dir.path(), ".git/config", "password = Nb5-Vc8xZq2Lk\n");
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--sort"]);
    assert_eq!(run.triples(), [".env:1 generic.password", "build/out.cfg:1 generic.token"]);
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--respect-gitignore"]);
    assert_eq!(run.triples(), Vec::<String>::new());
}

/// `--respect-gitignore` never skips a file git tracks: a `.env` committed before it was
/// added to `.gitignore` is the classic leak.
#[test]
fn respect_gitignore_keeps_tracked_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), ".env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    git(dir.path(), &["add", ".env"]);
    git(dir.path(), &["commit", "-qm", "add env"]);
    write(dir.path(), ".gitignore", ".env\nlocal.env\n");
    write(dir.path(), "local.env", "DB_PASSWORD=Wq9-Rt4yUi7o\n");
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--respect-gitignore"]);
    assert_eq!(run.triples(), [".env:1 generic.password"]);
}

#[test]
fn exclude_globs() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a/leak.env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    write(dir.path(), "vendor/leak.env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--exclude", "vendor/"]);
    assert_eq!(run.triples(), ["a/leak.env:1 generic.password"]);
}

#[test]
fn binary_files_skipped_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "blob.bin", b"\x00\x01\x02\nDB_PASSWORD=Zx8-Qv2mLp7w\n");
    let run = run_in(dir.path(), &["dir", "--format", "jsonl"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("1 binary skipped"), "{}", run.stderr);
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--binary"]);
    assert_eq!(run.triples(), ["blob.bin:2 generic.password"]);
}

#[test]
fn large_files_skipped_over_limit_and_chunked_under_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 20 MiB of lines; secrets placed across the 8 MiB chunk boundaries and at the end.
    let line = "the quick brown fox jumps over the lazy dog 0123456789\n";
    let mut text = String::new();
    let mut lines = 0u64;
    let mut expected = Vec::new();
    while text.len() < 20 << 20 {
        let near_boundary = (text.len() % (8 << 20)) > (8 << 20) - 100 && text.len() > 1 << 20;
        if near_boundary && expected.last().is_none_or(|&(l, _): &(u64, usize)| lines - l > 10) {
            text.push_str("DB_PASSWORD=Zx8-Qv2mLp7w\n");
            lines += 1;
            expected.push((lines, text.len()));
        } else {
            text.push_str(line);
            lines += 1;
        }
    }
    text.push_str("API_TOKEN=Qm4Rt7Yu1Io3Pa6Sd9Fg2Hj5\n");
    lines += 1;
    write(dir.path(), "big.log", &text);
    let run = run_in(dir.path(), &["dir", "--format", "jsonl"]);
    let mut want: Vec<String> =
        expected.iter().map(|(l, _)| format!("big.log:{l} generic.password")).collect();
    want.push(format!("big.log:{lines} generic.token"));
    assert!(want.len() >= 3, "test must cross at least two chunk boundaries");
    assert_eq!(run.triples(), want);
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--max-file-size", "1M"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("over --max-file-size"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn bad_input_warns_and_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "ok.env", "DB_PASSWORD=Zx8-Qv2mLp7w\n");
    write(dir.path(), "latin1.txt", b"caf\xe9\npassword=Qw8-Er5tYu2i\n\xff\xfe\n");
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).expect("symlink");
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--follow"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.triples(), ["latin1.txt:2 generic.password", "ok.env:1 generic.password"]);
    assert!(run.stderr.contains("pipe: not a regular file"), "{}", run.stderr);
    assert!(run.stderr.to_lowercase().contains("loop"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
}

#[test]
fn embedded_base64_secrets_are_decoded() {
    let run = run_in(
        &root(),
        &["dir", "--no-config", "testdata/fs/k8s", "testdata/fs/docker", "--format", "jsonl"],
    );
    // The Kubernetes Secret's base64 `data` is decoded and scanned; the docker `auths` entry
    // has its own rule, which keeps the registry for identity.
    assert_eq!(
        run.triples(),
        [
            "testdata/fs/docker/config.json:4 docker.config-auth",
            "testdata/fs/k8s/secret.yaml:8 generic.password"
        ]
    );
    let found = run.findings();
    assert_eq!(found[1]["encoding"], "base64", "{}", run.stdout);
}

#[test]
fn human_format_shows_location_rule_and_redacted_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "app.env", "\nDB_PASSWORD=Zx8-Qv2mLp7w\n");
    let run = run_in(dir.path(), &["dir", "--format", "human", "--color", "never"]);
    let line = run.stdout.lines().next().expect("one line");
    assert!(line.starts_with("app.env:2:13  high"), "{line}");
    assert!(line.contains("generic.password") && line.contains("key=DB_PASSWORD"), "{line}");
    let colored = run_in(dir.path(), &["dir", "--format", "human", "--color", "always"]);
    assert!(colored.stdout.contains("\x1b["));
}

/// The size limit holds on either side of the point where sprawl first asks for a file's
/// size (64 KiB read): an oversized file is never scanned in part, and the skip names its
/// real size.
#[test]
fn size_limit_skips_whole_files_and_names_their_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut big = String::from("API_TOKEN=Qm4Rt7Yu1Io3Pa6Sd9Fg2Hj5\n");
    while big.len() < 70_000 {
        big.push_str("filler line of an ordinary log file\n");
    }
    write(dir.path(), "big.log", &big);
    write(dir.path(), "small.env", "API_TOKEN=Qm4Rt7Yu1Io3Pa6Sd9Fg2Hj5\n# padding to 64 bytes......\n");
    let limits = [("100K", 2, 0), ("50K", 1, 1), ("40", 0, 2)];
    for (limit, found, skipped) in limits {
        let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--max-file-size", limit]);
        assert_eq!(run.triples().len(), found, "--max-file-size {limit}: {:?}", run.triples());
        assert_eq!(run.stderr.matches("over --max-file-size").count(), skipped, "{}", run.stderr);
    }
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--max-file-size", "50K"]);
    assert!(run.stderr.contains(&format!("big.log: {} bytes", big.len())), "{}", run.stderr);
}
