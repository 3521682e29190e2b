//! Command-line arguments become one validated, immutable [`ScanConfig`] before anything
//! runs; nothing below this module sees clap.
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::cli::{ColorChoice, DirArgs, GitArgs, ScanArgs};
use crate::matcher::Matcher;
use crate::report::Format;
use crate::rules::RuleSet;
use crate::scanner::Scanner;
use crate::source::dir::WalkOptions;
use crate::source::history::Scope;
use crate::source::repo::{GitOptions, Mode};

pub struct ScanConfig {
    pub threads: usize,
    pub max_file_size: u64,
    pub binary: bool,
    pub redact: bool,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub color: bool,
    pub quiet: bool,
    pub rules: Arc<RuleSet>,
    pub report_invalid: bool,
}

impl ScanConfig {
    pub fn from_args(args: &ScanArgs) -> anyhow::Result<Self> {
        if args.no_builtin_rules && args.rule_paths.is_empty() {
            anyhow::bail!("--no-builtin-rules needs at least one --rules PATH");
        }
        let rules = Arc::new(RuleSet::load(!args.no_builtin_rules, &args.rule_paths)?);
        let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
        let threads = match args.threads {
            Some(0) => anyhow::bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(Self {
            threads,
            max_file_size: args.max_file_size,
            binary: args.binary,
            redact: !args.no_redact,
            format: args.format.unwrap_or(if to_terminal { Format::Human } else { Format::Jsonl }),
            output: args.output.clone(),
            color: match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            },
            quiet: args.quiet,
            rules,
            report_invalid: args.report_invalid,
        })
    }

    pub fn scanner(&self) -> anyhow::Result<Scanner> {
        let matcher = Matcher::new(self.rules.clone()).context("building the matcher")?;
        Ok(Scanner::new(matcher, self.redact, self.binary, self.report_invalid))
    }

    pub fn walk_options(&self, args: &DirArgs) -> WalkOptions {
        WalkOptions {
            paths: args.paths.clone(),
            respect_gitignore: args.respect_gitignore,
            exclude: args.exclude.clone(),
            follow: args.follow,
            one_file_system: args.one_file_system,
            threads: self.threads,
            max_file_size: self.max_file_size,
        }
    }

    pub fn git_options(&self, args: &GitArgs) -> GitOptions {
        let mode = if args.staged {
            Mode::Staged
        } else if let Some(range) = &args.range {
            Mode::Range(range.clone())
        } else {
            // Unreachable means "reachable from no ref": meaningless once the scope narrows.
            let narrowed = args.branch.is_some() || args.since.is_some();
            Mode::All {
                scope: Scope { branch: args.branch.clone(), since: args.since },
                unreachable: !args.no_unreachable && !narrowed,
            }
        };
        GitOptions { repo: args.repo.clone(), mode, threads: self.threads, max_file_size: self.max_file_size }
    }
}
