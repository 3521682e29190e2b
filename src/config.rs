//! Command-line arguments become one validated, immutable [`ScanConfig`] before anything
//! runs; nothing below this module sees clap.
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::cli::{
    BaselineArgs, BaselineCommand, ColorChoice, Command, DirArgs, GitSelect, ReportArgs, ScanArgs,
};
use crate::live;
use crate::matcher::Matcher;
use crate::paths::RepoPaths;
use crate::project::ProjectFiles;
use crate::report::Format;
use crate::rules::RuleSet;
use crate::scanner::{self, Scanner};
use crate::source::dir::WalkOptions;
use crate::source::git;
use crate::source::history::Scope;
use crate::source::repo::{GitOptions, Mode};
use crate::suppress::baseline::Baseline;
use crate::suppress::config::ProjectConfig;
use crate::suppress::{gitleaks, Suppressor};

/// What a command scans.
pub enum Source {
    Dir(WalkOptions),
    Git(GitOptions),
    Stdin {
        label: String,
    },
    /// Many repositories (see `crate::sweep`): the targets are listed by the sweep itself.
    Sweep,
}

/// What a command writes: a report of the findings, or a baseline of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Report(Format),
    Baseline,
}

pub struct ScanConfig {
    pub source: Source,
    /// Where `.sprawl.toml`, `.gitleaks.toml`, CODEOWNERS and CI files are read from: the
    /// work tree's root (`None` for standard input and sweeps).
    pub root: Option<PathBuf>,
    pub threads: usize,
    pub max_file_size: u64,
    /// What the scanner keeps and reports.
    pub scan: scanner::Options,
    /// Live validation (`--validate`): off unless asked for.
    pub validate: Option<live::Settings>,
    pub output_mode: Output,
    /// Write JSON Lines in order at the end rather than as findings come (`--sort`).
    pub sort: bool,
    pub output: Option<PathBuf>,
    pub color: bool,
    /// The width the inventory table fits on a terminal (`None` with `--wide`).
    pub width: Option<usize>,
    /// Findings go to a terminal (not a file or a pipe).
    pub terminal: bool,
    pub quiet: bool,
    pub rules: Arc<RuleSet>,
    pub suppressor: Arc<Suppressor>,
    pub baseline: Option<Baseline>,
    pub show_suppressed: bool,
    /// Makes finding paths repository-relative (for allowed paths, baselines, SARIF).
    pub paths: RepoPaths,
    /// Problems found while loading the configuration, printed once the scan starts.
    pub warnings: Vec<String>,
    /// Configuration files a pull-request range changes (`--range` only): reported as
    /// findings, so that reviewers see a change to the check in the change it checks.
    pub config_changes: Vec<String>,
}

impl ScanConfig {
    /// The whole configuration of a scanning command (not `rules`), validated.
    pub fn new(command: &Command) -> anyhow::Result<Self> {
        let cwd = || std::env::current_dir().context("cannot read the current directory");
        match command {
            Command::Dir(args) => {
                Self::dir(&args.paths, (&args.scan, &args.report), Some(args), Output::Report)
            }
            Command::Git(args) => Self::git(&args.select, (&args.scan, &args.report), Output::Report),
            Command::Baseline(BaselineCommand::Create(args)) => {
                let report = baseline_report(args);
                if args.files {
                    let paths = std::slice::from_ref(&args.select.repo);
                    return Self::dir(paths, (&args.scan, &report), None, |_| Output::Baseline);
                }
                git::open(&args.select.repo).map_err(|e| {
                    anyhow::anyhow!(
                        "{e:#}\nhint: to baseline the files of a directory outside git, use \
                         `sprawl baseline create --files {}`",
                        args.select.repo.display()
                    )
                })?;
                Self::git(&args.select, (&args.scan, &report), |_| Output::Baseline)
            }
            Command::Stdin(args) => {
                let source = Source::Stdin { label: args.label.clone() };
                Self::build(
                    (&args.scan, &args.report),
                    source,
                    None,
                    ProjectFiles::Disk(cwd()?),
                    RepoPaths::default(),
                    Output::Report,
                )
            }
            Command::Sweep(args) => {
                let project = ProjectFiles::Disk(cwd()?);
                let report = ReportArgs {
                    format: Some(args.format.into()),
                    output: args.output.clone(),
                    sort: false,
                    no_redact: args.no_redact,
                    baseline: args.baseline.clone(),
                    show_suppressed: false,
                    color: ColorChoice::Never,
                    wide: args.wide,
                };
                let paths = RepoPaths::default();
                Self::build((&args.scan, &report), Source::Sweep, None, project, paths, Output::Report)
            }
            Command::Rules(_) => anyhow::bail!("`rules` scans nothing"),
            Command::Completions(_) | Command::Man(_) => anyhow::bail!("documentation commands scan nothing"),
        }
    }

