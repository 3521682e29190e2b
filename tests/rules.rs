//! `sprawl rules`: listing and the self-check.
use crate::common::{root, run_in};

#[test]
fn check_passes_on_builtin_rules() {
    let run = run_in(&root(), &["rules", "--check"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.trim_end().ends_with(": ok"), "{}", run.stdout);
}

#[test]
fn check_reports_a_broken_rule_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        r#"[[rule]]
id = "test.bad"
name = "Bad"
provider = "test"
keywords = ["tok_"]
regex = '''(?P<secret>tok_[a-z]{8})'''
severity = "high"
examples = ["tok_ABCDEFGH"]
negative_examples = ["tok_abcdefgh"]
"#,
    )
    .expect("write rule");
    let run = run_in(&root(), &["rules", "--check", "--rules", file.to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("test.bad (") && run.stdout.contains("example does not match: \"tok_ABCDEFGH\"")
    );
    assert!(run.stdout.contains("negative example matches: \"tok_abcdefgh\""));
}

#[test]
fn unknown_field_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("typo.toml");
    std::fs::write(&file, "[[rule]]\nid = \"x.y\"\nnegative_exmaples = []\n").expect("write");
    let run = run_in(&root(), &["rules", "--rules", file.to_str().expect("utf-8 path")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("typo.toml") && run.stderr.contains("negative_exmaples"), "{}", run.stderr);
}

#[test]
fn list_names_every_rule() {
    let run = run_in(&root(), &["rules", "--json"]);
    assert_eq!(run.code, 0);
    let list: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("JSON list");
    assert!(list.len() >= 150, "{} rules", list.len());
    assert!(list.iter().any(|r| r["id"] == "github.pat.classic"));
}

/// A misspelt identity hint used to pass the check and silently drop the identity.
#[test]
fn unknown_identity_hint_is_an_error_naming_file_rule_and_valid_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("hint.toml");
    std::fs::write(
        &file,
        r#"[[rule]]
id = "test.hint"
name = "Hint"
provider = "test"
keywords = ["tok_"]
regex = '''(?P<secret>tok_[a-z]{8})'''
identity = "aws-acess-key"
severity = "high"
examples = ["tok_abcdefgh"]
negative_examples = ["tok_ABCDEFGH"]
"#,
    )
    .expect("write rule");
    let path = file.to_str().expect("utf-8 path");
    for args in [&["rules", "--check", "--rules", path][..], &["dir", "--rules", path, "."][..]] {
        let run = run_in(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains("hint.toml") && said.contains("test.hint"), "{said}");
        assert!(
            said.contains("\"aws-acess-key\"") && said.contains("aws-access-key, github-token"),
            "{said}"
        );
    }
}
