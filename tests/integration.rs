//! Integration tests: each runs the built `sprawl` binary on real files, standard input
//! or real git repositories built with the `git` CLI.
//!
//! - `egress`: CI egress paths on the `testdata/egress` repository (dir and git);
//! - `dir`: `sprawl dir` on the fixture tree and on generated edge cases (exact findings,
//!   checksummed fakes, ignore handling, binary/large/unreadable input, exit codes, redaction);
//! - `git`: `sprawl git` on repositories built with the git CLI, and the pre-commit hook;
//! - `identity`: identities, owners and the inventory on a generated repository;
//! - `stdin`: `sprawl stdin`;
//! - `rules`: `sprawl rules` and `rules --check`;
//! - `sarif`: SARIF validated against the 2.1.0 schema; no secret in any output format;
//! - `suppress`: inline markers, `.sprawl.toml`, gitleaks import, baselines;
//! - `sweep`: incremental sweeps of several repositories, resumption, lock, shards;
//! - `newcomer`: installs, the hook's advice, completions, man page, gitleaks import (issue 17);
//! - `trust`: the scanned repository's configuration stays inside its trust boundary.
mod common;
mod dir;
mod egress;
mod git;
mod identity;
mod newcomer;
mod rules;
mod sarif;
mod stdin;
mod suppress;
mod sweep;
mod trust;