    /// Files on disk. CODEOWNERS, CI files and `.sprawl.toml` come from the root of the work
    /// tree holding the first path (or that path itself); `dir` is `None` for a baseline of
    /// the work tree, which walks everything with the default settings.
    fn dir(
        paths: &[PathBuf],
        args: (&ScanArgs, &ReportArgs),
        dir: Option<&DirArgs>,
        output: fn(Format) -> Output,
    ) -> anyhow::Result<Self> {
        let first = paths.first().context("no path to scan")?;
        let worktree = git::discover(first).and_then(|r| r.workdir().map(Path::to_path_buf));
        let repo_paths = RepoPaths::for_dir(first, worktree);
        let root = repo_paths.root.clone().unwrap_or_else(|| first.clone());
        let walk = WalkOptions {
            paths: paths.to_vec(),
            respect_gitignore: dir.is_some_and(|d| d.respect_gitignore),
            exclude: dir.map(|d| d.exclude.clone()).unwrap_or_default(),
            follow: dir.is_some_and(|d| d.follow),
            one_file_system: dir.is_some_and(|d| d.one_file_system),
            threads: 0,
            max_file_size: 0,
            list: crate::egress::may_be_ci_file,
        };
        let project = ProjectFiles::Disk(root.clone());
        let mut config = Self::build(args, Source::Dir(walk), Some(root), project, repo_paths, output)?;
        if let Source::Dir(walk) = &mut config.source {
            (walk.threads, walk.max_file_size) = (config.threads, config.max_file_size);
        }
        Ok(config)
    }

    /// Git history, a range or the index. CODEOWNERS and CI files come from HEAD's tree (the
    /// index for `--staged`), `.sprawl.toml` from the work tree (the base commit for a range).
    fn git(
        args: &GitSelect,
        options: (&ScanArgs, &ReportArgs),
        output: fn(Format) -> Output,
    ) -> anyhow::Result<Self> {
        let repo = git::open(&args.repo)?;
        let root = repo.workdir().map_or_else(|| args.repo.clone(), Path::to_path_buf);
        let mode = if args.staged {
            Mode::Staged
        } else if let Some(range) = &args.range {
            Mode::Range(range.clone())
        } else {
            // A typo in --branch must not widen the scan to every ref: fail before scanning.
            if let Some(branch) = &args.branch {
                git::resolve_commit(&repo, branch).context("--branch")?;
            }
            // Unreachable means "reachable from no ref": clap rejects it with a narrowed scope.
            Mode::All {
                scope: Scope { branch: args.branch.clone(), since: args.since },
                unreachable: args.unreachable,
            }
        };
        // A pull request must not configure its own check: its range reads the configuration
        // of the base commit, and reports changes to it (see `config_changes`).
        let (project, config_changes) = match &mode {
            Mode::Range(range) => {
                let (base, tip) = git::split_range(range).context("--range")?;
                let resolve = |rev| git::resolve_commit(&repo, rev).context("--range");
                let (base, tip) = (resolve(base)?, resolve(tip)?);
                let changes = changed_config(&repo, base, tip)?;
                (ProjectFiles::Commit { repo: Box::new(repo), commit: base }, changes)
            }
            _ => (ProjectFiles::Disk(root), Vec::new()),
        };
        let opts = GitOptions { repo: args.repo.clone(), mode, threads: 0, max_file_size: 0 };
        let mut config =
            Self::build(options, Source::Git(opts), None, project, RepoPaths::default(), output)?;
        config.config_changes = config_changes;
        if let Source::Git(opts) = &mut config.source {
            (opts.threads, opts.max_file_size) = (config.threads, config.max_file_size);
        }
        Ok(config)
    }

