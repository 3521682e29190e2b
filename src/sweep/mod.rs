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

use std::collections::BTreeMap;
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
use crate::pipeline::{self, Processed, Stages, Tally};
use crate::report::spill::{self, Spill};
use crate::scanner::Scanner;
use crate::source::attribute::{self, Batches, Hits};
use crate::source::{git, history::Scope, repo};
use crate::suppress::baseline::Baseline;
use crate::suppress::Suppressor;
use state::{Header, Open, Recorded, StateDir, Temporary, Writer};

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

/// What a repository contributes to the sweep's output, in this order: its findings, a
/// batch at a time, then its summary.
#[derive(Debug)]
pub enum Part<'a> {
    Findings { repo: &'a str, batch: &'a [(Status, Finding)] },
    Summary(&'a Summary),
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

/// The states a [`Commit::Deferred`] sweep wrote to temporary files, with the state
/// directory still locked.
pub struct Deferred {
    dir: Option<StateDir>,
    pending: Vec<Temporary>,
}

impl Deferred {
    /// Put the states in place, once the output is written.
    pub fn commit(self) -> anyhow::Result<()> {
        for p in self.pending {
            p.commit()?;
        }
        drop(self.dir);
        Ok(())
    }
}

/// Sweep `repos` (see [`targets`]). `emit` gets each repository's findings in batches as
/// they are settled, then its summary; with [`Commit::AfterEmit`] its state is put in place
/// once the summary was emitted. Returns the repositories' summaries in the order of `repos`
/// (their findings went to `emit` and are not kept), and the states still to be put in place
/// (none unless [`Commit::Deferred`]).
pub fn sweep(
    repos: &[PathBuf],
    opts: &SweepOptions,
    cx: &Context,
    when: Commit,
    emit: &(dyn Fn(Part) -> anyhow::Result<()> + Sync),
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
                let mut failed = None;
                let mut deliver = |batch: Vec<(Status, Finding)>| {
                    emit(Part::Findings { repo: &label, batch: &batch })
                        .inspect_err(|e| failed = Some(format!("{e:#}")))
                };
                let done = sweep_repo(path, &label, state.as_ref(), opts, per_repo, cx, &mut deliver);
                let (mut summary, pending) = match done {
                    Ok(done) => done,
                    Err(e) => (Summary { error: Some(format!("{e:#}")), ..Summary::default() }, None),
                };
                summary.repo = label.clone();
                summary.seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
                let emitted = match failed {
                    Some(e) => Err(anyhow::anyhow!(e)),
                    None => emit(Part::Summary(&summary)),
                };
                match (emitted, pending) {
                    (Err(e), _) => {
                        (cx.warn)(format!("{label}: output failed ({e:#}); its state is not recorded"))
                    }
                    (Ok(()), Some(p)) if when == Commit::AfterEmit => {
                        if let Err(e) = p.commit() {
                            (cx.warn)(format!("{label}: {e:#}"));
                        }
                    }
                    (Ok(()), Some(p)) => {
                        deferred.lock().expect("no thread panics while holding the lock").push(p)
                    }
                    (Ok(()), None) => {}
                }
                reports.lock().expect("no thread panics while holding the lock").push((i, summary));
            });
        }
    });
    let mut reports = reports.into_inner().expect("sweep threads have finished");
    reports.sort_by_key(|(i, _)| *i);
    let pending = deferred.into_inner().expect("sweep threads have finished");
    Ok((reports.into_iter().map(|(_, summary)| summary).collect(), Deferred { dir: state, pending }))
}

/// Where a repository's findings go, a batch at a time.
type Deliver<'a> = dyn FnMut(Vec<(Status, Finding)>) -> anyhow::Result<()> + 'a;

