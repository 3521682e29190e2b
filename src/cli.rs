//! The command line, declared with clap derive. Nothing here validates beyond clap;
//! `config.rs` turns these into one immutable `ScanConfig`.
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

/// Find leaked credentials of non-human identities in files and git history.
#[derive(Debug, Parser)]
#[command(name = "sprawl", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files on disk (every file but `.git/`, hidden and ignored ones included).
    Dir(DirArgs),
    /// Scan a git repository: every blob in history once, a commit range, or staged changes.
    Git(GitArgs),
    /// Scan standard input.
    Stdin(StdinArgs),
    /// List the signatures, or check them.
    Rules(RulesArgs),
    /// Sweep many repositories, incrementally from run to run (JSON Lines, inventory or HTML).
    Sweep(SweepArgs),
    /// Record the current findings as accepted, so that later scans report only new ones.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Print shell completions (to install: `sprawl completions bash > /etc/bash_completion.d/sprawl`).
    Completions(CompletionsArgs),
    /// Print the man page of sprawl, or of one of its commands (`sprawl man git | man -l -`).
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`git`, `baseline create`); sprawl(1) without one.
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DirArgs {
    /// Files or directories to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Skip what .gitignore/.ignore exclude, except files that git tracks.
    #[arg(long)]
    pub respect_gitignore: bool,
    /// Skip paths matching this glob (gitignore syntax; repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Do not descend into directories on other file systems.
    #[arg(long)]
    pub one_file_system: bool,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long, short = 'L')]
    pub follow: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    #[command(flatten)]
    pub select: GitSelect,
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Which repository, and which part of it, a git scan reads.
#[derive(Debug, Args)]
pub struct GitSelect {
    /// The repository: a work tree (or any directory inside one), a `.git` directory or a
    /// bare repository.
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Only what is reachable from this branch, tag or revision (default: every ref).
    #[arg(long, value_name = "REF", conflicts_with_all = ["range", "staged"])]
    pub branch: Option<String>,
    /// Only blobs introduced by the commits of BASE..HEAD (pull-request mode).
    #[arg(long, value_name = "BASE..HEAD", conflicts_with = "staged")]
    pub range: Option<String>,
    /// Only commits from this date on: YYYY-MM-DD, RFC 3339 or @UNIX.
    #[arg(long, value_name = "DATE", value_parser = crate::source::repo::parse_since,
          conflicts_with_all = ["range", "staged"])]
    pub since: Option<i64>,
    /// Also report blobs that no ref reaches (dangling objects: clones and forks may still
    /// hold them). Off by default; they are labelled `<unreachable blob ID>`.
    #[arg(long, conflicts_with_all = ["branch", "since", "range", "staged"])]
    pub unreachable: bool,
    /// Only what `git commit` would add now: the index against HEAD (pre-commit mode).
    #[arg(long)]
    pub staged: bool,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A file listing repository paths (one per line, `#` comments), or a directory whose
    /// subdirectories are repositories.
    pub targets: PathBuf,
    /// Keep per-repository state here, so the next sweep reads only what is new.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Report only findings that were not open after the previous sweep (and closed ones).
    #[arg(long)]
    pub only_new: bool,
    /// Take only shard I of N of the targets (stable partition by repository path).
    #[arg(long, value_name = "I/N", value_parser = crate::sweep::targets::parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SweepFormat::Jsonl)]
    pub format: SweepFormat,
    /// Write findings to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets in full. Never use in CI logs.
    #[arg(long)]
    pub no_redact: bool,
    /// Report only findings not in this baseline (see `sprawl baseline create`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Inventory on a terminal: every column in full, however wide.
    #[arg(long)]
    pub wide: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
}

/// What a sweep writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SweepFormat {
    /// Findings with their repository and status, then one summary line per repository.
    Jsonl,
    /// One row per identity across all repositories.
    Inventory,
    /// The HTML report across all repositories.
    Html,
}

