//! One function per subcommand: build the configuration, wire source → scanner → report.
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

use std::path::{Path, PathBuf};

use crate::cli::{BaselineCommand, Cli, Command, GitArgs, RulesArgs, ScanArgs, SweepArgs};
use crate::config::ScanConfig;
use crate::diag::Stats;
use crate::finding::Finding;
use crate::identity::owners::OwnerContext;
use crate::report::Format;
use crate::rules::RuleSet;
use crate::scanner::{ScanScratch, Skip};
use crate::source::dir::WalkOptions;
use crate::source::RepoPaths;
use crate::suppress::baseline;
use crate::{egress, report, source, sweep};

/// How a run ended, mapped to the exit code: 0 nothing reported, 1 findings, 2 error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Findings,
    Error,
}

impl Outcome {
    pub fn exit_code(self) -> std::process::ExitCode {
        std::process::ExitCode::from(match self {
            Self::Clean => 0,
            Self::Findings => 1,
            Self::Error => 2,
        })
    }
}

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Rules(args) => rules(&args),
        Command::Dir(args) => dir(&args.paths, &args.scan, |config| config.walk_options(&args), false),
        Command::Git(args) => git(&args, false),
        Command::Sweep(args) => sweep(&args),
        Command::Baseline(BaselineCommand::Create(args)) if args.files => {
            let paths = [args.git.repo.clone()];
            dir(&paths, &args.git.scan, |config| config.walk_all(&paths), true)
        }
        Command::Baseline(BaselineCommand::Create(args)) => git(&args.git, true),
        Command::Stdin(args) => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            let config = ScanConfig::from_args(&args.scan, &cwd, RepoPaths::default())?;
            let scanner = config.scanner()?;
            scan(
                &config,
                "input",
                |_: &Stats| OwnerContext::default(),
                |_: &Stats, _: &mut Vec<Finding>| {},
                |stats| {
                    let mut out = Vec::new();
                    let stdin = std::io::stdin().lock();
                    match scanner.scan_reader(stdin, &args.label, &mut ScanScratch::default(), &mut out)? {
                        Ok(bytes) => {
                            Stats::add(&stats.scanned, 1);
                            Stats::add(&stats.bytes, bytes);
                        }
                        Err(Skip::Binary) => {
                            stats.warn("standard input looks binary (use --binary to scan it)")
                        }
                    }
                    Ok(out)
                },
            )
        }
    }
}

/// Files on disk. CODEOWNERS and `.sprawl.toml` come from the root of the work tree holding
/// the first path (or that path itself).
fn dir(
    paths: &[PathBuf],
    args: &ScanArgs,
    walk: impl FnOnce(&ScanConfig) -> WalkOptions,
    write_baseline: bool,
) -> anyhow::Result<Outcome> {
    let first = paths.first().context("no path to scan")?;
    let repo_paths = RepoPaths::for_dir(first);
    let root = repo_paths.root.clone().unwrap_or_else(|| first.clone());
    let mut config = ScanConfig::from_args(args, &root, repo_paths)?;
    config.write_baseline = write_baseline;
    let scanner = config.scanner()?;
    let walk = walk(&config);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(config.threads).build()?;
    let owners =
        |stats: &Stats| OwnerContext::load(|rel| std::fs::read(root.join(rel)).ok(), |w| stats.warn(w));
    let files = std::cell::OnceCell::new();
    let egress = |stats: &Stats, found: &mut Vec<Finding>| {
        dir_egress(&walk.paths, files.get().map_or(&[][..], Vec::as_slice), stats, found);
    };
    scan(&config, "file", owners, egress, |stats| {
        let walked = pool.install(|| source::dir::scan(&scanner, &walk, stats))?;
        files.get_or_init(|| walked.ci_files);
        Ok(walked.findings)
    })
}

/// Git history, a range or the index. CODEOWNERS comes from HEAD's tree, `.sprawl.toml`
/// from the work tree.
fn git(args: &GitArgs, write_baseline: bool) -> anyhow::Result<Outcome> {
    let repo = source::git::open(&args.repo)?;
    let root = repo.workdir().map_or_else(|| args.repo.clone(), Path::to_path_buf);
    let mut config = ScanConfig::from_args(&args.scan, &root, RepoPaths::default())?;
    config.write_baseline = write_baseline;
    let scanner = config.scanner()?;
    let opts = config.git_options(args);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(config.threads).build()?;
    let owners =
        |stats: &Stats| OwnerContext::load(|rel| source::git::head_file(&repo, rel), |w| stats.warn(w));
    let egress = |stats: &Stats, found: &mut Vec<Finding>| git_egress(&opts, stats, found);
    scan(&config, "blob", owners, egress, |stats| pool.install(|| source::repo::scan(&scanner, &opts, stats)))
}

/// CI egress for files on disk: the CI files under the first scanned directory link the
/// findings, and their own secret references become findings.
fn dir_egress(paths: &[PathBuf], files: &[PathBuf], stats: &Stats, findings: &mut Vec<Finding>) {
    let Some(root) = paths.first().filter(|p| p.is_dir()) else { return };
    let warn = |w: String| stats.warn(w);
    let model = egress::CiModel::build(&egress::DiskFiles::new(root, files), &warn);
    let shown = egress::PathMap::under(root);
    model.link(findings, &shown);
    findings.extend(model.ci_secret_findings(&shown));
}

