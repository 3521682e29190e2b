//! `sprawl git`: scan every blob of a repository once and then say where each hit lives in
//! history; or scan only what a commit range introduced, or what is staged for commit.
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

use gix::ObjectId;
use rayon::prelude::*;

use super::attribute::{self, introduced_by, Emit, Hits};
use super::git::{self, RangeBlob};
use super::history::Scope;
use crate::diag::Stats;
use crate::finding::{Finding, GitInfo};
use crate::scanner::{ScanScratch, Scanner};

/// What part of the repository to scan.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Every blob in the object database, attributed to the commits in `scope`; blobs no
    /// commit in scope carries are reported as unreachable when `unreachable` is set.
    All { scope: Scope, unreachable: bool },
    /// Blobs introduced by the commits of `BASE..TIP`.
    Range(String),
    /// Index entries that differ from HEAD.
    Staged,
}

#[derive(Debug, Clone)]
pub struct GitOptions {
    pub repo: PathBuf,
    pub mode: Mode,
    pub threads: usize,
    pub max_file_size: u64,
}

/// What a scan found and what its hits still need to be placed: paths and history.
pub(crate) struct Scanned {
    repo: gix::Repository,
    hits: Hits,
    then: Then,
}

/// How the hits are placed once the scan is done.
enum Then {
    /// Provenance over `scope`; `present` holds every blob the scan read.
    All { scope: Scope, unreachable: bool, present: HashSet<ObjectId> },
    /// At the paths and commits that introduced each blob.
    Range(Vec<RangeBlob>),
    /// At the index paths that hold each blob.
    Staged(Vec<(String, ObjectId)>),
}

/// Scan what `opts.mode` names; [`Scanned::place`] then passes the findings on.
pub(crate) fn scan(scanner: &Scanner, opts: &GitOptions, stats: &Stats) -> anyhow::Result<Scanned> {
    let repo = git::open(&opts.repo)?;
    if !matches!(opts.mode, Mode::Staged) {
        for note in git::notes(&repo) {
            stats.note(note);
        }
    }
    let (hits, then) = match &opts.mode {
        Mode::All { scope, unreachable } => {
            let read = Mutex::new(Vec::new());
            let hits = scan_database(scanner, &repo, opts.threads, opts.max_file_size, stats, Some(&read))?;
            let present = read.into_inner().expect("scan threads have finished").into_iter().collect();
            (hits, Then::All { scope: scope.clone(), unreachable: *unreachable, present })
        }
        Mode::Range(range) => {
            let blobs = git::range_blobs(&repo, range)?;
            let ids = blobs.iter().map(|b| (b.id, b.id.to_string()));
            let mut hits = Hits::new()?;
            scan_listed(scanner, &repo, ids, opts.max_file_size, stats, &mut hits);
            (hits, Then::Range(blobs))
        }
        Mode::Staged => {
            let staged = git::staged_blobs(&repo)?;
            let ids = staged.iter().map(|(path, id)| (*id, path.clone()));
            let mut hits = Hits::new()?;
            scan_listed(scanner, &repo, ids, opts.max_file_size, stats, &mut hits);
            (hits, Then::Staged(staged))
        }
    };
    Ok(Scanned { repo, hits, then })
}

impl Scanned {
    /// How many findings the scan made, before they are placed.
    pub(crate) fn hits(&self) -> usize {
        self.hits.count()
    }

    /// Give the findings their paths and history and pass them to `emit` a batch at a time,
    /// unsorted: the whole database's attributed to the commits in scope, a range's to the
    /// commits that introduced them, staged ones to the index.
    pub(crate) fn place(self, stats: &Stats, emit: &mut Emit) -> anyhow::Result<()> {
        let Scanned { repo, hits, then } = self;
        match then {
            Then::All { scope, unreachable, present } => {
                attribute::attribute(&repo, hits, &scope, unreachable, Some(&present), stats, emit)
            }
            Then::Range(blobs) => {
                let place = |i: usize| {
                    let b: &RangeBlob = &blobs[i];
                    (b.path.clone(), GitInfo { blob: b.id.to_string(), ..introduced_by(&b.commit) })
                };
                attribute::spread(hits, &by_blob(blobs.iter().map(|b| b.id)), &place, emit)
            }
            Then::Staged(staged) => {
                let place = |i: usize| {
                    let (path, id) = &staged[i];
                    (path.clone(), GitInfo { blob: id.to_string(), staged: true, ..GitInfo::default() })
                };
                attribute::spread(hits, &by_blob(staged.iter().map(|(_, id)| *id)), &place, emit)
            }
        }
    }
}

/// The positions of each blob in a list.
fn by_blob(ids: impl Iterator<Item = ObjectId>) -> HashMap<ObjectId, Vec<usize>> {
    let mut places: HashMap<ObjectId, Vec<usize>> = HashMap::new();
    for (i, id) in ids.enumerate() {
        places.entry(id).or_default().push(i);
    }
    places
}

