//! `sprawl dir`: a parallel walk (the `ignore` crate) over every file under the given
//! paths, `.git/` excluded, hidden and git-ignored files included unless asked otherwise.
use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Context;
use ignore::{overrides::OverrideBuilder, DirEntry, WalkBuilder, WalkState};

use crate::diag::Stats;
use crate::finding::Finding;
use crate::scanner::{ScanScratch, Scanner, Skip, TooLarge};

/// What to walk and how.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub paths: Vec<PathBuf>,
    pub respect_gitignore: bool,
    pub exclude: Vec<String>,
    pub follow: bool,
    pub one_file_system: bool,
    pub threads: usize,
    pub max_file_size: u64,
    /// Which visited files to list for the caller (by path): the CI model's candidates.
    pub list: fn(&[u8]) -> bool,
}

/// What the listing pass found, before anything is read: the files [`WalkOptions::list`]
/// keeps (the CI model is built from these before the scan, so that findings can be
/// linked as they come) and, with `--respect-gitignore`, the files git tracks that the
/// walk skips as ignored (scanned after it).
pub struct Listing {
    pub listed: Vec<PathBuf>,
    /// Every regular file the walk visited, for the scan to read without walking again
    /// (the second walk's directory reads were 9% of a scan of curl's release trees);
    /// `None` past [`KEPT_PATHS`], when the scan walks the tree again instead.
    visited: Option<Vec<PathBuf>>,
    tracked_ignored: Vec<PathBuf>,
}

/// How many bytes of visited paths (and their bookkeeping) the listing keeps: 32 MiB, about
/// 300,000 files. A larger tree is walked twice rather than held.
const KEPT_PATHS: usize = 32 << 20;

/// What one kept path costs besides its bytes: the `PathBuf` and the allocator's header.
const PATH_OVERHEAD: usize = 40;

/// The files visited so far and the bytes they take; `None` once over [`KEPT_PATHS`].
struct Visited(Option<(Vec<PathBuf>, usize)>);

impl Visited {
    fn keep(&mut self, path: PathBuf) {
        let Some((paths, bytes)) = &mut self.0 else { return };
        *bytes += path.as_os_str().len() + PATH_OVERHEAD;
        if *bytes > KEPT_PATHS {
            self.0 = None;
        } else {
            paths.push(path);
        }
    }
}

/// A sink for each batch of findings (one chunk of one file); an error stops the walk.
pub type Emit<'a> = dyn Fn(Vec<Finding>) -> anyhow::Result<()> + Sync + 'a;

/// Walk without reading: names and directory entries only, keeping the files visited (up to
/// [`KEPT_PATHS`]) for [`scan`]. What the walk skips (an error, a FIFO) is a warning here.
pub fn list(opts: &WalkOptions, stats: &Stats) -> anyhow::Result<Listing> {
    let (builder, excluded) = walker(opts)?;
    // With --respect-gitignore, remember what the walk saw so that tracked files it skipped
    // as ignored can be scanned afterwards.
    let seen = opts.respect_gitignore.then(|| Mutex::new(HashSet::new()));
    let listed = Mutex::new(Vec::new());
    let visited = Mutex::new(Visited(Some((Vec::new(), 0))));
    builder.build_parallel().run(|| {
        let (seen, listed, visited) = (&seen, &listed, &visited);
        Box::new(move |entry| {
            let Some(entry) = regular_file(entry, Some(stats)) else { return WalkState::Continue };
            if let Some(seen) = &seen {
                let abs = std::path::absolute(entry.path()).unwrap_or_else(|_| entry.path().to_owned());
                seen.lock().expect("no thread panics while holding the lock").insert(abs);
            }
            if (opts.list)(entry.path().as_os_str().as_encoded_bytes()) {
                listed.lock().expect("no thread panics while holding the lock").push(entry.path().to_owned());
            }
            visited.lock().expect("no thread panics while holding the lock").keep(entry.into_path());
            WalkState::Continue
        })
    });
    let mut listed = listed.into_inner().expect("walk threads have finished");
    let visited = visited.into_inner().expect("walk threads have finished").0.map(|(paths, _)| paths);
    let mut tracked_ignored = Vec::new();
    if let Some(seen) = seen {
        let seen = seen.into_inner().expect("walk threads have finished");
        tracked_ignored = tracked_but_ignored(&opts.paths, seen, &excluded);
        listed.extend(
            tracked_ignored.iter().filter(|p| (opts.list)(p.as_os_str().as_encoded_bytes())).cloned(),
        );
    }
    Ok(Listing { listed, visited, tracked_ignored })
}

