//! Provenance of the few blobs that had findings: every path and commit they appear at,
//! computed from first-parent tree diffs over the commit graph, after the scan.
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::rc::Rc;

use anyhow::Context;
use gix::bstr::{BStr, BString, ByteSlice, ByteVec};
use gix::diff::tree::visit;
use gix::objs::{FindExt, TreeRefIter};
use gix::ObjectId;

/// One commit as reports show it. `time` (and `date`, the same instant) is the committer time:
/// the order commits landed in, which is also what `--since` and the first/last choice use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// RFC 3339, UTC.
    pub date: String,
    pub time: i64,
}

/// Where a blob appears at one path.
#[derive(Debug, Clone)]
pub struct Appearance {
    pub path: String,
    pub first: CommitInfo,
    pub last: CommitInfo,
    pub commits: u64,
    pub at_head: bool,
}

/// Which commits count.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only commits reachable from this ref or revision; `None` = all refs (branches, tags,
    /// remotes, stash) and HEAD.
    pub branch: Option<String>,
    /// Ignore commits older than this unix time.
    pub since: Option<i64>,
}

/// Every appearance of each target blob.
pub type Appearances = HashMap<ObjectId, Vec<Appearance>>;

/// A blob that a commit's tree names but the object database lacks (the first commit, in
/// the walk, that adds it at a path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBlob {
    pub id: ObjectId,
    pub path: String,
    pub commit: ObjectId,
}

/// For each target blob: every path it appears at in any commit reachable from the scope's
/// tips, with the first commit carrying it at that path, the last, how many commits carry
/// it there, and whether HEAD's tree has it there. A target in no reachable commit is absent
/// from the map (the caller labels it unreachable).
///
/// Each commit's set of (target, path) pairs is its first parent's set patched with the
/// first-parent tree diff; commits are visited parents first, so one diff per commit suffices.
/// A commit whose first parent is missing (shallow clone) or out of scope (`since`) is diffed
/// against the empty tree, which yields its whole tree's pairs.
///
/// With `present` (the blobs the scan read), the same diffs also yield the blobs commits add
/// that the repository lacks: returned, so that what could not be scanned is named; history
/// is then walked even without targets.
pub fn provenance(
    repo: &gix::Repository,
    targets: &HashSet<ObjectId>,
    scope: &Scope,
    present: Option<&HashSet<ObjectId>>,
) -> anyhow::Result<(Appearances, Vec<MissingBlob>)> {
    if targets.is_empty() && present.is_none() {
        return Ok((HashMap::new(), Vec::new()));
    }
    let tips = tips(repo, scope)?;
    let graph = Graph::walk(repo, &tips, scope.since);
    let order = graph.topo_order();
    let deltas = first_parent_deltas(repo, &graph, &order, targets, present)?;
    let missing = missing_blobs(repo, &graph, &order, &deltas);

    let mut target_ids: Vec<ObjectId> = targets.iter().copied().collect();
    target_ids.sort();
    let target_idx: HashMap<ObjectId, u32> =
        target_ids.iter().enumerate().map(|(i, id)| (*id, u32::try_from(i).expect("few targets"))).collect();
    let mut paths = Interner::default();

    let head = repo.head_id().ok().map(gix::Id::detach);
    let mut head_set: Option<PairSet> = None;
    let mut stats: HashMap<(u32, u32), PairStats> = HashMap::new();

    // Sets are dropped once every first-parent child has used them.
    let mut sets: Vec<Option<PairSet>> = vec![None; graph.nodes.len()];
    let mut fp_children = vec![0u32; graph.nodes.len()];
    for node in &graph.nodes {
        if let Some(p) = node.first_parent {
            fp_children[p] += 1;
        }
    }
    let empty: PairSet = Rc::new(Vec::new());
    for (seq, (&i, delta)) in order.iter().zip(&deltas).enumerate() {
        let node = &graph.nodes[i];
        let base = match node.first_parent {
            Some(p) => {
                let set = sets[p].clone().expect("a parent's set lives until its last first-parent child");
                fp_children[p] -= 1;
                if fp_children[p] == 0 {
                    sets[p] = None;
                }
                set
            }
            None => empty.clone(),
        };
        let set = match delta {
            Some(delta) => apply(&base, delta, &target_idx, &mut paths),
            None => base,
        };
        for &pair in set.iter() {
            stats.entry(pair).or_insert_with(|| PairStats::new(node, seq, i)).add(node, seq, i);
        }
        if head == Some(node.id) {
            head_set = Some(set.clone());
        }
        if fp_children[i] > 0 {
            sets[i] = Some(set);
        }
    }
    if stats.is_empty() {
        return Ok((HashMap::new(), missing));
    }

    // HEAD may lie outside the scope (another branch, older than `since`): read its tree.
    let head_set = match (head_set, head) {
        (Some(set), _) => set,
        (None, Some(head)) => match repo.find_commit(head).ok().and_then(|c| c.tree_id().ok()) {
            Some(tree) => {
                let delta = TreeDiffer::new(repo).diff(None, tree.detach(), Some(targets))?;
                apply(&empty, &delta, &target_idx, &mut paths)
            }
            None => empty,
        },
        (None, None) => empty,
    };

    let mailmap = repo.open_mailmap();
    let mut infos: HashMap<usize, CommitInfo> = HashMap::new();
    let mut info = |i: usize| -> anyhow::Result<CommitInfo> {
        if let Some(c) = infos.get(&i) {
            return Ok(c.clone());
        }
        let c = commit_info(repo, graph.nodes[i].id, &mailmap)?;
        infos.insert(i, c.clone());
        Ok(c)
    };
    let mut out: HashMap<ObjectId, Vec<Appearance>> = HashMap::new();
    let mut pairs: Vec<_> = stats.into_iter().collect();
    pairs.sort_by(|a, b| (a.0 .0, paths.get(a.0 .1)).cmp(&(b.0 .0, paths.get(b.0 .1))));
    for ((t, p), s) in pairs {
        let appearance = Appearance {
            path: paths.get(p).to_str_lossy().into_owned(),
            first: info(s.first.2)?,
            last: info(s.last.2)?,
            commits: s.commits,
            at_head: head_set.binary_search(&(t, p)).is_ok(),
        };
        out.entry(target_ids[t as usize]).or_default().push(appearance);
    }
    Ok((out, missing))
}

