//! The hits of a git scan, held in bounded memory until they can be placed: spilled in blob
//! order as they are found, then given their paths and history, the versions of one secret at
//! one path merged in a second spill ordered by that key, and passed on in batches.
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use gix::ObjectId;
use serde::{Deserialize, Serialize};

use super::history::{self, Appearance, CommitInfo, Scope};
use crate::diag::Stats;
use crate::finding::{Finding, GitInfo, Weigh};
use crate::report::spill::{self, Merged, Spill};
use crate::secret::Raw;

/// Findings passed on at once: the pipeline links, suppresses and validates them together.
const BATCH: usize = 1024;

/// Missing blobs named one by one; the rest are counted.
const MISSING_NAMED: usize = 20;

/// Where placed findings go, a batch at a time.
pub(crate) type Emit<'a> = dyn FnMut(Vec<Finding>) -> anyhow::Result<()> + 'a;

/// Every hit of a scan, in a [`Spill`] ordered by blob; in memory, only the set of blobs
/// with hits and (with `--validate`) each distinct raw value once.
pub(crate) struct Hits {
    /// Boxed: sorting and merging move pointers, not findings.
    spill: Spill<Box<Hit>>,
    raws: Raws,
    blobs: HashSet<ObjectId>,
    count: usize,
    /// The first failure to write the spill: reported when the hits are read back.
    error: Option<anyhow::Error>,
}

/// One finding of one blob. Its raw values cannot be serialized: they stay in memory, by
/// index into [`Raws`], so a spilled run holds no more of a secret than a report does.
#[derive(Serialize, Deserialize)]
struct Hit {
    blob: String,
    finding: Finding,
    raw: Option<u32>,
    pair: Option<u32>,
}

impl Weigh for Hit {
    fn heap(&self) -> usize {
        self.blob.heap() + self.finding.heap()
    }
}

impl Hit {
    fn blob_id(&self) -> anyhow::Result<ObjectId> {
        ObjectId::from_hex(self.blob.as_bytes())
            .map_err(|e| anyhow::anyhow!("the temporary file of hits holds a bad blob id: {e}"))
    }
}

/// Distinct raw values, kept for the live validation of `--validate` (without it the scanner
/// keeps none, and this stays empty).
#[derive(Default)]
struct Raws {
    index: HashMap<String, u32>,
    values: Vec<Raw>,
}

impl Raws {
    fn keep(&mut self, raw: Option<Raw>) -> Option<u32> {
        let raw = raw?;
        if let Some(&i) = self.index.get(raw.expose()) {
            return Some(i);
        }
        let i = u32::try_from(self.values.len()).expect("fewer than 4 billion distinct secrets");
        self.index.insert(raw.expose().to_owned(), i);
        self.values.push(raw);
        Some(i)
    }

    fn get(&self, i: Option<u32>) -> Option<Raw> {
        self.values.get(i? as usize).cloned()
    }
}

impl Hits {
    pub(crate) fn new() -> anyhow::Result<Self> {
        let by_blob: spill::Order<Box<Hit>> = |a, b| a.blob.cmp(&b.blob);
        Ok(Self {
            spill: Spill::new(spill::budget()?, by_blob),
            raws: Raws::default(),
            blobs: HashSet::new(),
            count: 0,
            error: None,
        })
    }

    /// Take the findings of one blob.
    pub(crate) fn add(&mut self, blob: ObjectId, found: impl IntoIterator<Item = Finding>) {
        let hex = blob.to_string();
        let before = self.count;
        let raws = &mut self.raws;
        let hits: Vec<Box<Hit>> = found
            .into_iter()
            .map(|mut finding| {
                let raw = raws.keep(finding.secret.raw.take());
                let pair = raws.keep(finding.paired_with.as_mut().and_then(|p| p.raw.take()));
                Box::new(Hit { blob: hex.clone(), finding, raw, pair })
            })
            .collect();
        self.count += hits.len();
        if self.count > before {
            self.blobs.insert(blob);
        }
        if let Err(e) = self.spill.push(hits) {
            self.error.get_or_insert(e);
        }
    }

    /// How many findings were taken.
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    /// The blobs that had findings.
    pub(crate) fn blobs(&self) -> &HashSet<ObjectId> {
        &self.blobs
    }

