//! One function per subcommand: build the configuration, wire source → scanner → report.
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;

use crate::cli::{Cli, Command, RulesArgs};
use crate::config::ScanConfig;
use crate::diag::Stats;
use crate::finding::Finding;
use crate::rules::RuleSet;
use crate::scanner::{ScanScratch, Skip};
use crate::{report, source};

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
        Command::Dir(args) => {
            let config = ScanConfig::from_args(&args.scan)?;
            let scanner = config.scanner()?;
            let walk = config.walk_options(&args);
            let pool = rayon::ThreadPoolBuilder::new().num_threads(config.threads).build()?;
            scan(&config, "file", |stats| pool.install(|| source::dir::scan(&scanner, &walk, stats)))
        }
        Command::Git(args) => {
            let config = ScanConfig::from_args(&args.scan)?;
            let scanner = config.scanner()?;
            let opts = config.git_options(&args);
            let pool = rayon::ThreadPoolBuilder::new().num_threads(config.threads).build()?;
            scan(&config, "blob", |stats| pool.install(|| source::repo::scan(&scanner, &opts, stats)))
        }
        Command::Stdin(args) => {
            let config = ScanConfig::from_args(&args.scan)?;
            let scanner = config.scanner()?;
            scan(&config, "input", |stats| {
                let mut out = Vec::new();
                let stdin = std::io::stdin().lock();
                match scanner.scan_reader(stdin, &args.label, &mut ScanScratch::default(), &mut out)? {
                    Ok(bytes) => {
                        Stats::add(&stats.scanned, 1);
                        Stats::add(&stats.bytes, bytes);
                    }
                    Err(Skip::Binary) => stats.warn("standard input looks binary (use --binary to scan it)"),
                }
                Ok(out)
            })
        }
    }
}

/// Run a source, then sort, report and summarise what it found.
fn scan(
    config: &ScanConfig,
    unit: &str,
    source: impl FnOnce(&Stats) -> anyhow::Result<Vec<Finding>>,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let stats = Stats::default();
    let mut findings = source(&stats)?;
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut out: Box<dyn Write> = match &config.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    report::write(config.format, &findings, config.color, &mut out)?;
    if !config.quiet {
        summary(&stats, unit, findings.len(), started);
    }
    Ok(if findings.is_empty() { Outcome::Clean } else { Outcome::Findings })
}

fn summary(stats: &Stats, unit: &str, findings: usize, started: Instant) {
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