/// Scan, in parallel, every file `listing` came from (from its kept paths, or walking the
/// tree again), passing each chunk's findings to `emit` as soon as it is scanned (in the
/// order files finish). Runs on the current rayon pool's threads.
pub fn scan(
    scanner: &Scanner,
    opts: &WalkOptions,
    listing: &Listing,
    stats: &Stats,
    emit: &Emit,
) -> anyhow::Result<()> {
    let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let fail = |e| {
        failed.lock().expect("no thread panics while holding the lock").get_or_insert(e);
    };
    match &listing.visited {
        Some(paths) => {
            // Each thread takes the next file until none is left or one emit failed.
            let next = AtomicUsize::new(0);
            let stop = AtomicBool::new(false);
            rayon::broadcast(|_| {
                let mut scratch = ScanScratch::default();
                while !stop.load(Ordering::Relaxed) {
                    let Some(path) = paths.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
                    if let Err(e) = scan_file(scanner, path, opts.max_file_size, stats, &mut scratch, emit) {
                        fail(e);
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            });
        }
        None => {
            let (builder, _) = walker(opts)?;
            builder.build_parallel().run(|| {
                let mut scratch = ScanScratch::default();
                let fail = &fail;
                Box::new(move |entry| {
                    // The listing walk has warned about what it skipped.
                    let Some(entry) = regular_file(entry, None) else { return WalkState::Continue };
                    match scan_file(scanner, entry.path(), opts.max_file_size, stats, &mut scratch, emit) {
                        Ok(()) => WalkState::Continue,
                        Err(e) => {
                            fail(e);
                            WalkState::Quit
                        }
                    }
                })
            });
        }
    }
    if let Some(e) = failed.into_inner().expect("scan threads have finished") {
        return Err(e);
    }
    let mut scratch = ScanScratch::default();
    for shown in &listing.tracked_ignored {
        scan_file(scanner, shown, opts.max_file_size, stats, &mut scratch, emit)?;
    }
    Ok(())
}

/// The walk over `opts.paths` (checked first) and its `--exclude` overrides.
fn walker(opts: &WalkOptions) -> anyhow::Result<(WalkBuilder, ignore::overrides::Override)> {
    let (first, rest) = opts.paths.split_first().context("no path to scan")?;
    for p in &opts.paths {
        if std::fs::symlink_metadata(p).is_err() {
            anyhow::bail!("{}: no such file or directory", p.display());
        }
    }
    // A CI job must not pass having scanned nothing: when no path given can be read at all
    // (a dangling link, a FIFO, no permission), that is an error, not a warning.
    if !opts.paths.iter().any(|p| readable(p)) {
        let given: Vec<String> = opts.paths.iter().map(|p| p.display().to_string()).collect();
        anyhow::bail!("nothing to scan: no path given can be read ({})", given.join(", "));
    }
    let mut builder = WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    let respect = opts.respect_gitignore;
    builder
        .hidden(false)
        .parents(respect)
        .ignore(respect)
        .git_ignore(respect)
        .git_global(respect)
        .git_exclude(respect)
        .require_git(false)
        .follow_links(opts.follow)
        .same_file_system(opts.one_file_system)
        .threads(opts.threads)
        .filter_entry(|e| !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir())));
    // Overrides are whitelists; a leading `!` turns each glob into an exclusion.
    let mut ov = OverrideBuilder::new(first);
    for g in &opts.exclude {
        ov.add(&format!("!{g}")).with_context(|| format!("bad --exclude glob {g:?}"))?;
    }
    let excluded = ov.build().context("bad --exclude globs")?;
    builder.overrides(excluded.clone());
    Ok((builder, excluded))
}