    /// Validate the shared options and load the scanned repository's configuration:
    /// `project` is where `.sprawl.toml` and `.gitleaks.toml` are read when not given on the
    /// command line, and `paths` what finding paths are made relative to.
    fn build(
        (args, report): (&ScanArgs, &ReportArgs),
        source: Source,
        repo_root: Option<PathBuf>,
        project: ProjectFiles,
        paths: RepoPaths,
        output: fn(Format) -> Output,
    ) -> anyhow::Result<Self> {
        let mut warnings = Vec::new();
        let key = match &args.fingerprint_key_file {
            Some(file) => {
                Some(std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?)
            }
            None => std::env::var_os("SPRAWL_FINGERPRINT_KEY").map(|k| k.as_encoded_bytes().to_vec()),
        };
        let key = key.map(|k| k.trim_ascii().to_vec());
        anyhow::ensure!(
            key.as_ref().is_none_or(|k| k.len() >= 16),
            "the fingerprint key must have at least 16 bytes"
        );
        crate::secret::set_key(key);
        let project_files = |rel: &str| -> anyhow::Result<Option<String>> {
            if args.no_config {
                return Ok(None);
            }
            project.read(rel)
        };
        // The user's own files (named on the command line) are trusted; the repository's are
        // read inside it, from the base commit for a range.
        let mut rules = RuleSet::load(!args.no_builtin_rules, &args.rule_paths)?;
        let settings = match &args.config {
            Some(file) => {
                let settings = ProjectConfig::load(file)?;
                let dir = file.parent().unwrap_or(Path::new("."));
                let paths: Vec<PathBuf> = settings.rules.iter().map(|r| dir.join(r)).collect();
                rules.add(RuleSet::load(false, &paths)?.rules)?;
                settings
            }
            None => match project_files(".sprawl.toml")? {
                Some(text) => {
                    let settings = ProjectConfig::parse(".sprawl.toml", &text)?;
                    for rel in &settings.rules {
                        let files = project.rule_files(rel).context(".sprawl.toml: rules")?;
                        rules.add_files(&files)?;
                    }
                    settings
                }
                None => ProjectConfig::default(),
            },
        };
        let mut suppressor = settings.suppressor;
        let gitleaks = match &args.gitleaks_config {
            Some(file) => Some((
                file.display().to_string(),
                std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?,
            )),
            None => project_files(".gitleaks.toml")?.map(|text| (".gitleaks.toml".to_string(), text)),
        };
        if let Some((name, text)) = gitleaks {
            let imported = gitleaks::import(&name, &text)?;
            rules.add(imported.rules)?;
            suppressor.allows.extend(imported.allows);
            warnings.extend(imported.warnings);
        }
        anyhow::ensure!(
            !rules.is_empty(),
            "no rules to run: --no-builtin-rules needs --rules PATH, a rule file or gitleaks rules"
        );
        for (id, at) in &settings.disable {
            anyhow::ensure!(rules.remove(id), "{at}: disable names unknown rule {id:?}");
            warnings.push(format!("{at}: rule {id} is disabled by the configuration"));
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
        let baseline = report.baseline.as_deref().map(Baseline::load).transpose()?;
        let to_terminal = report.output.is_none() && std::io::stdout().is_terminal();
        let threads = match args.threads {
            Some(0) => anyhow::bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let format = report.format.unwrap_or(if to_terminal { Format::Human } else { Format::Jsonl });
        Ok(Self {
            source,
            root: repo_root,
            threads,
            max_file_size: args.max_file_size.or(settings.max_file_size).unwrap_or(100 << 20),
            scan: scanner::Options {
                no_redact: report.no_redact,
                keep_raw: args.validate,
                binary: args.binary,
                report_invalid: args.report_invalid,
            },
            validate: args.validate.then(|| live::Settings {
                budget: std::time::Duration::from_secs(
                    args.validate_timeout.unwrap_or(live::DEFAULT_BUDGET_SECS),
                ),
            }),
            output_mode: output(format),
            sort: report.sort,
            output: report.output.clone(),
            width: if report.wide { None } else { Some(terminal_width()) },
            color: match report.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            },
            terminal: to_terminal,
            quiet: args.quiet,
            rules,
            suppressor: Arc::new(suppressor),
            baseline,
            show_suppressed: report.show_suppressed,
            paths,
            warnings,
            config_changes: Vec::new(),
        })
    }

    pub fn scanner(&self) -> anyhow::Result<Scanner> {
        let matcher = Matcher::new(self.rules.clone()).context("building the matcher")?;
        Ok(Scanner::new(matcher, self.suppressor.clone(), self.scan))
    }

    /// The live validator, when `--validate` asks for one.
    pub fn validator(&self) -> anyhow::Result<Option<live::Validator>> {
        self.validate.map(live::Validator::new).transpose()
    }
}

/// The terminal's width: `COLUMNS` when set (as shells export it), else what the terminal on
/// standard output says, else 80.
fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok());
    columns
        .filter(|c| *c > 0)
        .or_else(|| terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| usize::from(w.0)))
        .unwrap_or(80)
}

/// A baseline is written, not reported: only where it goes is asked of the command line.
fn baseline_report(args: &BaselineArgs) -> ReportArgs {
    ReportArgs {
        format: None,
        output: args.output.clone(),
        sort: false,
        no_redact: false,
        baseline: None,
        show_suppressed: false,
        color: ColorChoice::Never,
        wide: false,
    }
}

/// The configuration files whose content differs between `base` and `tip`: `.sprawl.toml`,
/// `.gitleaks.toml` and the rule files the base's `.sprawl.toml` names.
fn changed_config(
    repo: &gix::Repository,
    base: gix::ObjectId,
    tip: gix::ObjectId,
) -> anyhow::Result<Vec<String>> {
    let mut watched = vec![".sprawl.toml".to_string(), ".gitleaks.toml".to_string()];
    let base_files = ProjectFiles::Commit { repo: Box::new(repo.clone()), commit: base };
    if let Ok(Some(text)) = base_files.read(".sprawl.toml") {
        if let Ok(settings) = ProjectConfig::parse(".sprawl.toml", &text) {
            for rel in settings.rules {
                match base_files.rule_files(&rel) {
                    Ok(files) => watched.extend(files.into_iter().map(|(name, _)| name)),
                    Err(_) => watched.push(rel),
                }
            }
        }
    }
    let blob = |commit, path: &str| match git::tree_entry(repo, commit, path) {
        Ok(Some(git::TreeEntry::Blob { id, .. })) => Some(id),
        _ => None,
    };
    Ok(watched.into_iter().filter(|p| blob(base, p) != blob(tip, p)).collect())
}