/// The absent blobs the diffs noted, once each, confirmed absent: a blob the scan skipped
/// without reading it whole (over the size limit) is present and not named.
fn missing_blobs(
    repo: &gix::Repository,
    graph: &Graph,
    order: &[usize],
    deltas: &[Option<Delta>],
) -> Vec<MissingBlob> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (&i, delta) in order.iter().zip(deltas) {
        for (id, path) in delta.iter().flat_map(|d| &d.absent) {
            if seen.insert(*id) && !gix::objs::Exists::exists(&repo.objects, id) {
                let path = path.to_str_lossy().into_owned();
                out.push(MissingBlob { id: *id, path, commit: graph.nodes[i].id });
            }
        }
    }
    out
}

/// A commit's (target index, path index) pairs, sorted; shared between commits that agree.
type PairSet = Rc<Vec<(u32, u32)>>;

/// First (smallest (time, topological position)), last and count of the commits carrying
/// one pair: among commits of the same second, a parent comes before its children.
struct PairStats {
    first: (i64, usize, usize),
    last: (i64, usize, usize),
    commits: u64,
}

impl PairStats {
    fn new(node: &Node, seq: usize, i: usize) -> Self {
        let key = (node.time, seq, i);
        PairStats { first: key, last: key, commits: 0 }
    }

    fn add(&mut self, node: &Node, seq: usize, i: usize) {
        let key = (node.time, seq, i);
        if key < self.first {
            self.first = key;
        }
        if key > self.last {
            self.last = key;
        }
        self.commits += 1;
    }
}

