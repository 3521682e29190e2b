//! The commands: build the configuration, run its source through the scanner and the one
//! post-scan pipeline (`crate::pipeline`), then report.
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;

use crate::cli::{Cli, Command, RulesArgs, SweepArgs};
use crate::config::{Output, ScanConfig, Source};
use crate::diag::Stats;
use crate::finding::Finding;
use crate::link::owners::OwnerContext;
use crate::link::Linker;
use crate::paths::PathMap;
use crate::pipeline::{self, Processed, Stages, Tally};
use crate::report::spill::{self, Spill};
use crate::report::Format;
use crate::rules::RuleSet;
use crate::scanner::{ScanScratch, Skip};
use crate::source::dir::WalkOptions;
use crate::source::git::TreeFiles;
use crate::source::repo::{GitOptions, Mode};
use crate::suppress::baseline;
use crate::{egress, progress, report, source, sweep};

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
    if let Command::Rules(args) = &cli.command {
        return rules(args);
    }
    match &cli.command {
        Command::Completions(args) => {
            crate::manual::completions(args.shell, &mut std::io::stdout().lock())?;
            return Ok(Outcome::Clean);
        }
        Command::Man(args) => {
            crate::manual::man(&args.command, &mut std::io::stdout().lock())?;
            return Ok(Outcome::Clean);
        }
        _ => {}
    }
    let config = ScanConfig::new(&cli.command)?;
    match &cli.command {
        Command::Sweep(args) => sweep(args, &config),
        _ => scan(&config),
    }
}

/// Run the configured source, each batch of its findings through the pipeline as it comes;
/// report (or write a baseline) and summarise.
fn scan(config: &ScanConfig) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let stats = Stats::new(config.quiet);
    for w in &config.warnings {
        stats.warn(w);
    }
    let scanner = config.scanner()?;
    // Opened before the scan: an unwritable -o fails now, not after minutes of work.
    let reporter = Reporter::new(config, output(config)?)?;
    let validator = config.validator()?;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(config.threads).build()?;
    // A sign of life for long scans of files or history, on a terminal only.
    let progress = !config.quiet && std::io::stderr().is_terminal();
    let stages = |linker| Stages {
        linker,
        suppressor: &config.suppressor,
        baseline: config.baseline.as_ref(),
        validator: validator.as_ref(),
        paths: &config.paths,
    };
    let unit = match &config.source {
        Source::Dir(walk) => {
            // The CI model links findings as they come: its files are listed first.
            let listing = source::dir::list(walk, &stats)?;
            let linker = dir_linker(config, walk, &listing.listed, &stats);
            let stages = stages(&linker);
            let mut tally = Tally::default();
            reporter.take(pipeline::ci_batch(&stages, &mut tally), tally)?;
            let emit = |batch| {
                let mut tally = Tally::default();
                reporter.take(pipeline::batch(batch, &stages, &mut tally), tally)
            };
            progress::while_running(progress, &stats, "file", || {
                pool.install(|| source::dir::scan(&scanner, walk, &listing, &stats, &emit))
            })?;
            "file"
        }
        Source::Git(opts) => {
            let scanned = progress::while_running(progress, &stats, "blob", || {
                pool.install(|| source::repo::scan(&scanner, opts, &stats))
            })?;
            let changes: Vec<Finding> =
                config.config_changes.iter().map(|path| Finding::config_change(path)).collect();
            let hits = scanned.hits() > 0 || !changes.is_empty();
            let linker = git_linker(&config.rules, opts, hits, &stats)?;
            let stages = stages(&linker);
            let mut tally = Tally::default();
            reporter.take(pipeline::ci_batch(&stages, &mut tally), tally)?;
            // Into the report a batch at a time, as the hits are placed in history.
            let mut emit = |batch| {
                let mut tally = Tally::default();
                reporter.take(pipeline::batch(batch, &stages, &mut tally), tally)
            };
            emit(changes)?;
            progress::while_running(progress, &stats, "blob", || {
                pool.install(|| scanned.place(&stats, &mut emit))
            })?;
            "blob"
        }
        Source::Stdin { label } => {
            let linker = Linker::none();
            let stages = stages(&linker);
            let mut emitted = Ok(());
            let emit = |batch| {
                if emitted.is_ok() {
                    let mut tally = Tally::default();
                    emitted = reporter.take(pipeline::batch(batch, &stages, &mut tally), tally);
                }
            };
            let stdin = std::io::stdin().lock();
            match scanner.scan_reader(
                stdin,
                (u64::MAX, || Ok(0)),
                label,
                &mut ScanScratch::default(),
                emit,
            )? {
                Ok(bytes) => {
                    Stats::add(&stats.scanned, 1);
                    Stats::add(&stats.bytes, bytes);
                }
                Err(Skip::Binary) => stats.warn("standard input looks binary (use --binary to scan it)"),
            }
            emitted?;
            "input"
        }
        Source::Sweep => anyhow::bail!("a sweep is not a single scan"),
    };
    let (new, tally) = reporter.finish(config, &stats)?;
    if !config.quiet {
        summary(&stats, unit, new, tally, started);
        if new > 0 && matches!(&config.source, Source::Git(GitOptions { mode: Mode::Staged, .. })) {
            eprint!("{STAGED_NEXT_STEPS}");
        }
    }
    Ok(if new == 0 || config.output_mode == Output::Baseline { Outcome::Clean } else { Outcome::Findings })
}