impl From<SweepFormat> for Format {
    fn from(f: SweepFormat) -> Self {
        match f {
            SweepFormat::Jsonl => Format::Jsonl,
            SweepFormat::Inventory => Format::Inventory,
            SweepFormat::Html => Format::Html,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan (history by default, the work tree with --files) and write every finding's
    /// content key to the file given with -o, sorted, one per line.
    Create(BaselineArgs),
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Scan the files of the work tree (or of any directory) instead of git history.
    #[arg(long, conflicts_with_all = ["branch", "range", "since", "unreachable", "staged"])]
    pub files: bool,
    /// Write the baseline to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub select: GitSelect,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct StdinArgs {
    /// Path to report for the scanned bytes.
    #[arg(long, default_value = "<stdin>")]
    pub label: String,
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Options shared by every scanning command: what to look for and how hard.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Worker threads (default: number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Skip files larger than this, with a warning (K, M, G suffixes; default 100M).
    #[arg(long, value_name = "SIZE", value_parser = crate::units::parse_size)]
    pub max_file_size: Option<u64>,
    /// Scan binary files too (files with a NUL byte in their first 8 KiB are skipped).
    #[arg(long)]
    pub binary: bool,
    /// Key fingerprints with the organisation key in FILE (kept outside the repository; the
    /// SPRAWL_FINGERPRINT_KEY environment variable does the same): a report's fingerprints
    /// then reveal nothing to anyone without the key. See docs/SECURITY.md.
    #[arg(long, value_name = "FILE")]
    pub fingerprint_key_file: Option<PathBuf>,
    /// Extra rule files or directories of `*.toml` rule files (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    pub rule_paths: Vec<PathBuf>,
    /// Use only the rules given with --rules.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Report matches whose checksum fails or that do not decode.
    #[arg(long)]
    pub report_invalid: bool,
    /// Ask each supported provider whether its credentials are live: one read-only request
    /// per distinct secret, only to the provider's own hosts built into sprawl (never to a
    /// host from the scanned content or its configuration). Off by default: without it
    /// sprawl opens no socket. Honours HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE.
    #[arg(long)]
    pub validate: bool,
    /// Time budget in seconds for all of --validate's requests (default 60); what is not
    /// checked by then is reported as unknown.
    #[arg(long, value_name = "SECONDS", requires = "validate")]
    pub validate_timeout: Option<u64>,
    /// Settings and allowlists (default: `.sprawl.toml` at the scanned root, if any).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore `.sprawl.toml` and `.gitleaks.toml` at the scanned root.
    #[arg(long, conflicts_with_all = ["config", "gitleaks_config"])]
    pub no_config: bool,
    /// Import the rules and allowlists of a gitleaks configuration (default:
    /// `.gitleaks.toml` at the scanned root, if any).
    #[arg(long, value_name = "FILE")]
    pub gitleaks_config: Option<PathBuf>,
    /// No summary line and no progress bar on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Options of the commands that report findings (`dir`, `git`, `stdin`).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format (human on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write findings to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// JSON Lines sorted by path, position and rule, written at the end (every finding is
    /// held in memory until then). Without it, `dir` and `stdin` write each finding as soon
    /// as the part of the file holding it is scanned, in the order files finish; the other
    /// formats and `git` are always sorted.
    #[arg(long)]
    pub sort: bool,
    /// Print secrets in full. Never use in CI logs.
    #[arg(long)]
    pub no_redact: bool,
    /// Report only findings not in this baseline (see `sprawl baseline create`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Also list suppressed and baselined findings (with the reason).
    #[arg(long)]
    pub show_suppressed: bool,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Inventory on a terminal: every column in full, however wide.
    #[arg(long)]
    pub wide: bool,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Check every rule: compiles, unique id, examples match, negative examples do not.
    #[arg(long)]
    pub check: bool,
    /// Extra rule files or directories to list or check with the builtin ones.
    #[arg(long = "rules", value_name = "PATH")]
    pub rule_paths: Vec<PathBuf>,
    /// Print the list as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