/// Patch a parent's set with a diff: removals first, so a mode-only change keeps the pair.
fn apply(base: &PairSet, delta: &Delta, targets: &HashMap<ObjectId, u32>, paths: &mut Interner) -> PairSet {
    if delta.added.is_empty() && delta.removed.is_empty() {
        return base.clone();
    }
    let key = |(id, path): &(ObjectId, BString), paths: &mut Interner| {
        (*targets.get(id).expect("the diff only reports targets"), paths.intern(path))
    };
    let removed: HashSet<(u32, u32)> = delta.removed.iter().map(|c| key(c, paths)).collect();
    let mut set: Vec<(u32, u32)> = base.iter().copied().filter(|p| !removed.contains(p)).collect();
    set.extend(delta.added.iter().map(|c| key(c, paths)));
    set.sort_unstable();
    set.dedup();
    Rc::new(set)
}

/// The commits to walk from: the scope's branch, or every ref that peels to a commit plus HEAD.
fn tips(repo: &gix::Repository, scope: &Scope) -> anyhow::Result<Vec<ObjectId>> {
    let mut tips = Vec::new();
    if let Some(branch) = &scope.branch {
        let id = repo
            .rev_parse_single(branch.as_str())
            .with_context(|| format!("unknown branch or revision {branch:?}"))?;
        let commit = id
            .object()
            .and_then(|o| o.peel_to_commit())
            .with_context(|| format!("{branch:?} does not name a commit"))?;
        tips.push(commit.id);
    } else {
        let refs = repo.references().context("cannot read references")?;
        for r in refs.all().context("cannot read references")?.flatten() {
            let mut r = r;
            if let Ok(c) = r.peel_to_commit() {
                tips.push(c.id);
            }
        }
        if let Ok(head) = repo.head_id() {
            tips.push(head.detach());
        }
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// One commit of the walked graph.
struct Node {
    id: ObjectId,
    tree: ObjectId,
    time: i64,
    /// Index of the first parent when it is part of the graph.
    first_parent: Option<usize>,
    /// Indices of all parents that are part of the graph, deduplicated.
    parents: Vec<usize>,
}

/// The commits reachable from the tips, newer than `since`.
struct Graph {
    nodes: Vec<Node>,
}

impl Graph {
    /// Missing or unreadable commits (a shallow clone's boundary) end the walk there.
    fn walk(repo: &gix::Repository, tips: &[ObjectId], since: Option<i64>) -> Graph {
        struct Raw {
            id: ObjectId,
            tree: ObjectId,
            time: i64,
            parents: Vec<ObjectId>,
        }
        let mut raw: Vec<Raw> = Vec::new();
        let mut seen: HashSet<ObjectId> = HashSet::new();
        let mut stack: Vec<ObjectId> = tips.to_vec();
        let mut buf = Vec::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            let Ok(commit) = repo.objects.find_commit(&id, &mut buf) else { continue };
            let time = commit.committer().map(|s| s.seconds()).unwrap_or(0);
            if since.is_some_and(|s| time < s) {
                continue;
            }
            let parents: Vec<ObjectId> = commit.parents().collect();
            stack.extend(parents.iter().rev().filter(|p| !seen.contains(*p)));
            raw.push(Raw { id, tree: commit.tree(), time, parents });
        }
        let index: HashMap<ObjectId, usize> = raw.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let nodes = raw
            .into_iter()
            .map(|r| {
                let first_parent = r.parents.first().and_then(|p| index.get(p).copied());
                let mut parents: Vec<usize> =
                    r.parents.iter().filter_map(|p| index.get(p).copied()).collect();
                parents.sort_unstable();
                parents.dedup();
                Node { id: r.id, tree: r.tree, time: r.time, first_parent, parents }
            })
            .collect();
        Graph { nodes }
    }

    /// Parents before children; among commits ready at the same time, smallest (time, id) first.
    fn topo_order(&self) -> Vec<usize> {
        let n = self.nodes.len();
        let mut pending: Vec<usize> = self.nodes.iter().map(|c| c.parents.len()).collect();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, node) in self.nodes.iter().enumerate() {
            for &p in &node.parents {
                children[p].push(i);
            }
        }
        let key = |i: usize| Reverse((self.nodes[i].time, self.nodes[i].id, i));
        let mut ready: BinaryHeap<_> = (0..n).filter(|&i| pending[i] == 0).map(key).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse((_, _, i))) = ready.pop() {
            order.push(i);
            for &c in &children[i] {
                pending[c] -= 1;
                if pending[c] == 0 {
                    ready.push(key(c));
                }
            }
        }
        order
    }
}