/// Where a scan's findings go once through the pipeline: JSON Lines of `dir` and `stdin`
/// without `--sort` are written batch by batch as they come, in the order files finish, so
/// such a scan holds only the batches being scanned; every other report (and a baseline)
/// needs them in order: a [`Spill`] holds them up to its budget, then writes sorted runs to
/// a temporary file, and the report is written from the merged runs.
struct Reporter {
    stream: bool,
    show_suppressed: bool,
    state: Mutex<Reported>,
}

struct Reported {
    out: Box<dyn Write + Send>,
    /// The findings of an ordered report (none when streaming).
    held: Spill<Processed>,
    tally: Tally,
    /// Findings reported, not suppressed.
    new: usize,
}

impl Reporter {
    fn new(config: &ScanConfig, out: Box<dyn Write + Send>) -> anyhow::Result<Self> {
        let order = match config.output_mode {
            Output::Report(format) => report::order(format),
            Output::Baseline => report::order(Format::Json),
        };
        let held = Spill::new(spill::budget()?, order);
        Ok(Self {
            stream: config.output_mode == Output::Report(Format::Jsonl)
                && !config.sort
                && matches!(config.source, Source::Dir(_) | Source::Stdin { .. }),
            show_suppressed: config.show_suppressed,
            state: Mutex::new(Reported { out, held, tally: Tally::default(), new: 0 }),
        })
    }

    /// One batch through the pipeline, with the suppressions `tally` counted in it: written
    /// and flushed now (serialised before the lock is taken), or held.
    fn take(&self, batch: Vec<Processed>, tally: Tally) -> anyhow::Result<()> {
        let new = batch.iter().filter(|p| p.finding.suppressed.is_none()).count();
        let mut lines = Vec::new();
        if self.stream {
            let shown = batch.iter().map(|p| &p.finding);
            report::write_jsonl(
                shown.filter(|f| self.show_suppressed || f.suppressed.is_none()),
                &mut lines,
            )?;
        }
        let mut state = self.state.lock().expect("no thread panics while holding the lock");
        state.tally.suppressed += tally.suppressed;
        state.tally.baselined += tally.baselined;
        state.new += new;
        if self.stream {
            state.out.write_all(&lines)?;
            state.out.flush()?;
        } else {
            state.held.push(batch)?;
        }
        Ok(())
    }

    /// Write what was held, in order; the count of findings reported and the tally.
    fn finish(self, config: &ScanConfig, stats: &Stats) -> anyhow::Result<(usize, Tally)> {
        let Reported { mut out, held, tally, new } =
            self.state.into_inner().expect("no thread panics while holding the lock");
        if self.stream {
            out.flush()?;
            return Ok((new, tally));
        }
        let mut merged = held.finish()?;
        match config.output_mode {
            Output::Baseline => {
                let entries = merged.by_ref().filter(|p| p.finding.suppressed.is_none());
                baseline::write(entries.map(|p| (p.key, p.finding)), &mut out)?;
                out.flush()?;
            }
            Output::Report(format) => {
                let warn = |w: String| stats.warn(w);
                let shown =
                    merged.by_ref().filter(|p| self.show_suppressed || p.finding.suppressed.is_none());
                report::write(format, shown.map(|p| p.finding), &report_context(config, &warn), &mut out)?;
            }
        }
        merged.check()?;
        Ok((new, tally))
    }
}

