//! `sprawl sweep`: many repositories, in parallel, incremental from run to run.
//!
//! Per repository: when its ref tips and the rule set are what the state recorded, nothing
//! is read and the open findings stand. When refs moved, only blobs that the new commits add
//! and that were never scanned are read; the blobs of open findings are read again (a few)
//! so that every finding is attributed afresh against the current refs: what no ref carries
//! any more is closed. Without state, or when the rules changed, the whole object database
//! is scanned.
pub mod state;
pub mod targets;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use gix::ObjectId;
use serde::Serialize;

use crate::diag::Stats;
use crate::finding::Finding;
use crate::link::owners::OwnerContext;
use crate::link::Linker;
use crate::paths::{PathMap, RepoPaths};
use crate::pipeline::{self, Stages};
use crate::scanner::Scanner;
use crate::source::attribute::{self, Hits};
use crate::source::{git, history::Scope, repo};
use crate::suppress::baseline::Baseline;
use crate::suppress::Suppressor;
use state::{Header, Open, RepoState, StateDir};

#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub state: Option<PathBuf>,
    pub threads: usize,
    pub max_file_size: u64,
    pub rules_digest: String,
}

/// Whether a finding is new since the last sweep, still open, or gone from every ref.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Open,
    Closed,
}

/// One repository's line in the output, after its findings.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub repo: String,
    /// Nothing was read: refs and rules are as last recorded.
    pub unchanged: bool,
    pub blobs_scanned: u64,
    /// Blobs the new commits carry that earlier sweeps already scanned.
    pub blobs_skipped: u64,
    pub findings_new: usize,
    pub findings_open: usize,
    pub findings_closed: usize,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What one repository contributes to the sweep's output.
#[derive(Debug, Default)]
pub struct RepoReport {
    pub findings: Vec<(Status, Finding)>,
    pub summary: Summary,
}

/// What a sweep needs from the scan configuration.
pub struct Context<'a> {
    pub scanner: &'a Scanner,
    /// The providers' hosts, for egress.
    pub rules: &'a crate::rules::RuleSet,
    pub suppressor: &'a Suppressor,
    pub baseline: Option<&'a Baseline>,
    pub validator: Option<&'a crate::live::Validator>,
    pub warn: &'a (dyn Fn(String) + Sync),
}

/// When a repository's state is written: right after its report was emitted (the output
/// streams, so a sweep killed at any point has written every finding whose state it
/// recorded), or by the caller once the whole output is written (an inventory needs every
/// repository first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    AfterEmit,
    Deferred,
}

/// A repository's state, computed but not yet written.
struct Pending {
    label: String,
    state: RepoState,
}

/// The states a [`Commit::Deferred`] sweep left, with the state directory still locked.
pub struct Deferred {
    dir: Option<StateDir>,
    pending: Vec<Pending>,
}

impl Deferred {
    /// Write the states, once the output is written.
    pub fn commit(self) -> anyhow::Result<()> {
        let Some(dir) = self.dir else { return Ok(()) };
        for p in self.pending {
            dir.save(&p.label, &p.state)?;
        }
        Ok(())
    }
}