/// Paths as small integers.
#[derive(Default)]
struct Interner {
    ids: HashMap<BString, u32>,
    paths: Vec<BString>,
}

impl Interner {
    fn intern(&mut self, path: &BString) -> u32 {
        if let Some(&i) = self.ids.get(path) {
            return i;
        }
        let i = u32::try_from(self.paths.len()).expect("fewer than 4 billion distinct paths");
        self.ids.insert(path.clone(), i);
        self.paths.push(path.clone());
        i
    }

    fn get(&self, i: u32) -> &BStr {
        self.paths[i as usize].as_ref()
    }
}

/// The file changes between two trees: blob, executable and symlink entries; trees and
/// submodule commits are not files.
#[derive(Debug, Default)]
pub(crate) struct Delta {
    /// New ids at a path (additions, and the new side of modifications).
    pub added: Vec<(ObjectId, BString)>,
    /// Old ids at a path (deletions, and the old side of modifications).
    pub removed: Vec<(ObjectId, BString)>,
    /// New ids outside the wanted ones that the scan did not read ([`TreeDiffer::present`]).
    pub absent: Vec<(ObjectId, BString)>,
}

/// Plumbing tree diffs (`gix::diff::tree`) with reused state: about 9x faster than the
/// `Tree::changes()` platform in a loop, which builds a resource cache per call.
/// Commits diffed per parallel task: consecutive commits share most trees, so each task's
/// object cache stays warm.
const DIFF_CHUNK: usize = 256;

/// For each commit of `order`, its first-parent diff restricted to `targets` (`None` when its
/// tree equals its first parent's). Diffs are independent of one another, so they run on the
/// current rayon pool; applying them is the sequential part.
fn first_parent_deltas(
    repo: &gix::Repository,
    graph: &Graph,
    order: &[usize],
    targets: &HashSet<ObjectId>,
    present: Option<&HashSet<ObjectId>>,
) -> anyhow::Result<Vec<Option<Delta>>> {
    use rayon::prelude::*;
    let shared = repo.clone().into_sync();
    // Every tree is read once per child commit: a cache makes the diffs 3-4x faster.
    // Trees are stored as chains of deltas in the packs; gix's default cache of 64 delta
    // bases per thread misses on most of them, so each read inflated its chain again
    // (zlib was 40% of the provenance profile on curl). A cache capped by bytes keeps the
    // bases: about 10% less CPU on curl's history. Both budgets are split between the
    // threads, so memory stays bounded.
    let threads = rayon::current_num_threads().max(1);
    let cache = 64 * 1024 * 1024 / threads;
    let bases = 32 * 1024 * 1024 / threads;
    let chunks: Vec<Vec<Option<Delta>>> = order
        .par_chunks(DIFF_CHUNK)
        .map_init(
            || {
                let mut repo = shared.to_thread_local();
                repo.object_cache_size_if_unset(cache);
                repo.objects.set_pack_cache(move || {
                    Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(bases))
                });
                repo
            },
            |repo, chunk| {
                let mut differ = TreeDiffer::new(repo);
                differ.present = present;
                chunk
                    .iter()
                    .map(|&i| {
                        let node = &graph.nodes[i];
                        let base_tree = node.first_parent.map(|p| graph.nodes[p].tree);
                        if base_tree == Some(node.tree) {
                            return Ok(None);
                        }
                        differ.diff(base_tree, node.tree, Some(targets)).map(Some).with_context(|| {
                            format!("cannot diff commit {} against its first parent", node.id)
                        })
                    })
                    .collect()
            },
        )
        .collect::<anyhow::Result<_>>()?;
    Ok(chunks.into_iter().flatten().collect())
}

