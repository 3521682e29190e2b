//! Integration tests: each runs the built `sprawl` binary on real files, standard input
//! or real git repositories built with the `git` CLI.
//!
//! - `action`: the GitHub Action's scan step (shell script) on real repositories;
//! - `egress`: CI egress paths on the `testdata/egress` repository (dir and git);
//! - `egress_patterns`: one CI pattern and its safe twin per `testdata/egress-patterns/` directory;
//! - `dir`: `sprawl dir` on the fixture tree and on generated edge cases (exact findings,
//!   checksummed fakes, ignore handling, binary/large/unreadable input, exit codes, redaction);
//! - `git`: `sprawl git` on repositories built with the git CLI, and the pre-commit hook;
//! - `harden`: hostile input: oversized objects, costly regexes, big CODEOWNERS, silent skips;
//! - `html`: the HTML report rendered in headless Chromium;
//! - `identity`: identities, owners and the inventory on a generated repository;
//! - `stdin`: `sprawl stdin`;
//! - `rules`: `sprawl rules` and `rules --check`;
//! - `sarif`: SARIF validated against the 2.1.0 schema; no secret in any output format;
//! - `suppress`: inline markers, `.sprawl.toml`, gitleaks import, baselines;
//! - `output`: errors before any scanning, options per subcommand, human output worst first
//!   with a summary, unreachable objects off by default;
//! - `sweep`: incremental sweeps of several repositories, resumption, lock, shards;
//! - `contexts`: credentials on command lines, in headers, credential files and code shapes;
//! - `precision`: shapes measured on peer suites and real histories, found or quiet;
//! - `live`: `--validate` against fake providers behind a real CONNECT proxy and TLS;
//! - `newcomer`: installs, the hook's advice, completions, man page, gitleaks import (issue 17);
//! - `trust`: the scanned repository's configuration stays inside its trust boundary.
mod action;
mod common;
mod contexts;
mod dir;
mod egress;
mod egress_patterns;
mod git;
mod harden;
mod html;
mod identity;
mod live;
mod newcomer;
mod output;
mod precision;
mod rules;
mod sarif;
mod stdin;
mod suppress;
mod sweep;
mod trust;