/// Scan every blob of the object database once; hits by blob. With `record`, the id of
/// every blob read is pushed there (incremental sweeps keep them).
pub(crate) fn scan_database(
    scanner: &Scanner,
    repo: &gix::Repository,
    threads: usize,
    max_blob: u64,
    stats: &Stats,
    record: Option<&Mutex<Vec<ObjectId>>>,
) -> anyhow::Result<Hits> {
    let hits = Mutex::new(Hits::new()?);
    let mut visit =
        BlobVisit { scanner, stats, hits: &hits, record, scratch: ScanScratch::default(), found: Vec::new() };
    let warn = |msg: String| stats.warn(msg);
    let skipped = |msg: String| stats.skipped(msg);
    let counts = git::for_each_unique_blob(
        repo,
        threads,
        max_blob,
        move |id: &gix::oid, data: &[u8]| visit.scan(id, data),
        &warn,
        &skipped,
    )?;
    // Blobs and bytes are counted as they are read (the progress bar shows them).
    Stats::add(&stats.skipped_large, counts.skipped_large);
    Ok(hits.into_inner().expect("scan threads have finished"))
}

/// Scan the given blobs (each once, in parallel) into `hits`.
pub(crate) fn scan_blobs(
    scanner: &Scanner,
    repo: &gix::Repository,
    ids: &[ObjectId],
    max: u64,
    stats: &Stats,
    hits: &mut Hits,
) {
    let listed = ids.iter().map(|id| (*id, id.to_string()));
    scan_listed(scanner, repo, listed, max, stats, hits);
}

/// Scan the listed blobs (each once, in parallel), labelled for warnings, into `hits`.
fn scan_listed(
    scanner: &Scanner,
    repo: &gix::Repository,
    listed: impl Iterator<Item = (ObjectId, String)>,
    max: u64,
    stats: &Stats,
    hits: &mut Hits,
) {
    let mut unique: Vec<(ObjectId, String)> = listed.collect();
    unique.sort();
    unique.dedup_by(|a, b| a.0 == b.0);
    let shared = repo.clone().into_sync();
    let hits = Mutex::new(hits);
    unique.par_iter().for_each_init(
        || (shared.to_thread_local(), ScanScratch::default()),
        |(repo, scratch), (id, label)| {
            let data = match git::read_blob(repo, id, max) {
                Ok(Some(data)) => data,
                Ok(None) => {
                    Stats::add(&stats.skipped_large, 1);
                    stats.skipped(format!("{label}: blob {id} over --max-file-size {max}, skipped"));
                    return;
                }
                Err(e) => {
                    stats.warn(format!("{label}: {e:#}"));
                    return;
                }
            };
            if scanner.skip(&data).is_some() {
                Stats::add(&stats.skipped_binary, 1);
                stats.skipped(format!("{label}: blob {id} is binary, skipped (--binary scans it)"));
                return;
            }
            Stats::add(&stats.scanned, 1);
            Stats::add(&stats.bytes, data.len() as u64);
            let mut found = Vec::new();
            scanner.scan_bytes(&data, label, scratch, &mut found);
            if !found.is_empty() {
                hits.lock().expect("no thread panics while holding the lock").add(*id, found);
            }
        },
    );
}

/// The per-thread state of the object-database scan. Cloning gives a fresh scratch, which
/// is what each traversal thread needs.
struct BlobVisit<'a> {
    scanner: &'a Scanner,
    stats: &'a Stats,
    hits: &'a Mutex<Hits>,
    record: Option<&'a Mutex<Vec<ObjectId>>>,
    scratch: ScanScratch,
    found: Vec<Finding>,
}

impl Clone for BlobVisit<'_> {
    fn clone(&self) -> Self {
        Self { scratch: ScanScratch::default(), found: Vec::new(), ..*self }
    }
}

impl BlobVisit<'_> {
    fn scan(&mut self, id: &gix::oid, data: &[u8]) {
        if let Some(record) = self.record {
            record.lock().expect("no thread panics while holding the lock").push(id.to_owned());
        }
        Stats::add(&self.stats.bytes, data.len() as u64);
        if self.scanner.skip(data).is_some() {
            Stats::add(&self.stats.skipped_binary, 1);
            self.stats.skipped(format!("blob {id} is binary, skipped (--binary scans it)"));
            return;
        }
        Stats::add(&self.stats.scanned, 1);
        self.scanner.scan_bytes(data, &id.to_string(), &mut self.scratch, &mut self.found);
        if !self.found.is_empty() {
            let mut hits = self.hits.lock().expect("no thread panics while holding the lock");
            hits.add(id.to_owned(), self.found.drain(..));
        }
    }
}

/// The `--since` argument: `YYYY-MM-DD`, an RFC 3339 time, or `@UNIX`.
pub fn parse_since(s: &str) -> Result<i64, String> {
    crate::units::parse_date(s)
        .ok_or_else(|| format!("not a date: {s:?} (use YYYY-MM-DD, RFC 3339 or @UNIX)"))
}