/// CI egress for history: the CI files of HEAD's tree (of the index for `--staged`: what the
/// commit will hold). A pre-commit hook (`--staged`) or a
/// pull-request range reports what the change adds: the egress paths of its hits, not the
/// CI secrets of the whole tree, and nothing at all (not even the tree walk) without hits.
fn git_egress(opts: &source::repo::GitOptions, stats: &Stats, findings: &mut Vec<Finding>) {
    let whole = matches!(opts.mode, source::repo::Mode::All { .. });
    if !whole && findings.is_empty() {
        return;
    }
    let Ok(repo) = source::git::open(&opts.repo) else { return };
    let warn = |w: String| stats.warn(w);
    let files = match opts.mode {
        source::repo::Mode::Staged => egress::GitTreeFiles::index(repo, &warn),
        _ => egress::GitTreeFiles::head(repo, &warn),
    };
    let model = egress::CiModel::build(&files, &warn);
    model.link(findings, &egress::PathMap::repo());
    if whole {
        findings.extend(model.ci_secret_findings(&egress::PathMap::repo()));
    }
}

/// Many repositories, incrementally. Output: JSON Lines (findings with their repository and
/// status, then one summary line per repository) or the inventory across all of them.
fn sweep(args: &SweepArgs) -> anyhow::Result<Outcome> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let config = ScanConfig::from_args(&args.scan, &cwd, RepoPaths::default())?;
    anyhow::ensure!(
        matches!(config.format, Format::Jsonl | Format::Inventory),
        "sweep writes JSON Lines or the inventory (--format jsonl|inventory)"
    );
    let scanner = config.scanner()?;
    let repos: Vec<PathBuf> = sweep::targets::list(&args.targets)?
        .into_iter()
        .filter(|r| args.shard.is_none_or(|s| sweep::targets::in_shard(r, s)))
        .collect();
    let opts = sweep::SweepOptions {
        state: args.state.clone(),
        threads: config.threads,
        max_file_size: config.max_file_size,
        rules_digest: config.rules.digest(),
    };
    let stats = Stats::default();
    for w in &config.warnings {
        stats.warn(w);
    }
    let warn = |w: String| stats.warn(w);
    let cx = sweep::Context { scanner: &scanner, suppressor: &config.suppressor, warn: &warn };
    let progress = (!config.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(repos.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} repositories {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let totals = std::sync::Mutex::new((0u64, 0usize));
    let done = |r: &sweep::RepoReport| {
        let mut t = totals.lock().expect("no thread panics while holding the lock");
        t.0 += r.summary.blobs_scanned;
        t.1 += r.summary.findings_open;
        if let Some(bar) = &progress {
            bar.inc(1);
            bar.set_message(format!("{} blobs, {} findings", t.0, t.1));
        }
    };
    let started = Instant::now();
    let reports = sweep::sweep(&repos, &opts, &cx, &done)?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }

    let mut out = output(&config)?;
    let shown = |status: sweep::Status| !args.only_new || status != sweep::Status::Open;
    let mut reported = 0usize;
    if config.format == Format::Inventory {
        let mut all = Vec::new();
        for r in &reports {
            for (_, f) in r.findings.iter().filter(|(s, _)| *s != sweep::Status::Closed && shown(*s)) {
                let mut f = f.clone();
                f.location.path = format!("{}:{}", r.summary.repo, f.location.path);
                all.push(f);
            }
        }
        reported = all.len();
        let cx = report::Context {
            rules: &config.rules,
            paths: &config.paths,
            color: config.color,
            terminal: config.terminal,
            warn: &|w| stats.warn(w),
        };
        report::write(Format::Inventory, &all, &cx, &mut out)?;
    } else {
        for r in &reports {
            for (status, f) in r.findings.iter().filter(|(s, _)| shown(*s)) {
                let mut line = serde_json::to_value(f)?;
                line["type"] = serde_json::json!("finding");
                line["repo"] = serde_json::json!(r.summary.repo);
                line["status"] = serde_json::to_value(status)?;
                serde_json::to_writer(&mut out, &line)?;
                writeln!(out)?;
                reported += usize::from(*status != sweep::Status::Closed);
            }
            let mut line = serde_json::to_value(&r.summary)?;
            line["type"] = serde_json::json!("summary");
            serde_json::to_writer(&mut out, &line)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    let failed = reports.iter().filter(|r| r.summary.error.is_some()).count();
    if !config.quiet {
        let unchanged = reports.iter().filter(|r| r.summary.unchanged).count();
        eprintln!(
            "sprawl: {} repositories ({unchanged} unchanged, {failed} failed), {} blobs scanned, {reported} findings reported in {:.2}s",
            reports.len(),
            totals.lock().expect("sweep is over").0,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(match (failed, reported) {
        (0, 0) => Outcome::Clean,
        (0, _) => Outcome::Findings,
        _ => Outcome::Error,
    })
}

/// Where findings go: `-o FILE` or standard output, buffered.
fn output(config: &ScanConfig) -> anyhow::Result<Box<dyn Write>> {
    Ok(match &config.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

/// Run a source; attach owners; apply allowed paths and the baseline; sort, report and
/// summarise.
fn scan(
    config: &ScanConfig,
    unit: &str,
    owners: impl FnOnce(&Stats) -> OwnerContext,
    egress: impl FnOnce(&Stats, &mut Vec<Finding>),
    source: impl FnOnce(&Stats) -> anyhow::Result<Vec<Finding>>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let stats = Stats::default();
    for w in &config.warnings {
        stats.warn(w);
    }
    let mut findings = source(&stats)?;
    egress(&stats, &mut findings);
    let owners = owners(&stats);
    let (mut suppressed, mut baselined) = (0usize, 0usize);
    let mut keys = Vec::with_capacity(findings.len());
    for f in &mut findings {
        let rel = config.paths.relative(&f.location.path);
        let found = owners.owners(f, rel.as_deref());
        if let Some(identity) = &mut f.identity {
            identity.owners = found;
        }
        let rel = rel.unwrap_or_else(|| f.location.path.clone());
        if f.suppressed.is_none() {
            f.suppressed = config.suppressor.by_path(&f.rule, &rel);
        }
        let key = baseline::key(&f.rule, &f.secret.fingerprint, &rel);
        if f.suppressed.is_some() {
            suppressed += 1;
        } else if config.baseline.as_ref().is_some_and(|b| b.contains(&key)) {
            f.suppressed = Some("baseline".to_string());
            baselined += 1;
        }
        keys.push(key);
    }
    let mut reported: Vec<(String, Finding)> = keys
        .into_iter()
        .zip(findings)
        .filter(|(_, f)| config.show_suppressed || f.suppressed.is_none())
        .collect();
    reported.sort_by(|a, b| a.1.sort_key().cmp(&b.1.sort_key()));
    let new = reported.iter().filter(|(_, f)| f.suppressed.is_none()).count();
    let mut out = output(config)?;
    if config.write_baseline {
        let entries: Vec<(String, &Finding)> =
            reported.iter().filter(|(_, f)| f.suppressed.is_none()).map(|(k, f)| (k.clone(), f)).collect();
        baseline::write(&entries, &mut out)?;
        out.flush()?;
    } else {
        let findings: Vec<Finding> = reported.into_iter().map(|(_, f)| f).collect();
        let cx = report::Context {
            rules: &config.rules,
            paths: &config.paths,
            color: config.color,
            terminal: config.terminal,
            warn: &|w| stats.warn(w),
        };
        report::write(config.format, &findings, &cx, &mut out)?;
    }
    if !config.quiet {
        summary(&stats, unit, new, (suppressed, baselined), started);
    }
    Ok(if new == 0 || config.write_baseline { Outcome::Clean } else { Outcome::Findings })
}

fn summary(
    stats: &Stats,
    unit: &str,
    findings: usize,
    (suppressed, baselined): (usize, usize),
    started: Instant,
) {
    let mut line = format!(
        "sprawl: {findings} finding{} in {} {unit}{} ({:.1} MB) in {:.2}s",
        if findings == 1 { "" } else { "s" },
        Stats::get(&stats.scanned),
        if Stats::get(&stats.scanned) == 1 { "" } else { "s" },
        Stats::get(&stats.bytes) as f64 / 1e6,
        started.elapsed().as_secs_f64(),
    );
    for (n, what) in [
        (Stats::get(&stats.skipped_binary), "binary skipped"),
        (Stats::get(&stats.skipped_large), "too large, skipped"),
        (suppressed as u64, "suppressed"),
        (baselined as u64, "in the baseline"),
        (Stats::get(&stats.warnings), "warnings"),
    ] {
        if n > 0 {
            line.push_str(&format!("; {n} {what}"));
        }
    }
    eprintln!("{line}");
}

fn rules(args: &RulesArgs) -> anyhow::Result<Outcome> {
    let set = Arc::new(RuleSet::load(true, &args.rule_paths)?);
    let mut out = std::io::stdout().lock();
    if args.check {
        let report = crate::rules::check(&set)?;
        for p in &report.problems {
            writeln!(out, "{p}")?;
        }
        let verdict = if report.problems.is_empty() {
            "ok".to_string()
        } else {
            format!("{} problems", report.problems.len())
        };
        writeln!(
            out,
            "{} rules over {} providers, {} examples: {verdict}",
            report.rules, report.providers, report.examples
        )?;
        return Ok(if report.problems.is_empty() { Outcome::Clean } else { Outcome::Error });
    }
    if args.json {
        let list: Vec<_> = set
            .rules
            .iter()
            .map(|r| {
                serde_json::json!({"id": r.id, "provider": r.provider, "name": r.name,
                    "severity": r.severity, "keywords": r.keywords})
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &list).context("writing rule list")?;
        writeln!(out)?;
    } else {
        for r in &set.rules {
            writeln!(out, "{:<40} {:<16} {}", r.id, r.provider, r.name)?;
        }
    }
    Ok(Outcome::Clean)
}
