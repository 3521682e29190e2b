//! Integration tests: each runs the built `sprawl` binary on real files, standard input
//! or real git repositories built with the `git` CLI.
//!
//! - `dir`: `sprawl dir` on the fixture tree and on generated edge cases (exact findings,
//!   checksummed fakes, ignore handling, binary/large/unreadable input, exit codes, redaction);
//! - `git`: `sprawl git` on repositories built with the git CLI, and the pre-commit hook;
//! - `stdin`: `sprawl stdin`;
//! - `rules`: `sprawl rules` and `rules --check`.
mod common;
mod dir;
mod git;
mod rules;
mod stdin;
