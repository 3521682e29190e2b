//! `sprawl git`: scan every blob of a repository once and then say where each hit lives in
//! history; or scan only what a commit range introduced, or what is staged for commit.
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;

use gix::ObjectId;
use rayon::prelude::*;

use super::git;
use super::history::{self, Appearance, CommitInfo, Scope};
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

/// Scan and attribute; findings are returned unsorted.
pub fn scan(scanner: &Scanner, opts: &GitOptions, stats: &Stats) -> anyhow::Result<Vec<Finding>> {
    let repo = git::open(&opts.repo)?;
    if !matches!(opts.mode, Mode::Staged) {
        for note in git::notes(&repo) {
            stats.note(note);
        }
    }
    match &opts.mode {
        Mode::All { scope, unreachable } => all(scanner, &repo, opts, scope, *unreachable, stats),
        Mode::Range(range) => {
            let blobs = git::range_blobs(&repo, range)?;
            let ids = blobs.iter().map(|b| (b.id, b.id.to_string()));
            let hits = scan_listed(scanner, &repo, ids, opts.max_file_size, stats);
            let mut out = Vec::new();
            for b in &blobs {
                for f in hits.get(&b.id).into_iter().flatten() {
                    let mut f = f.clone();
                    f.location.path.clone_from(&b.path);
                    f.git = Some(GitInfo { blob: b.id.to_string(), ..introduced_by(&b.commit) });
                    out.push(f);
                }
            }
            Ok(out)
        }
        Mode::Staged => {
            let staged = git::staged_blobs(&repo)?;
            let ids = staged.iter().map(|(path, id)| (*id, path.clone()));
            let hits = scan_listed(scanner, &repo, ids, opts.max_file_size, stats);
            let mut out = Vec::new();
            for (path, id) in &staged {
                for f in hits.get(id).into_iter().flatten() {
                    let mut f = f.clone();
                    f.location.path.clone_from(path);
                    f.git = Some(GitInfo { blob: id.to_string(), staged: true, ..GitInfo::default() });
                    out.push(f);
                }
            }
            Ok(out)
        }
    }
}

/// The whole object database in pack order, then provenance for the blobs that had hits.
fn all(
    scanner: &Scanner,
    repo: &gix::Repository,
    opts: &GitOptions,
    scope: &Scope,
    unreachable: bool,
    stats: &Stats,
) -> anyhow::Result<Vec<Finding>> {
    let read = Mutex::new(Vec::new());
    let hits = scan_database(scanner, repo, opts.threads, opts.max_file_size, stats, Some(&read))?;
    let present: HashSet<ObjectId> =
        read.into_inner().expect("scan threads have finished").into_iter().collect();
    Ok(attribute(repo, hits, scope, unreachable, Some(&present), stats))
}