/// Sweep `repos` (see [`targets`]). `emit` gets each repository's report as soon as it is
/// done; with [`Commit::AfterEmit`] its state is written once `emit` returned `Ok`. Returns
/// the repositories' summaries in the order of `repos` (their findings went to `emit` and are
/// not kept), and the states still to be written (none unless [`Commit::Deferred`]).
pub fn sweep(
    repos: &[PathBuf],
    opts: &SweepOptions,
    cx: &Context,
    when: Commit,
    emit: &(dyn Fn(&RepoReport) -> anyhow::Result<()> + Sync),
) -> anyhow::Result<(Vec<Summary>, Deferred)> {
    let state = opts.state.as_deref().map(|d| StateDir::open(d, &|n| (cx.warn)(n))).transpose()?;
    // Repositories run side by side; each gets its share of the threads for pack decoding.
    let per_repo = (opts.threads / repos.len().max(1)).max(1);
    let parallel = opts.threads.min(repos.len()).max(1);
    let next = Mutex::new(0usize);
    let reports = Mutex::new(Vec::new());
    let deferred = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..parallel {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().expect("no thread panics while holding the lock");
                    *n += 1;
                    *n - 1
                };
                let Some(path) = repos.get(i) else { break };
                let started = Instant::now();
                let label = path.display().to_string();
                let (mut report, pending) = match sweep_repo(path, &label, state.as_ref(), opts, per_repo, cx)
                {
                    Ok((report, state)) => {
                        (report, state.map(|state| Pending { label: label.clone(), state }))
                    }
                    Err(e) => {
                        let summary = Summary { error: Some(format!("{e:#}")), ..Summary::default() };
                        (RepoReport { summary, ..RepoReport::default() }, None)
                    }
                };
                report.summary.repo = label;
                report.summary.seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
                let emitted = emit(&report);
                match (emitted, pending, state.as_ref()) {
                    (Err(e), ..) => (cx.warn)(format!(
                        "{}: output failed ({e:#}); its state is not recorded",
                        report.summary.repo
                    )),
                    (Ok(()), Some(p), Some(dir)) if when == Commit::AfterEmit => {
                        if let Err(e) = dir.save(&p.label, &p.state) {
                            (cx.warn)(format!("{}: {e:#}", p.label));
                        }
                    }
                    (Ok(()), Some(p), _) => {
                        deferred.lock().expect("no thread panics while holding the lock").push(p)
                    }
                    (Ok(()), None, _) => {}
                }
                reports.lock().expect("no thread panics while holding the lock").push((i, report.summary));
            });
        }
    });
    let mut reports = reports.into_inner().expect("sweep threads have finished");
    reports.sort_by_key(|(i, _)| *i);
    let pending = deferred.into_inner().expect("sweep threads have finished");
    Ok((reports.into_iter().map(|(_, summary)| summary).collect(), Deferred { dir: state, pending }))
}