/// Sweep one repository: its findings go to `deliver`; returns its summary and its new
/// state, written to a temporary file (none without a state directory, or when nothing
/// moved).
fn sweep_repo(
    path: &Path,
    label: &str,
    state: Option<&StateDir>,
    opts: &SweepOptions,
    threads: usize,
    cx: &Context,
    deliver: &mut Deliver,
) -> anyhow::Result<(Summary, Option<Temporary>)> {
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
    let mut out = Batches::new(deliver);

    // With `--validate`, open findings are asked about again even when nothing moved: their
    // blobs are read once more for the secrets (state keeps none) and a credential that
    // stopped working gets its `revoked_at`.
    let revalidate = |p: &Recorded| cx.validator.is_some() && p.has_open();
    if let Some(prev) = previous.as_ref().filter(|p| p.header.refs == refs && !revalidate(p)) {
        summary.unchanged = true;
        for open in prev.open()? {
            out.push((Status::Open, open?.finding))?;
            summary.findings_open += 1;
        }
        out.finish()?;
        return Ok((summary, None));
    }

    let (hits, mut fresh) = match &previous {
        None => {
            let record = Mutex::new(Vec::new());
            let hits =
                repo::scan_database(cx.scanner, &repo, threads, opts.max_file_size, &stats, Some(&record))?;
            (hits, record.into_inner().expect("scan threads have finished"))
        }
        Some(prev) => {
            let new_tips: Vec<ObjectId> = tips.values().copied().collect();
            let old_tips: Vec<ObjectId> =
                prev.header.refs.values().filter_map(|h| ObjectId::from_hex(h.as_bytes()).ok()).collect();
            let mut candidates = git::blobs_since(&repo, &new_tips, &old_tips)?;
            candidates.sort();
            candidates.dedup();
            let candidates = unknown(candidates, prev.scanned()?)?;
            summary.blobs_skipped = candidates.known;
            let fresh = candidates.fresh;
            let mut hits = Hits::new()?;
            repo::scan_blobs(cx.scanner, &repo, &fresh, opts.max_file_size, &stats, &mut hits);
            // Blobs that had hits, read again to be attributed against today's refs.
            let again: Vec<ObjectId> =
                prev.hit_blobs()?.into_iter().filter(|id| fresh.binary_search(id).is_err()).collect();
            repo::scan_blobs(cx.scanner, &repo, &again, opts.max_file_size, &Stats::default(), &mut hits);
            (hits, fresh)
        }
    };
    summary.blobs_scanned = Stats::get(&stats.scanned) + Stats::get(&stats.skipped_binary);
    fresh.sort();
    fresh.dedup();

    // The new state starts now: the old scanned ids merged with the fresh ones, as they are
    // read from the old state file.
    let mut writer = match state {
        None => None,
        Some(dir) => {
            let mut hit_blobs: Vec<ObjectId> = hits.blobs().iter().copied().collect();
            hit_blobs.sort();
            let header = Header { repo: label.to_string(), rules: opts.rules_digest.clone(), refs };
            let old = previous.as_ref().map(Recorded::scanned).transpose()?;
            let scanned = merge(old.into_iter().flatten(), fresh.into_iter().map(Ok));
            Some(dir.writer(label, &header, scanned, &hit_blobs)?)
        }
    };

    // Every finding through the pipeline as it is placed, into a spill ordered by key.
    let warn = |w: String| (cx.warn)(format!("{label}: {w}"));
    let owners = OwnerContext::load(|rel, max| git::head_file(&repo, rel, max), warn);
    let mut files = git::TreeFiles::head(repo.clone(), crate::egress::may_be_ci_file, &warn);
    files.max = crate::egress::MAX_CI_FILE;
    let linker = Linker::new(cx.rules, owners, Some(&files), PathMap::repo(), true, &warn);
    let stages = Stages {
        linker: &linker,
        suppressor: cx.suppressor,
        baseline: cx.baseline,
        validator: cx.validator,
        paths: &RepoPaths::default(),
    };
    let by_key: spill::Order<Processed> = |a, b| a.key.cmp(&b.key);
    let mut settled = Spill::new(spill::budget()?, by_key);
    let mut tally = Tally::default();
    let reported = |batch: Vec<Processed>| batch.into_iter().filter(|p| p.finding.suppressed.is_none());
    settled.push(reported(pipeline::ci_batch(&stages, &mut tally)))?;
    let mut keep = |batch: Vec<Finding>| settled.push(reported(pipeline::batch(batch, &stages, &mut tally)));
    attribute::attribute(&repo, hits, &Scope::default(), false, None, &stats, &mut keep)?;
    let mut now = settled.finish()?;

    // A merge-join, by key, of today's findings with the ones open after the last run.
    let mut before = previous.as_ref().map(Recorded::open).transpose()?.into_iter().flatten().peekable();
    // The last run's latest finding at or before the key at hand: of several with one key,
    // the last carries the liveness.
    let mut was: Option<Open> = None;
    let mut close = |old: Open, was: &mut Option<Open>, out: &mut Batches<_>| -> anyhow::Result<()> {
        if was.as_ref().is_none_or(|w| w.key != old.key) {
            summary.findings_closed += 1;
            out.push((Status::Closed, old.finding.clone()))?;
        }
        *was = Some(old);
        Ok(())
    };
    for Processed { key, mut finding } in now.by_ref() {
        while let Some(old) = before.next_if(|o| o.as_ref().map_or(true, |o| o.key <= key)) {
            let old = old?;
            if old.key == key {
                was = Some(old);
            } else {
                close(old, &mut was, &mut out)?;
            }
        }
        let earlier = was.as_ref().filter(|w| w.key == key);
        // A run without `--validate` keeps what the last check said (it carries its time).
        match (finding.secret.liveness.as_mut(), earlier.and_then(|e| e.finding.secret.liveness.as_ref())) {
            (Some(live), Some(was)) => live.follow(was),
            (None, Some(was)) => finding.secret.liveness = Some(was.clone()),
            _ => {}
        }
        let status = if earlier.is_some() { Status::Open } else { Status::New };
        summary.findings_new += usize::from(status == Status::New);
        summary.findings_open += 1;
        let open = Open { key, finding };
        if let Some(w) = writer.as_mut() {
            w.open(&open)?;
        }
        out.push((status, open.finding))?;
    }
    now.check()?;
    for old in before {
        close(old?, &mut was, &mut out)?;
    }
    out.finish()?;
    Ok((summary, writer.map(Writer::finish).transpose()?))
}