/// The walked entry if it is a regular file; what else it is (an error, a FIFO) is a
/// warning when `stats` is given (the listing walk; a second walk says nothing more).
fn regular_file(entry: Result<DirEntry, ignore::Error>, stats: Option<&Stats>) -> Option<DirEntry> {
    let entry = match entry {
        Ok(e) => e,
        Err(err) => {
            if let Some(stats) = stats {
                stats.warn(err.to_string());
            }
            return None;
        }
    };
    let ft = entry.file_type()?;
    if ft.is_dir() || ft.is_symlink() {
        return None;
    }
    if !ft.is_file() {
        if let Some(stats) = stats {
            stats.warn(format!("{}: not a regular file, skipped", entry.path().display()));
        }
        return None;
    }
    Some(entry)
}

/// Whether a path given on the command line can be read: a directory that can be listed,
/// or a regular file that opens (links followed).
fn readable(path: &Path) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path).is_ok(),
        Ok(m) if m.is_file() => File::open(path).is_ok(),
        _ => false,
    }
}

/// Files git tracks under the scanned paths that the ignore-respecting walk did not visit:
/// a `.env` committed before it was added to `.gitignore` is still a leak. Each comes as the
/// path to show: the scanned path joined with the file's place under it.
fn tracked_but_ignored(
    paths: &[PathBuf],
    mut seen: HashSet<PathBuf>,
    excluded: &ignore::overrides::Override,
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for given in paths {
        let Some((root, files)) = super::git::tracked_files(given) else { continue };
        let base = std::path::absolute(given).unwrap_or_else(|_| given.clone());
        for rel in files {
            let abs = root.join(&rel);
            let Ok(under) = abs.strip_prefix(&base) else { continue };
            if excluded.matched(under, false).is_ignore() || !abs.is_file() {
                continue;
            }
            let shown = given.join(under);
            if seen.insert(abs) {
                out.push(shown);
            }
        }
    }
    out
}

/// Scan one file, turning every problem with it into a warning; the error is `emit`'s.
fn scan_file(
    scanner: &Scanner,
    path: &Path,
    max: u64,
    stats: &Stats,
    scratch: &mut ScanScratch,
    emit: &Emit,
) -> anyhow::Result<()> {
    let shown = display_path(path);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            stats.warn(format!("{shown}: {e}"));
            return Ok(());
        }
    };
    let size = || file.metadata().map(|m| m.len());
    // The first error of the sink stops the emitting; the file is read to its end.
    let mut emitted = Ok(());
    let sink = |batch| {
        if emitted.is_ok() {
            emitted = emit(batch);
        }
    };
    match scanner.scan_reader(&file, (max, size), &shown, scratch, sink) {
        Ok(Ok(bytes)) => {
            Stats::add(&stats.scanned, 1);
            Stats::add(&stats.bytes, bytes);
        }
        Ok(Err(Skip::Binary)) => {
            Stats::add(&stats.skipped_binary, 1);
            stats.skipped(format!("{shown}: binary, skipped (--binary scans it)"));
        }
        Err(e) => match e.get_ref().and_then(|inner| inner.downcast_ref::<TooLarge>()) {
            Some(TooLarge(len)) => {
                Stats::add(&stats.skipped_large, 1);
                stats.skipped(format!("{shown}: {len} bytes, over --max-file-size {max}, skipped"));
            }
            None => stats.warn(format!("{shown}: {e}")),
        },
    }
    emitted
}
/// A file's contents (`None` when it does not exist); an error when it cannot be read or is
/// over `max` bytes, which are then never read.
pub fn read_capped(path: &Path, max: u64) -> anyhow::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = match File::open(path) {
        Ok(f) => f,
        // Absent, or a path below a file (`dir` given a file to scan).
        Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            return Ok(None)
        }
        Err(e) => return Err(e.into()),
    };
    let mut data = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut data)?;
    anyhow::ensure!(data.len() as u64 <= max, "over {max} bytes, skipped");
    Ok(Some(data))
}

/// Paths as the user gave them, without a leading `./`.
fn display_path(path: &Path) -> String {
    // `to_str` first: its validation is several times faster than the lossy one's.
    let s = path.to_str().map_or_else(|| path.to_string_lossy(), std::borrow::Cow::Borrowed);
    s.strip_prefix("./").unwrap_or(&s).to_string()
}