fn sweep_repo(
    path: &Path,
    label: &str,
    state: Option<&StateDir>,
    opts: &SweepOptions,
    threads: usize,
    cx: &Context,
) -> anyhow::Result<(RepoReport, Option<RepoState>)> {
    let repo = git::open(path)?;
    let tips = git::ref_tips(&repo)?;
    let refs: BTreeMap<String, String> = tips.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
    let previous = match state.map(|s| s.load(label)).transpose() {
        Ok(p) => p.flatten().filter(|p| p.header.rules == opts.rules_digest),
        Err(e) => {
            (cx.warn)(format!("{label}: {e:#}; scanning from scratch"));
            None
        }
    };
    let stats = Stats::default();
    let mut summary = Summary::default();

    // With `--validate`, open findings are asked about again even when nothing moved: their
    // blobs are read once more for the secrets (state keeps none) and a credential that
    // stopped working gets its `revoked_at`.
    let revalidate = |p: &RepoState| cx.validator.is_some() && !p.header.open.is_empty();
    if let Some(prev) = previous.as_ref().filter(|p| p.header.refs == refs && !revalidate(p)) {
        summary.unchanged = true;
        summary.findings_open = prev.header.open.len();
        let findings = prev.header.open.iter().map(|o| (Status::Open, o.finding.clone())).collect();
        return Ok((RepoReport { findings, summary }, None));
    }

    let mut scanned: Vec<ObjectId>;
    let hits = match &previous {
        None => {
            let record = Mutex::new(Vec::new());
            let hits =
                repo::scan_database(cx.scanner, &repo, threads, opts.max_file_size, &stats, Some(&record))?;
            scanned = record.into_inner().expect("scan threads have finished");
            hits
        }
        Some(prev) => {
            let new_tips: Vec<ObjectId> = tips.values().copied().collect();
            let old_tips: Vec<ObjectId> =
                prev.header.refs.values().filter_map(|h| ObjectId::from_hex(h.as_bytes()).ok()).collect();
            let candidates = git::blobs_since(&repo, &new_tips, &old_tips)?;
            let (known, fresh): (Vec<ObjectId>, Vec<ObjectId>) =
                candidates.into_iter().partition(|id| prev.contains(id));
            summary.blobs_skipped = known.len() as u64;
            let mut hits = Hits::new()?;
            repo::scan_blobs(cx.scanner, &repo, &fresh, opts.max_file_size, &stats, &mut hits);
            // Blobs that had hits, read again to be attributed against today's refs.
            let again: Vec<ObjectId> = prev
                .header
                .hit_blobs
                .iter()
                .filter_map(|h| ObjectId::from_hex(h.as_bytes()).ok())
                .filter(|id| !fresh.contains(id))
                .collect();
            repo::scan_blobs(cx.scanner, &repo, &again, opts.max_file_size, &Stats::default(), &mut hits);
            scanned = prev.scanned.clone();
            scanned.extend(fresh);
            hits
        }
    };
    summary.blobs_scanned = Stats::get(&stats.scanned) + Stats::get(&stats.skipped_binary);
    scanned.sort();
    scanned.dedup();

    let hit_blobs: BTreeSet<String> = hits.blobs().iter().map(ObjectId::to_string).collect();
    // Every open finding is held: the state file stores them all.
    let mut found = Vec::new();
    let mut keep = |batch: Vec<Finding>| {
        found.extend(batch);
        Ok(())
    };
    attribute::attribute(&repo, hits, &Scope::default(), false, None, &stats, &mut keep)?;
    let warn = |w: String| (cx.warn)(format!("{label}: {w}"));
    let owners = OwnerContext::load(|rel, max| git::head_file(&repo, rel, max), warn);
    let mut files = git::TreeFiles::head(repo, crate::egress::may_be_ci_file, &warn);
    files.max = crate::egress::MAX_CI_FILE;
    let linker = Linker::new(cx.rules, owners, Some(&files), PathMap::repo(), true, &warn);
    let stages = Stages {
        linker: &linker,
        suppressor: cx.suppressor,
        baseline: cx.baseline,
        validator: cx.validator,
        paths: &RepoPaths::default(),
    };
    let (processed, _) = pipeline::run(found, &stages);
    let (keys, mut found): (Vec<String>, Vec<Finding>) =
        processed.into_iter().filter(|p| p.finding.suppressed.is_none()).map(|p| (p.key, p.finding)).unzip();

    let before: BTreeMap<&str, &Finding> =
        previous.iter().flat_map(|p| p.header.open.iter().map(|o| (o.key.as_str(), &o.finding))).collect();
    let now: BTreeSet<String> = keys.iter().cloned().collect();
    let mut findings: Vec<(Status, Finding)> = Vec::new();
    for (key, f) in keys.iter().zip(found.iter_mut()) {
        let earlier = before.get(key.as_str());
        // A run without `--validate` keeps what the last check said (it carries its time).
        match (f.secret.liveness.as_mut(), earlier.and_then(|e| e.secret.liveness.as_ref())) {
            (Some(live), Some(was)) => live.follow(was),
            (None, Some(was)) => f.secret.liveness = Some(was.clone()),
            _ => {}
        }
        let status = if earlier.is_some() { Status::Open } else { Status::New };
        findings.push((status, f.clone()));
    }
    if let Some(prev) = &previous {
        let mut closed: Vec<&Open> = prev.header.open.iter().filter(|o| !now.contains(&o.key)).collect();
        closed.dedup_by(|a, b| a.key == b.key);
        findings.extend(closed.into_iter().map(|o| (Status::Closed, o.finding.clone())));
    }
    summary.findings_new = findings.iter().filter(|(s, _)| *s == Status::New).count();
    summary.findings_open = found.len();
    summary.findings_closed = findings.iter().filter(|(s, _)| *s == Status::Closed).count();

    let state = state.is_some().then(|| {
        let open = keys.into_iter().zip(found).map(|(key, finding)| Open { key, finding }).collect();
        let header = Header {
            repo: label.to_string(),
            rules: opts.rules_digest.clone(),
            refs,
            hit_blobs: hit_blobs.into_iter().collect(),
            open,
        };
        RepoState { header, scanned }
    });
    Ok((RepoReport { findings, summary }, state))
}
