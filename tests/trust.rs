//! The scanned repository is untrusted: its configuration cannot read files outside it, a
//! pull request cannot configure its own check, and no error quotes a configuration line.
use std::fs;

use crate::common::{git, run_in, sprawl, Run};

/// A value that must never appear in any output: planted in the environment and in files
/// the repository's configuration points at.
const CANARY: &str = "Canary-9f3a-Sup3rS3cret";

fn run_with_canary(dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from(sprawl().current_dir(dir).env("SPRAWL_TEST_CANARY", CANARY).args(args).output().expect("runs"))
}

#[test]
fn repository_rule_paths_stay_inside_the_repository() {
    let outside = tempfile::tempdir().expect("tempdir");
    fs::write(outside.path().join("leak.toml"), format!("token = \"{CANARY}\"\n")).expect("write");
    let leak = outside.path().join("leak.toml");
    for rules in [
        "/proc/self/environ".to_string(),
        leak.display().to_string(),
        "../leak.toml".to_string(),
        "link.toml".to_string(),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        fs::create_dir(&repo).expect("mkdir");
        fs::copy(&leak, dir.path().join("leak.toml")).expect("copy");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&leak, repo.join("link.toml")).expect("symlink");
        fs::write(repo.join(".sprawl.toml"), format!("rules = [{rules:?}]\n")).expect("write");
        let run = run_with_canary(&repo, &["dir", "."]);
        assert_eq!(run.code, 2, "{rules}: {}", run.stderr);
        assert!(!run.stdout.contains(CANARY) && !run.stderr.contains(CANARY), "{rules}: {}", run.stderr);
        assert!(
            run.stderr.contains("inside the repository") || run.stderr.contains("outside the repository"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn configuration_errors_name_the_place_not_the_line() {
    for config in [
        format!("[[allow]]\nregexes = [\"({CANARY}\"]\n"),
        format!("[[allow]]\npaths = [\"{CANARY}[\"]\n"),
        format!("max_file_size = \"{CANARY}\"\n"),
        format!("token = \"{CANARY}\" trailing\n"),
        format!("{CANARY} = 1\n"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(".sprawl.toml"), &config).expect("write");
        let run = run_in(dir.path(), &["dir", "."]);
        assert_eq!(run.code, 2, "{config}: {}", run.stderr);
        assert!(run.stderr.contains(".sprawl.toml:"), "{config}: {}", run.stderr);
        assert!(!run.stderr.contains(CANARY), "{config}: {}", run.stderr);
    }
}

/// A pull request that adds an allow-everything `.sprawl.toml` (or disables the rule) next
/// to its secret still fails its check, and the configuration change is reported.
#[test]
fn a_range_uses_the_base_configuration_and_reports_changes_to_it() {
    for config in ["[[allow]]\npaths = [\"**\"]\n", "disable = [\"generic.password\"]\n"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        git(d, &["init", "-q"]);
        fs::write(d.join("README"), "app\n").expect("write");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "base"]);
        let base = git(d, &["rev-parse", "HEAD"]);
        fs::write(d.join("app.env"), "DB_PASSWORD=Pr-Adds-Th1s-Pw\n").expect("write");
        fs::write(d.join(".sprawl.toml"), config).expect("write");
        git(d, &["add", "-A"]);
        git(d, &["commit", "-qm", "pr"]);
        let run = run_in(d, &["git", "--range", &format!("{base}..HEAD"), "--format", "jsonl"]);
        assert_eq!(run.code, 1, "{config}: {}", run.stderr);
        let got = run.triples();
        assert_eq!(got, [".sprawl.toml:1 sprawl.config-change", "app.env:1 generic.password"], "{config}");
        // The same tree scanned whole uses its own configuration, as before.
        let whole = run_in(d, &["dir", ".", "--format", "jsonl"]);
        assert_eq!(whole.code, 0, "{config}: {}", whole.stderr);
        if config.starts_with("disable") {
            assert!(whole.stderr.contains("rule generic.password is disabled"), "{}", whole.stderr);
        }
    }
}

/// Fingerprints do not give weak secrets away: a dictionary guess hashed the old way (an
/// unkeyed SHA-256) matches nothing; with an organisation key every fingerprint is an HMAC
/// under it, stable from run to run, so baselines keep working.
#[test]
fn fingerprints_resist_guessing_and_take_an_organisation_key() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().expect("tempdir");
    let weak = "Summer2024!";
    fs::write(dir.path().join("app.env"), format!("DB_PASSWORD={weak}\n")).expect("write");
    let fingerprint = |env: &[(&str, &str)]| {
        let mut cmd = sprawl();
        cmd.current_dir(dir.path())
            .args(["dir", ".", "--format", "jsonl"])
            .env_remove("SPRAWL_FINGERPRINT_KEY");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let run = Run::from(cmd.output().expect("runs"));
        assert_eq!(run.code, 1, "{}", run.stderr);
        run.findings()[0]["secret"]["fingerprint"].as_str().expect("fingerprint").to_string()
    };
    let unkeyed = fingerprint(&[]);
    let guess = Sha256::new().chain_update(b"sprawl-secret-v1\0").chain_update(weak).finalize();
    let guess: String = guess.iter().map(|b| format!("{b:02x}")).collect();
    assert!(unkeyed.starts_with("pbkdf2:") && !unkeyed.contains(&guess), "{unkeyed}");
    assert_eq!(fingerprint(&[]), unkeyed, "stable without a key");

    let key = [("SPRAWL_FINGERPRINT_KEY", "an-organisation-key-of-32-bytes!")];
    let keyed = fingerprint(&key);
    assert!(keyed.starts_with("hmac-sha256:") && keyed != unkeyed, "{keyed}");
    assert_eq!(fingerprint(&key), keyed, "stable with the same key");
    let other = fingerprint(&[("SPRAWL_FINGERPRINT_KEY", "another-organisation-key-32bytes")]);
    assert_ne!(other, keyed);

    // A baseline made with the key suppresses the finding on the next keyed run.
    let base = Run::from(
        sprawl()
            .current_dir(dir.path())
            .env("SPRAWL_FINGERPRINT_KEY", key[0].1)
            .args(["baseline", "create", "--files", "."])
            .output()
            .expect("runs"),
    );
    assert_eq!(base.code, 0, "{}", base.stderr);
    fs::write(dir.path().join("known.baseline"), &base.stdout).expect("write");
    let again = Run::from(
        sprawl()
            .current_dir(dir.path())
            .env("SPRAWL_FINGERPRINT_KEY", key[0].1)
            .args(["dir", ".", "--format", "jsonl", "--baseline", "known.baseline"])
            .output()
            .expect("runs"),
    );
    assert_eq!((again.code, again.findings().len()), (0, 0), "{}", again.stderr);
}
