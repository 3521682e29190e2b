//! Command-line arguments become one validated, immutable [`ScanConfig`] before anything
//! runs; nothing below this module sees clap.
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
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
use crate::source::RepoPaths;
use crate::suppress::baseline::Baseline;
use crate::suppress::config::ProjectConfig;
use crate::suppress::{gitleaks, Suppressor};

pub struct ScanConfig {
    pub threads: usize,
    pub max_file_size: u64,
    pub binary: bool,
    pub redact: bool,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub color: bool,
    /// Findings go to a terminal (not a file or a pipe).
    pub terminal: bool,
    pub quiet: bool,
    pub rules: Arc<RuleSet>,
    pub report_invalid: bool,
    pub suppressor: Arc<Suppressor>,
    pub baseline: Option<Baseline>,
    pub show_suppressed: bool,
    /// Makes finding paths repository-relative (for allowed paths, baselines, SARIF).
    pub paths: RepoPaths,
    /// Problems found while loading the configuration, printed once the scan starts.
    pub warnings: Vec<String>,
    /// Write a baseline of the findings instead of reporting them.
    pub write_baseline: bool,
}

impl ScanConfig {
    /// Validate the arguments and load the scanned repository's configuration: `root` is
    /// where `.sprawl.toml` and `.gitleaks.toml` are looked for when not given, and what
    /// finding paths are made relative to (`None` when they already are).
    pub fn from_args(args: &ScanArgs, root: &Path, paths: RepoPaths) -> anyhow::Result<Self> {
        if args.no_builtin_rules && args.rule_paths.is_empty() {
            anyhow::bail!("--no-builtin-rules needs at least one --rules PATH");
        }
        let mut warnings = Vec::new();
        let project = match &args.config {
            Some(file) => ProjectConfig::load(file, &file.display().to_string())?,
            None => match root.join(".sprawl.toml") {
                f if f.is_file() && !args.no_config => ProjectConfig::load(&f, ".sprawl.toml")?,
                _ => ProjectConfig::default(),
            },
        };
        let mut rule_paths = args.rule_paths.clone();
        rule_paths.extend(project.rules.iter().cloned());
        let mut rules = RuleSet::load(!args.no_builtin_rules, &rule_paths)?;
        let mut suppressor = project.suppressor;
        let gitleaks_file = args
            .gitleaks_config
            .clone()
            .or_else(|| Some(root.join(".gitleaks.toml")).filter(|f| f.is_file() && !args.no_config));
        if let Some(file) = gitleaks_file {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.strip_prefix(root).unwrap_or(&file).display().to_string();
            let imported = gitleaks::import(&name, &text)?;
            rules.add(imported.rules)?;
            suppressor.allows.extend(imported.allows);
            warnings.extend(imported.warnings);
        }
        for (id, at) in &project.disable {
            anyhow::ensure!(rules.remove(id), "{at}: disable names unknown rule {id:?}");
        }
        for allow in &suppressor.allows {
            for id in &allow.rules {
                anyhow::ensure!(
                    rules.rules.iter().any(|r| &r.id == id),
                    "{}: unknown rule {id:?}",
                    allow.origin
                );
            }
        }
        let rules = Arc::new(rules);
        let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
        let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
        let threads = match args.threads {
            Some(0) => anyhow::bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        Ok(Self {
            threads,
            max_file_size: args.max_file_size.or(project.max_file_size).unwrap_or(100 << 20),
            binary: args.binary,
            redact: !args.no_redact,
            format: args.format.unwrap_or(if to_terminal { Format::Human } else { Format::Jsonl }),
            output: args.output.clone(),
            color: match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            },
            terminal: to_terminal,
            quiet: args.quiet,
            rules,
            report_invalid: args.report_invalid,
            suppressor: Arc::new(suppressor),
            baseline,
            show_suppressed: args.show_suppressed,
            paths,
            warnings,
            write_baseline: false,
        })
    }

    pub fn scanner(&self) -> anyhow::Result<Scanner> {
        let matcher = Matcher::new(self.rules.clone()).context("building the matcher")?;
        Ok(Scanner::new(matcher, self.suppressor.clone(), self.redact, self.binary, self.report_invalid))
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

    /// Every file under `paths`, with the default walk settings.
    pub fn walk_all(&self, paths: &[PathBuf]) -> WalkOptions {
        WalkOptions {
            paths: paths.to_vec(),
            respect_gitignore: false,
            exclude: Vec::new(),
            follow: false,
            one_file_system: false,
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