pub(crate) struct TreeDiffer<'r> {
    repo: &'r gix::Repository,
    /// The blobs the scan read: an added blob outside it is noted in [`Delta::absent`].
    pub(crate) present: Option<&'r HashSet<ObjectId>>,
    state: gix::diff::tree::State,
    lhs: Vec<u8>,
    rhs: Vec<u8>,
    path: BString,
    queue: VecDeque<BString>,
}

impl<'r> TreeDiffer<'r> {
    pub(crate) fn new(repo: &'r gix::Repository) -> Self {
        TreeDiffer {
            repo,
            present: None,
            state: Default::default(),
            lhs: Vec::new(),
            rhs: Vec::new(),
            path: BString::default(),
            queue: VecDeque::new(),
        }
    }

    /// Changes from `old` (`None` = the empty tree) to `new`; with `only`, just the changes
    /// whose old or new id is in it.
    pub(crate) fn diff(
        &mut self,
        old: Option<ObjectId>,
        new: ObjectId,
        only: Option<&HashSet<ObjectId>>,
    ) -> anyhow::Result<Delta> {
        let hash = self.repo.object_hash();
        let objects = &self.repo.objects;
        let lhs = match old {
            Some(id) => objects
                .find_tree_iter(&id, &mut self.lhs)
                .with_context(|| format!("cannot read tree {id}"))?,
            None => TreeRefIter::from_bytes(&[], hash),
        };
        let rhs =
            objects.find_tree_iter(&new, &mut self.rhs).with_context(|| format!("cannot read tree {new}"))?;
        self.path.clear();
        self.queue.clear();
        let mut visitor = Visitor {
            only,
            present: self.present,
            path: &mut self.path,
            queue: &mut self.queue,
            delta: Delta::default(),
        };
        gix::diff::tree(lhs, rhs, &mut self.state, objects, &mut visitor)
            .with_context(|| format!("cannot diff tree {new}"))?;
        Ok(visitor.delta)
    }
}

/// A `Recorder` that keeps only file changes (optionally only some ids) and clones the path
/// only for those.
struct Visitor<'a> {
    only: Option<&'a HashSet<ObjectId>>,
    present: Option<&'a HashSet<ObjectId>>,
    path: &'a mut BString,
    queue: &'a mut VecDeque<BString>,
    delta: Delta,
}

impl Visitor<'_> {
    fn wanted(&self, mode: gix::objs::tree::EntryMode, id: &ObjectId) -> bool {
        mode.is_blob_or_symlink() && self.only.is_none_or(|o| o.contains(id))
    }

    /// A new id at the current path: kept when wanted, noted when the scan never read it.
    fn added(&mut self, mode: gix::objs::tree::EntryMode, id: ObjectId) {
        if self.wanted(mode, &id) {
            self.delta.added.push((id, self.path.clone()));
        } else if mode.is_blob_or_symlink() && self.present.is_some_and(|p| !p.contains(&id)) {
            self.delta.absent.push((id, self.path.clone()));
        }
    }

    fn push(&mut self, component: &BStr) {
        if component.is_empty() {
            return;
        }
        if !self.path.is_empty() {
            self.path.push(b'/');
        }
        self.path.push_str(component);
    }
}