    /// The hits in blob order, and their raw values.
    fn finish(self) -> anyhow::Result<(Merged<Box<Hit>>, Raws)> {
        if let Some(e) = self.error {
            return Err(e);
        }
        Ok((self.spill.finish()?, self.raws))
    }
}

/// A finding taken back: its raw values restored.
fn restored(hit: Hit, raws: &Raws) -> Finding {
    let mut f = hit.finding;
    f.secret.raw = raws.get(hit.raw);
    if let Some(p) = f.paired_with.as_mut() {
        p.raw = raws.get(hit.pair);
    }
    f
}

/// Records gathered into batches of [`BATCH`] for `emit` (findings for [`Emit`]).
pub(crate) struct Batches<'e, 'a, T = Finding> {
    emit: &'e mut (dyn FnMut(Vec<T>) -> anyhow::Result<()> + 'a),
    batch: Vec<T>,
}

impl<'e, 'a, T> Batches<'e, 'a, T> {
    pub(crate) fn new(emit: &'e mut (dyn FnMut(Vec<T>) -> anyhow::Result<()> + 'a)) -> Self {
        Self { emit, batch: Vec::new() }
    }

    pub(crate) fn push(&mut self, f: T) -> anyhow::Result<()> {
        self.batch.push(f);
        if self.batch.len() >= BATCH {
            (self.emit)(std::mem::take(&mut self.batch))?;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> anyhow::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        (self.emit)(std::mem::take(&mut self.batch))
    }
}

/// Each hit at every place its blob was listed at (`places` by blob, `place` giving the path
/// and git info of one): what a range introduced or what is staged. Nothing is merged.
pub(crate) fn spread(
    hits: Hits,
    places: &HashMap<ObjectId, Vec<usize>>,
    place: &dyn Fn(usize) -> (String, GitInfo),
    emit: &mut Emit,
) -> anyhow::Result<()> {
    let (mut merged, raws) = hits.finish()?;
    let mut out = Batches::new(emit);
    for hit in merged.by_ref() {
        let id = hit.blob_id()?;
        let f = restored(*hit, &raws);
        for &i in places.get(&id).into_iter().flatten() {
            let (path, git) = place(i);
            out.push(located(f.clone(), path, git))?;
        }
    }
    merged.check()?;
    out.finish()
}

/// Give each hit its paths and history: one finding per path it appears at in `scope`,
/// versions of a file merged; blobs no commit in scope carries are dropped, or reported as
/// unreachable. With `present` (the blobs the scan read), blobs that commits add but the
/// repository lacks are named as skipped and counted, also when there were no hits.
pub(crate) fn attribute(
    repo: &gix::Repository,
    hits: Hits,
    scope: &Scope,
    unreachable: bool,
    present: Option<&HashSet<ObjectId>>,
    stats: &Stats,
    emit: &mut Emit,
) -> anyhow::Result<()> {
    let provenance = match history::provenance(repo, hits.blobs(), scope, present) {
        Ok((p, missing)) => {
            name_missing(&missing, stats);
            Some(p)
        }
        Err(e) => {
            stats.warn(format!("cannot attribute findings to commits, reporting blob ids: {e:#}"));
            None
        }
    };
    let (mut by_blob, raws) = hits.finish()?;
    let mut out = Batches::new(emit);
    let mut versions = Spill::new(spill::budget()?, Placed::order);
    for hit in by_blob.by_ref() {
        let id = hit.blob_id()?;
        let Some(provenance) = &provenance else {
            let git = GitInfo { blob: hit.blob.clone(), ..Default::default() };
            out.push(located(restored(*hit, &raws), blob_label("blob", &id), git))?;
            continue;
        };
        match provenance.get(&id) {
            Some(appearances) => {
                let placed = appearances.iter().flat_map(|a| {
                    let git = appeared(id, a);
                    let version = Version {
                        rule: hit.finding.rule.clone(),
                        fingerprint: hit.finding.secret.fingerprint.clone(),
                        path: a.path.clone(),
                        git: git.clone(),
                    };
                    let finding = located(hit.finding.clone(), a.path.clone(), git);
                    let found = Hit { blob: hit.blob.clone(), finding, raw: hit.raw, pair: hit.pair };
                    [Placed::Version(Box::new(version)), Placed::Found(Box::new(found))]
                });
                versions.push(placed)?;
            }
            None if unreachable => {
                let git = GitInfo { blob: hit.blob.clone(), unreachable: true, ..Default::default() };
                out.push(located(restored(*hit, &raws), blob_label("unreachable blob", &id), git))?;
            }
            None => {}
        }
    }
    by_blob.check()?;
    merge_versions(versions.finish()?, &raws, &mut out)?;
    out.finish()
}