/// What a pre-commit refusal tells the person committing. Rotation comes first: a secret that
/// was typed into a file may already sit in shell history, logs, an editor's backups or
/// another clone, and removing it from the commit does not take it back from those.
const STAGED_NEXT_STEPS: &str = "\
sprawl: the commit was refused because it adds the secrets above. Next:
  1. rotate each real secret first (revoke it at its provider, issue a new one), since it may
     already be in shell history, logs or other clones;
  2. then remove it from the change (edit the file, `git add` it again) and load it at run
     time from a secret store or the environment instead;
  - a false positive: put `sprawl:allow` in a comment on its line (or the line before), or an
    [[allow]] entry in .sprawl.toml;
  - accepted as known: record it with `sprawl baseline create --files -o .sprawl-baseline`
    and give the hook `--baseline .sprawl-baseline` in its args.
";

fn report_context<'a>(config: &'a ScanConfig, warn: &'a dyn Fn(String)) -> report::Context<'a> {
    report::Context {
        rules: &config.rules,
        paths: &config.paths,
        color: config.color,
        terminal: config.terminal,
        width: config.width,
        warn,
    }
}

/// Files on disk: owners from the work tree's CODEOWNERS; egress from the CI files the
/// listing walk found under the first scanned directory, whose own secret references become
/// findings.
fn dir_linker(config: &ScanConfig, walk: &WalkOptions, listed: &[PathBuf], stats: &Stats) -> Linker {
    let warn = |w: String| stats.warn(w);
    let owners = match &config.root {
        Some(root) => OwnerContext::load(|rel, max| source::dir::read_capped(&root.join(rel), max), warn),
        None => OwnerContext::default(),
    };
    let Some(first) = walk.paths.first().filter(|p| p.is_dir()) else {
        return Linker::new(&config.rules, owners, None, PathMap::repo(), false, &warn);
    };
    let files = egress::DiskFiles::new(first, listed);
    Linker::new(&config.rules, owners, Some(&files), PathMap::under(first), true, &warn)
}

/// History: owners and CI files from HEAD's tree (the index for `--staged`: what the commit
/// will hold). A pre-commit hook or a pull-request range reports what the change adds: the
/// egress paths of its hits, not the CI secrets of the whole tree, and builds no CI model at
/// all (not even the tree walk) without hits.
fn git_linker(rules: &RuleSet, opts: &GitOptions, hits: bool, stats: &Stats) -> anyhow::Result<Linker> {
    let warn = |w: String| stats.warn(w);
    let repo = source::git::open(&opts.repo)?;
    let owners = OwnerContext::load(|rel, max| source::git::head_file(&repo, rel, max), warn);
    let whole = matches!(opts.mode, Mode::All { .. });
    if !whole && !hits {
        return Ok(Linker::new(rules, owners, None, PathMap::repo(), false, &warn));
    }
    let mut files = match opts.mode {
        Mode::Staged => TreeFiles::index(repo, egress::may_be_ci_file, &warn),
        _ => TreeFiles::head(repo, egress::may_be_ci_file, &warn),
    };
    files.max = egress::MAX_CI_FILE;
    Ok(Linker::new(rules, owners, Some(&files), PathMap::repo(), whole, &warn))
}