impl gix::diff::tree::Visit for Visitor<'_> {
    fn pop_front_tracked_path_and_set_current(&mut self) {
        *self.path = self.queue.pop_front().expect("every queued tree had its path queued");
    }

    fn push_back_tracked_path_component(&mut self, component: &BStr) {
        self.push(component);
        self.queue.push_back(self.path.clone());
    }

    fn push_path_component(&mut self, component: &BStr) {
        self.push(component);
    }

    fn pop_path_component(&mut self) {
        match self.path.rfind_byte(b'/') {
            Some(pos) => self.path.truncate(pos),
            None => self.path.clear(),
        }
    }

    fn visit(&mut self, change: visit::Change) -> visit::Action {
        use visit::Change::*;
        match change {
            Addition { entry_mode, oid, .. } => self.added(entry_mode, oid),
            Deletion { entry_mode, oid, .. } => {
                if self.wanted(entry_mode, &oid) {
                    self.delta.removed.push((oid, self.path.clone()));
                }
            }
            Modification { previous_entry_mode, previous_oid, entry_mode, oid } => {
                if self.wanted(previous_entry_mode, &previous_oid) {
                    self.delta.removed.push((previous_oid, self.path.clone()));
                }
                self.added(entry_mode, oid);
            }
        }
        std::ops::ControlFlow::Continue(())
    }
}

