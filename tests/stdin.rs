//! `sprawl stdin`.
use crate::common::{run_stdin, valid_github_token};

#[test]
fn finds_secret_on_stdin_with_label() {
    let token = valid_github_token("stdin");
    let input = format!("line one\nexport GH={token}\n");
    let run = run_stdin(&["stdin", "--format", "jsonl", "--label", "piped.txt"], input.as_bytes());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.triples(), ["piped.txt:2 github.pat.classic"]);
    assert!(!run.stdout.contains(&token), "raw secret leaked");
}

#[test]
fn clean_stdin_exits_zero() {
    let run = run_stdin(&["stdin", "--format", "jsonl"], b"nothing to see\n");
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty());
}

#[test]
fn binary_stdin_is_skipped_with_warning() {
    let run = run_stdin(&["stdin", "--format", "jsonl"], b"\0\x01binary\npassword=Xk2pLm9qRz77\n");
    assert_eq!(run.code, 0);
    assert!(run.stderr.contains("binary"), "{}", run.stderr);
    let run =
        run_stdin(&["stdin", "--format", "jsonl", "--binary"], b"\0\x01binary\npassword=Xk2pLm9qRz77\n");
    assert_eq!(run.code, 1);
}