/// A damaged repository is worth a warning, apart from the skipped files' notes.
fn name_missing(missing: &[history::MissingBlob], stats: &Stats) {
    Stats::add(&stats.missing, missing.len() as u64);
    for m in missing.iter().take(MISSING_NAMED) {
        stats.warn(format!(
            "{}: blob {}, added by commit {}, is missing from the repository: not scanned",
            m.path, m.id, m.commit
        ));
    }
    if missing.len() > MISSING_NAMED {
        stats.warn(format!("{} more blobs missing from the repository", missing.len() - MISSING_NAMED));
    }
}

/// The history of one version (blob) of one secret at one path.
#[derive(Serialize, Deserialize)]
struct Version {
    rule: String,
    fingerprint: String,
    path: String,
    git: GitInfo,
}

/// A hit at one of its places, and the version it is in: every version of a secret at a
/// path comes before its findings, so their history is merged before any is passed on.
#[derive(Serialize, Deserialize)]
enum Placed {
    Version(Box<Version>),
    Found(Box<Hit>),
}

impl Weigh for Placed {
    fn heap(&self) -> usize {
        match self {
            Self::Version(v) => v.heap(),
            Self::Found(h) => h.heap(),
        }
    }
}

impl Weigh for Version {
    fn heap(&self) -> usize {
        self.rule.heap() + self.fingerprint.heap() + self.path.heap() + self.git.heap()
    }
}

impl Placed {
    /// Rule, fingerprint and path (the merge key); versions first; then by blob.
    fn order(a: &Self, b: &Self) -> Ordering {
        a.key().cmp(&b.key()).then_with(|| a.rank().cmp(&b.rank())).then_with(|| a.blob().cmp(b.blob()))
    }

    fn key(&self) -> (&str, &str, &str) {
        match self {
            Self::Version(v) => (&v.rule, &v.fingerprint, &v.path),
            Self::Found(h) => (&h.finding.rule, &h.finding.secret.fingerprint, &h.finding.location.path),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Version(_) => 0,
            Self::Found(_) => 1,
        }
    }

    fn blob(&self) -> &str {
        match self {
            Self::Version(v) => &v.git.blob,
            Self::Found(h) => &h.blob,
        }
    }
}

/// One secret at one path usually lives in several blobs: every edit of the file makes a new
/// one. Report it once per path, at its place in the newest version (HEAD's when present),
/// with the first commit over all versions, the last, the total commit count and whether any
/// version is at HEAD. Several occurrences within one version stay separate findings.
fn merge_versions(mut placed: Merged<Placed>, raws: &Raws, out: &mut Batches) -> anyhow::Result<()> {
    // The merged history of the current key, and the blob of the last version merged in.
    let mut current: Option<((String, String, String), GitInfo, String)> = None;
    for p in placed.by_ref() {
        match p {
            Placed::Version(v) => match &mut current {
                Some((key, m, last)) if key.0 == v.rule && key.1 == v.fingerprint && key.2 == v.path => {
                    if *last != v.git.blob {
                        last.clone_from(&v.git.blob);
                        merge(m, &v.git);
                    }
                }
                _ => {
                    let last = v.git.blob.clone();
                    let v = *v;
                    current = Some(((v.rule, v.fingerprint, v.path), v.git, last));
                }
            },
            Placed::Found(hit) => {
                let (_, m, _) = current.as_ref().expect("a finding's versions come before it");
                if hit.blob == m.blob {
                    let mut f = restored(*hit, raws);
                    f.git = Some(m.clone());
                    out.push(f)?;
                }
            }
        }
    }
    placed.check()
}

/// Merge version `g` into the history `m` of the versions before it.
fn merge(m: &mut GitInfo, g: &GitInfo) {
    let recency = |g: &GitInfo| (g.at_head, g.last_date.clone(), g.last_commit.clone(), g.blob.clone());
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

/// The git info of a finding in a blob that commit `c` introduced.
pub(crate) fn introduced_by(c: &CommitInfo) -> GitInfo {
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