/// Many repositories, incrementally. Output: JSON Lines (findings with their repository and
/// status, then one summary line per repository), or the inventory or HTML report across all
/// of them.
fn sweep(args: &SweepArgs, config: &ScanConfig) -> anyhow::Result<Outcome> {
    let scanner = config.scanner()?;
    // Opened before the sweep: an unwritable -o fails now, not after minutes of work.
    let out = std::sync::Mutex::new(output(config)?);
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
    let stats = Stats::new(config.quiet);
    for w in &config.warnings {
        stats.warn(w);
    }
    let warn = |w: String| stats.warn(w);
    let validator = config.validator()?;
    let cx = sweep::Context {
        scanner: &scanner,
        rules: &config.rules,
        suppressor: &config.suppressor,
        baseline: config.baseline.as_ref(),
        validator: validator.as_ref(),
        warn: &warn,
    };
    let progress = (!config.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(repos.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} repositories {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let totals = std::sync::Mutex::new((0u64, 0usize));
    let shown = |status: sweep::Status| !args.only_new || status != sweep::Status::Open;
    // The inventory and the HTML report group across repositories: written at the end.
    let grouped = match config.output_mode {
        Output::Report(f @ (Format::Inventory | Format::Html)) => Some(f),
        _ => None,
    };
    let inventory = grouped.is_some();
    // What they group is gathered from every repository through a spill, in bounded memory.
    let gathered = Mutex::new(Spill::new(spill::budget()?, report::order::<Finding>(Format::Json)));
    // JSON Lines stream: each repository's lines are written and flushed before its state
    // is recorded, so a sweep killed at any point loses nothing and `--only-new` stays exact.
    let reported = std::sync::atomic::AtomicUsize::new(0);
    let emit = |part: sweep::Part| -> anyhow::Result<()> {
        let (repo, batch) = match part {
            sweep::Part::Findings { repo, batch } => (repo, batch),
            sweep::Part::Summary(summary) => {
                let mut t = totals.lock().expect("no thread panics while holding the lock");
                t.0 += summary.blobs_scanned;
                t.1 += summary.findings_open;
                if let Some(bar) = &progress {
                    bar.inc(1);
                    bar.set_message(format!("{} blobs, {} findings", t.0, t.1));
                }
                if inventory {
                    return Ok(());
                }
                let mut line = serde_json::to_value(summary)?;
                line["type"] = serde_json::json!("summary");
                let mut out = out.lock().expect("no thread panics while holding the lock");
                serde_json::to_writer(&mut *out, &line)?;
                writeln!(out)?;
                out.flush()?;
                return Ok(());
            }
        };
        if inventory {
            let listed = batch.iter().filter(|(s, _)| *s != sweep::Status::Closed && shown(*s));
            let placed: Vec<Finding> = listed
                .map(|(_, f)| {
                    let mut f = f.clone();
                    f.location.path = format!("{repo}:{}", f.location.path);
                    f
                })
                .collect();
            reported.fetch_add(placed.len(), Ordering::Relaxed);
            gathered.lock().expect("no thread panics while holding the lock").push(placed)?;
            return Ok(());
        }
        let mut lines = Vec::new();
        for (status, f) in batch.iter().filter(|(s, _)| shown(*s)) {
            let mut line = serde_json::to_value(f)?;
            line["type"] = serde_json::json!("finding");
            line["repo"] = serde_json::json!(repo);
            line["status"] = serde_json::to_value(status)?;
            serde_json::to_writer(&mut lines, &line)?;
            lines.push(b'\n');
            reported.fetch_add(usize::from(*status != sweep::Status::Closed), Ordering::Relaxed);
        }
        // Repositories swept side by side may interleave their lines; each names its own.
        out.lock().expect("no thread panics while holding the lock").write_all(&lines)?;
        Ok(())
    };
    let started = Instant::now();
    let when = if inventory { sweep::Commit::Deferred } else { sweep::Commit::AfterEmit };
    let (summaries, deferred) = sweep::sweep(&repos, &opts, &cx, when, &emit)?;
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let mut out = out.into_inner().expect("sweep is over");
    let reported = reported.into_inner();
    if let Some(format) = grouped {
        let mut merged = gathered.into_inner().expect("sweep is over").finish()?;
        report::write(format, merged.by_ref(), &report_context(config, &warn), &mut out)?;
        merged.check()?;
    }
    out.flush()?;
    deferred.commit()?;
    let failed = summaries.iter().filter(|s| s.error.is_some()).count();
    if !config.quiet {
        let unchanged = summaries.iter().filter(|s| s.unchanged).count();
        eprintln!(
            "sprawl: {} repositories ({unchanged} unchanged, {failed} failed), {} blobs scanned, {reported} findings reported in {:.2}s",
            summaries.len(),
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
fn output(config: &ScanConfig) -> anyhow::Result<Box<dyn Write + Send>> {
    Ok(match &config.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

fn summary(stats: &Stats, unit: &str, findings: usize, tally: Tally, started: Instant) {
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
        (Stats::get(&stats.missing), "missing from the repository"),
        (tally.suppressed as u64, "suppressed"),
        (tally.baselined as u64, "in the baseline"),
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