/// A commit's id, author after `.mailmap`, and committer time.
pub(crate) fn commit_info(
    repo: &gix::Repository,
    id: ObjectId,
    mailmap: &gix::mailmap::Snapshot,
) -> anyhow::Result<CommitInfo> {
    let commit = repo.find_commit(id).with_context(|| format!("cannot read commit {id}"))?;
    let decoded = commit.decode().with_context(|| format!("cannot decode commit {id}"))?;
    let (author, email) = match decoded.author() {
        Ok(sig) => {
            let sig = mailmap.resolve(sig);
            (sig.name.to_str_lossy().into_owned(), sig.email.to_str_lossy().into_owned())
        }
        Err(_) => (String::new(), String::new()),
    };
    let time = decoded.committer().map(|s| s.seconds()).unwrap_or(0);
    Ok(CommitInfo { id: id.to_string(), author, email, date: crate::units::rfc3339_utc(time), time })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::tests::TestRepo;

    fn targets(ids: &[ObjectId]) -> HashSet<ObjectId> {
        ids.iter().copied().collect()
    }

    fn all() -> Scope {
        Scope::default()
    }

    #[test]
    fn first_last_count_and_at_head() {
        let t = TestRepo::new();
        t.write("a.txt", "secret\n");
        let c1 = t.commit("add", 1_000);
        t.write("b.txt", "other\n");
        let c2 = t.commit("more", 2_000);
        t.git(&["rm", "-q", "a.txt"]);
        t.commit("remove", 3_000);
        let blob = t.id(&format!("{c1}:a.txt"));
        let map = provenance(&t.open(), &targets(&[blob]), &all(), None).expect("provenance").0;
        let apps = &map[&blob];
        assert_eq!(apps.len(), 1);
        let a = &apps[0];
        assert_eq!(
            (a.path.as_str(), a.first.id.as_str(), a.last.id.as_str()),
            ("a.txt", c1.as_str(), c2.as_str())
        );
        assert_eq!((a.commits, a.at_head), (2, false));
        assert_eq!(a.first.date, "1970-01-01T00:16:40Z");
        assert_eq!((a.first.author.as_str(), a.first.email.as_str()), ("Test Author", "author@example.com"));

        let other = t.id("HEAD:b.txt");
        let map = provenance(&t.open(), &targets(&[other]), &all(), None).expect("provenance").0;
        assert!(map[&other][0].at_head);
        assert_eq!(map[&other][0].commits, 2);
        assert!(provenance(&t.open(), &HashSet::new(), &all(), None).expect("provenance").0.is_empty());
    }

    #[test]
    fn same_blob_at_two_paths_gives_two_appearances() {
        let t = TestRepo::new();
        t.write("a.txt", "secret\n");
        let c1 = t.commit("add", 1_000);
        t.write("copy/a.txt", "secret\n");
        let c2 = t.commit("copy", 2_000);
        let blob = t.id("HEAD:a.txt");
        let map = provenance(&t.open(), &targets(&[blob]), &all(), None).expect("provenance").0;
        let got: Vec<(&str, &str, u64, bool)> =
            map[&blob].iter().map(|a| (a.path.as_str(), a.first.id.as_str(), a.commits, a.at_head)).collect();
        assert_eq!(got, [("a.txt", c1.as_str(), 2, true), ("copy/a.txt", c2.as_str(), 1, true)]);
    }

    #[test]
    fn mailmap_applies() {
        let t = TestRepo::new();
        t.write(".mailmap", "New Name <new@example.com> <old@example.com>\n");
        t.write("a.txt", "secret\n");
        t.git(&["add", "-A"]);
        t.git_as(&["commit", "-q", "-m", "old identity"], 1_000, "Old Name", "old@example.com");
        let blob = t.id("HEAD:a.txt");
        let map = provenance(&t.open(), &targets(&[blob]), &all(), None).expect("provenance").0;
        let first = &map[&blob][0].first;
        assert_eq!((first.author.as_str(), first.email.as_str()), ("New Name", "new@example.com"));
    }

    #[test]
    fn side_branch_only_in_the_all_refs_scope() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        t.commit("root", 1_000);
        t.git(&["checkout", "-q", "-b", "side"]);
        t.write("s.txt", "side secret\n");
        t.commit("side", 2_000);
        let blob = t.id("HEAD:s.txt");
        t.git(&["checkout", "-q", "main"]);
        let repo = t.open();
        let everywhere = provenance(&repo, &targets(&[blob]), &all(), None).expect("provenance").0;
        assert_eq!(everywhere[&blob][0].path, "s.txt");
        assert!(!everywhere[&blob][0].at_head);
        let main = Scope { branch: Some("main".to_owned()), since: None };
        assert!(provenance(&repo, &targets(&[blob]), &main, None).expect("provenance").0.is_empty());
        let side = Scope { branch: Some("side".to_owned()), since: None };
        assert_eq!(provenance(&repo, &targets(&[blob]), &side, None).expect("provenance").0[&blob].len(), 1);
        let bad = Scope { branch: Some("no-such-branch".to_owned()), since: None };
        assert!(provenance(&repo, &targets(&[blob]), &bad, None).is_err());
    }

    #[test]
    fn since_ignores_older_commits_but_keeps_their_files() {
        let t = TestRepo::new();
        t.write("a.txt", "secret\n");
        t.commit("old", 1_000);
        t.write("b.txt", "b\n");
        let c2 = t.commit("new", 2_000);
        let blob = t.id("HEAD:a.txt");
        let scope = Scope { branch: None, since: Some(1_500) };
        let map = provenance(&t.open(), &targets(&[blob]), &scope, None).expect("provenance").0;
        let a = &map[&blob][0];
        assert_eq!((a.first.id.as_str(), a.commits, a.at_head), (c2.as_str(), 1, true));
    }

    #[test]
    fn merges_carry_the_first_parents_files() {
        let t = TestRepo::new();
        t.write("a.txt", "a\n");
        t.commit("root", 1_000);
        t.git(&["checkout", "-q", "-b", "side"]);
        t.write("s.txt", "secret\n");
        let side = t.commit("side", 2_000);
        t.git(&["checkout", "-q", "main"]);
        t.write("m.txt", "m\n");
        t.commit("main", 3_000);
        t.git_as(&["merge", "-q", "--no-edit", "side"], 4_000, "Test Author", "author@example.com");
        let merge = t.git(&["rev-parse", "HEAD"]);
        let blob = t.id("HEAD:s.txt");
        let map = provenance(&t.open(), &targets(&[blob]), &all(), None).expect("provenance").0;
        let a = &map[&blob][0];
        assert_eq!((a.first.id.as_str(), a.last.id.as_str()), (side.as_str(), merge.as_str()));
        assert_eq!((a.commits, a.at_head), (2, true));
    }
}