/// Sorted candidates split by a sorted stream of known ids.
struct Unknown {
    fresh: Vec<ObjectId>,
    known: u64,
}

fn unknown(
    sorted: Vec<ObjectId>,
    known: impl Iterator<Item = anyhow::Result<ObjectId>>,
) -> anyhow::Result<Unknown> {
    let mut known = known.peekable();
    let mut out = Unknown { fresh: Vec::new(), known: 0 };
    for id in sorted {
        while let Some(k) = known.next_if(|k| k.as_ref().map_or(true, |k| *k < id)) {
            k?;
        }
        if matches!(known.peek(), Some(Ok(k)) if *k == id) {
            out.known += 1;
        } else {
            out.fresh.push(id);
        }
    }
    Ok(out)
}

/// Two sorted streams of ids as one sorted stream, each id once.
fn merge(
    a: impl Iterator<Item = anyhow::Result<ObjectId>>,
    b: impl Iterator<Item = anyhow::Result<ObjectId>>,
) -> impl Iterator<Item = anyhow::Result<ObjectId>> {
    let (mut a, mut b) = (a.peekable(), b.peekable());
    let mut last: Option<ObjectId> = None;
    std::iter::from_fn(move || loop {
        let from_a = match (a.peek(), b.peek()) {
            (None, None) => return None,
            (Some(Ok(x)), Some(Ok(y))) => x <= y,
            (Some(_), None) | (Some(Err(_)), _) => true,
            (None, Some(_)) | (_, Some(Err(_))) => false,
        };
        match if from_a { a.next() } else { b.next() }? {
            Ok(id) if last == Some(id) => {}
            Ok(id) => {
                last = Some(id);
                return Some(Ok(id));
            }
            Err(e) => return Some(Err(e)),
        }
    })
}