/// Scan every blob of the object database once; hits by blob. With `record`, the id of
/// every blob read is pushed there (incremental sweeps keep them).
pub fn scan_database(
    scanner: &Scanner,
    repo: &gix::Repository,
    threads: usize,
    max_blob: u64,
    stats: &Stats,
    record: Option<&Mutex<Vec<ObjectId>>>,
) -> anyhow::Result<Vec<(ObjectId, Finding)>> {
    let hits = Mutex::new(Vec::new());
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

/// Scan the given blobs (each once, in parallel); hits by blob.
pub fn scan_blobs(
    scanner: &Scanner,
    repo: &gix::Repository,
    ids: &[ObjectId],
    max: u64,
    stats: &Stats,
) -> Vec<(ObjectId, Finding)> {
    let listed = ids.iter().map(|id| (*id, id.to_string()));
    scan_listed(scanner, repo, listed, max, stats)
        .into_iter()
        .flat_map(|(id, found)| found.into_iter().map(move |f| (id, f)))
        .collect()
}

/// Missing blobs named one by one; the rest are counted.
const MISSING_NAMED: usize = 20;

/// Give each hit its paths and history: one finding per path it appears at in `scope`,
/// versions of a file merged; blobs no commit in scope carries are dropped, or reported as
/// unreachable. With `present` (the blobs the scan read), blobs that commits add but the
/// repository lacks are named as skipped and counted.
pub fn attribute(
    repo: &gix::Repository,
    hits: Vec<(ObjectId, Finding)>,
    scope: &Scope,
    unreachable: bool,
    present: Option<&HashSet<ObjectId>>,
    stats: &Stats,
) -> Vec<Finding> {
    let targets: HashSet<ObjectId> = hits.iter().map(|(id, _)| *id).collect();
    let provenance = match history::provenance(repo, &targets, scope, present) {
        Ok((p, missing)) => {
            // A damaged repository is worth a warning, apart from the skipped files' notes.
            Stats::add(&stats.missing, missing.len() as u64);
            for m in missing.iter().take(MISSING_NAMED) {
                stats.warn(format!(
                    "{}: blob {}, added by commit {}, is missing from the repository: not scanned",
                    m.path, m.id, m.commit
                ));
            }
            if missing.len() > MISSING_NAMED {
                stats.warn(format!(
                    "{} more blobs missing from the repository",
                    missing.len() - MISSING_NAMED
                ));
            }
            p
        }
        Err(e) => {
            stats.warn(format!("cannot attribute findings to commits, reporting blob ids: {e:#}"));
            return hits
                .into_iter()
                .map(|(id, f)| {
                    let git = GitInfo { blob: id.to_string(), ..Default::default() };
                    located(f, blob_label("blob", &id), git)
                })
                .collect();
        }
    };
    let mut out = Vec::new();
    for (id, f) in hits {
        match provenance.get(&id) {
            Some(appearances) => {
                out.extend(appearances.iter().map(|a| located(f.clone(), a.path.clone(), appeared(id, a))))
            }
            None if unreachable => {
                let git = GitInfo { blob: id.to_string(), unreachable: true, ..Default::default() };
                out.push(located(f, blob_label("unreachable blob", &id), git));
            }
            None => {}
        }
    }
    merge_versions(out)
}

/// The location of a blob that has no path: `<unreachable blob 1a2b3c4d5e6f>`, which no
/// file name can be mistaken for; the full id is in the finding's `git.blob`.
fn blob_label(what: &str, id: &ObjectId) -> String {
    let hex = id.to_string();
    format!("<{what} {}>", hex.get(..12).unwrap_or(&hex))
}

fn located(mut f: Finding, path: String, git: GitInfo) -> Finding {
    f.location.path = path;
    f.git = Some(git);
    f
}

fn introduced_by(c: &CommitInfo) -> GitInfo {
    GitInfo {
        first_commit: Some(c.id.clone()),
        author: Some(c.author.clone()),
        email: Some(c.email.clone()),
        date: Some(c.date.clone()),
        ..GitInfo::default()
    }
}

fn appeared(blob: ObjectId, a: &Appearance) -> GitInfo {
    GitInfo {
        blob: blob.to_string(),
        last_commit: Some(a.last.id.clone()),
        last_date: Some(a.last.date.clone()),
        commits: Some(a.commits),
        at_head: Some(a.at_head),
        ..introduced_by(&a.first)
    }
}

/// One secret at one path usually lives in several blobs: every edit of the file makes a new
/// one. Report it once per path, at its place in the newest version (HEAD's when present),
/// with the first commit over all versions, the last, the total commit count and whether any
/// version is at HEAD. Several occurrences within one version stay separate findings.
fn merge_versions(found: Vec<Finding>) -> Vec<Finding> {
    type Key = (String, String, String);
    let key =
        |f: &Finding| -> Key { (f.rule.clone(), f.secret.fingerprint.clone(), f.location.path.clone()) };
    let recency = |g: &GitInfo| (g.at_head, g.last_date.clone(), g.last_commit.clone(), g.blob.clone());
    let mut merged: HashMap<Key, GitInfo> = HashMap::new();
    for f in &found {
        let g = f.git.as_ref().expect("attributed findings carry git info");
        if g.unreachable {
            continue;
        }
        let Some(m) = merged.get_mut(&key(f)) else {
            merged.insert(key(f), g.clone());
            continue;
        };
        if m.blob == g.blob {
            continue; // a second occurrence in the same version
        }
        let first = (m.date.clone(), m.first_commit.clone()) > (g.date.clone(), g.first_commit.clone());
        let newer = recency(g) > recency(m);
        let commits = m.commits.unwrap_or(0) + g.commits.unwrap_or(0);
        let at_head = m.at_head.unwrap_or(false) || g.at_head.unwrap_or(false);
        if newer {
            m.blob.clone_from(&g.blob);
            m.last_commit.clone_from(&g.last_commit);
            m.last_date.clone_from(&g.last_date);
        }
        if first {
            m.first_commit.clone_from(&g.first_commit);
            m.author.clone_from(&g.author);
            m.email.clone_from(&g.email);
            m.date.clone_from(&g.date);
        }
        m.commits = Some(commits);
        m.at_head = Some(at_head);
    }
    found
        .into_iter()
        .filter_map(|mut f| {
            let Some(m) = merged.get(&key(&f)) else { return Some(f) }; // unreachable
            if f.git.as_ref().is_some_and(|g| g.blob != m.blob) {
                return None;
            }
            f.git = Some(m.clone());
            Some(f)
        })
        .collect()
}

/// Scan the listed blobs (each once, in parallel), labelled for warnings; hits by blob.
fn scan_listed(
    scanner: &Scanner,
    repo: &gix::Repository,
    listed: impl Iterator<Item = (ObjectId, String)>,
    max: u64,
    stats: &Stats,
) -> HashMap<ObjectId, Vec<Finding>> {
    let mut unique: Vec<(ObjectId, String)> = listed.collect();
    unique.sort();
    unique.dedup_by(|a, b| a.0 == b.0);
    let shared = repo.clone().into_sync();
    unique
        .par_iter()
        .map_init(
            || (shared.to_thread_local(), ScanScratch::default()),
            |(repo, scratch), (id, label)| {
                let data = match git::read_blob(repo, id, max) {
                    Ok(Some(data)) => data,
                    Ok(None) => {
                        Stats::add(&stats.skipped_large, 1);
                        stats.skipped(format!("{label}: blob {id} over --max-file-size {max}, skipped"));
                        return (*id, Vec::new());
                    }
                    Err(e) => {
                        stats.warn(format!("{label}: {e:#}"));
                        return (*id, Vec::new());
                    }
                };
                if scanner.skip(&data).is_some() {
                    Stats::add(&stats.skipped_binary, 1);
                    stats.skipped(format!("{label}: blob {id} is binary, skipped (--binary scans it)"));
                    return (*id, Vec::new());
                }
                Stats::add(&stats.scanned, 1);
                Stats::add(&stats.bytes, data.len() as u64);
                let mut found = Vec::new();
                scanner.scan_bytes(&data, label, scratch, &mut found);
                (*id, found)
            },
        )
        .filter(|(_, found)| !found.is_empty())
        .collect()
}

/// The per-thread state of the object-database scan. Cloning gives a fresh scratch, which
/// is what each traversal thread needs.
struct BlobVisit<'a> {
    scanner: &'a Scanner,
    stats: &'a Stats,
    hits: &'a Mutex<Vec<(ObjectId, Finding)>>,
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
            hits.extend(self.found.drain(..).map(|f| (id.to_owned(), f)));
        }
    }
}

/// The `--since` argument: `YYYY-MM-DD`, an RFC 3339 time, or `@UNIX`.
pub fn parse_since(s: &str) -> Result<i64, String> {
    crate::units::parse_date(s)
        .ok_or_else(|| format!("not a date: {s:?} (use YYYY-MM-DD, RFC 3339 or @UNIX)"))
}
