//! What a sweep remembers per repository between runs, and the lock that keeps two sweeps
//! off the same state directory.
//!
//! One file per repository, `repos/<hash of its path>.state`: a magic line, the length of a
//! JSON header (rule-set digest, ref tips) and the header, the sorted raw ids of every blob
//! already scanned, the sorted raw ids of the blobs that had hits, the open findings (one
//! JSON line each, sorted by key), and a trailer: the two id counts and the SHA-256 of every
//! byte before the digest. A new state is written in one sequential pass to a temporary file
//! and renamed into place, so a sweep killed at any moment leaves either the old state or the
//! new one.
//!
//! A state file is untrusted input (a shared directory, a CI cache). [`StateDir::load`]
//! reads it whole, as a stream, before any of it is used: the digest catches any damage, and
//! the structure is checked on the same pass (ids strictly increasing, each open line
//! bounded and led by its key, keys in order), so that even a file written with its digest
//! recomputed cannot mislead the merge-join. Checking first and using after costs one
//! more sequential read; checking only as the merge-join goes would find damage after
//! findings were reported and a new state begun.
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Take, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use gix::ObjectId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MAGIC: &[u8] = b"sprawl-sweep-state-v3\n";
/// What every version's magic line starts with: an older state is not damaged, only unusable.
const ANY_VERSION: &[u8] = b"sprawl-sweep-state-v";
const ID: u64 = 20;
/// The trailer: the counts of scanned and hit ids, then the digest.
const COUNTS: u64 = 16;
const DIGEST: u64 = 32;
/// The longest header or open-finding line read; a longer one means the file is damaged.
const MAX_LINE: usize = 16 << 20;

/// A finding that was open after the last run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Open {
    /// Rule, secret fingerprint and path: what "the same finding" means between runs.
    pub key: String,
    /// The finding as last reported: reported again while nothing changes, and in the
    /// `closed` line when it disappears.
    pub finding: crate::finding::Finding,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Header {
    pub repo: String,
    /// The rule set's digest: when it changes, everything is scanned again.
    pub rules: String,
    pub refs: BTreeMap<String, String>,
}

/// A repository's recorded state, checked whole: its header, and where its sections are in
/// its file.
#[derive(Debug)]
pub struct Recorded {
    pub header: Header,
    path: PathBuf,
    /// Offset and count of the scanned ids.
    scanned: (u64, u64),
    /// Offset and count of the ids of blobs that had hits.
    hits: (u64, u64),
    /// Where the open findings start and end.
    open: (u64, u64),
}

impl Recorded {
    fn reader(&self, at: u64) -> anyhow::Result<BufReader<File>> {
        let mut f = File::open(&self.path).with_context(|| format!("cannot read {}", self.path.display()))?;
        f.seek(SeekFrom::Start(at))?;
        Ok(BufReader::new(f))
    }

    /// Every blob id scanned by earlier sweeps, in order.
    pub fn scanned(&self) -> anyhow::Result<Ids<BufReader<File>>> {
        Ok(Ids::new(self.reader(self.scanned.0)?, self.scanned.1, &self.path))
    }

    /// The blobs that had hits, in order: read again when refs move, so that each finding's
    /// first commit still accounts for every version of its file.
    pub fn hit_blobs(&self) -> anyhow::Result<Vec<ObjectId>> {
        Ids::new(self.reader(self.hits.0)?, self.hits.1, &self.path).collect()
    }

    /// Whether any finding was open.
    pub fn has_open(&self) -> bool {
        self.open.0 < self.open.1
    }

    /// The open findings, in key order. They were checked by [`StateDir::load`]; a line that
    /// does not parse or comes out of order now (the file changed since) ends them with an
    /// error.
    pub fn open(&self) -> anyhow::Result<Opens<Take<BufReader<File>>>> {
        let reader = self.reader(self.open.0)?.take(self.open.1 - self.open.0);
        Ok(Opens::new(reader, &self.path))
    }
}

/// "`path` is damaged: `what`", never quoting the file's content.
fn damaged(path: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{} is damaged: {what}", path.display())
}

/// Read one line, its newline included, into `line`; `false` at the end of `reader`. A line
/// longer than [`MAX_LINE`] is an error, read no further than that.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<bool> {
    line.clear();
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(!line.is_empty());
        }
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if line.len() + take > MAX_LINE {
            return Err(std::io::Error::other(format!("a line is longer than {MAX_LINE} bytes")));
        }
        line.extend_from_slice(&buf[..take]);
        reader.consume(take);
        if done {
            return Ok(true);
        }
    }
}

/// The open findings of a state file, read a line at a time; keys never decrease (several
/// findings may share one).
pub struct Opens<R> {
    reader: R,
    line: Vec<u8>,
    /// The last key read ("" before the first), and how many lines were read.
    last: String,
    lines: u64,
    /// A bad line was met: nothing more is read.
    ended: bool,
    path: PathBuf,
}

/// The key of an open finding's line, which the writer puts first (`{"key":"…","finding":`):
/// all the checking pass parses of it, the digest vouching for the rest. A finding that does
/// not parse behind a well-formed key needs a file written with its digest recomputed; it
/// fails the sweep of that repository when it is read.
fn key_of(line: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(b"{\"key\":")?;
    let mut keys = serde_json::Deserializer::from_slice(rest).into_iter::<String>();
    let key = keys.next()?.ok()?;
    rest.get(keys.byte_offset()..)?.starts_with(b",\"finding\":").then_some(key)
}

impl<R: BufRead> Opens<R> {
    fn new(reader: R, path: &Path) -> Self {
        Self {
            reader,
            line: Vec::new(),
            last: String::new(),
            lines: 0,
            ended: false,
            path: path.to_path_buf(),
        }
    }

    /// The next line as `parse` reads it, whose key `key` gives: checked to be whole, to
    /// parse, and to come in key order.
    fn next_as<T>(
        &mut self,
        parse: impl Fn(&[u8]) -> Option<T>,
        key: impl Fn(&T) -> &str,
    ) -> anyhow::Result<Option<T>> {
        let Self { reader, line, last, lines, path, .. } = self;
        if !read_line(reader, line).map_err(|e| damaged(path, e))? {
            return Ok(None);
        }
        *lines += 1;
        let n = *lines;
        if line.last() != Some(&b'\n') {
            return Err(damaged(path, format_args!("open finding {n} is cut short")));
        }
        let parsed =
            parse(line).ok_or_else(|| damaged(path, format_args!("open finding {n} does not parse")))?;
        let k = key(&parsed);
        if last.as_str() > k {
            return Err(damaged(path, format_args!("open finding {n} is out of key order")));
        }
        last.clear();
        last.push_str(k);
        Ok(Some(parsed))
    }
}

impl<R: BufRead> Iterator for Opens<R> {
    type Item = anyhow::Result<Open>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        // The parser's message may quote the line: it is not passed on.
        let read = self.next_as(|line| serde_json::from_slice::<Open>(line).ok(), |o| &o.key);
        self.ended = !matches!(read, Ok(Some(_)));
        read.transpose()
    }
}

/// Raw blob ids read from a state file, a count known in advance, each greater than the one
/// before.
pub struct Ids<R> {
    reader: R,
    left: u64,
    last: Option<ObjectId>,
    path: PathBuf,
}

impl<R: Read> Ids<R> {
    fn new(reader: R, count: u64, path: &Path) -> Self {
        Self { reader, left: count, last: None, path: path.to_path_buf() }
    }
}

impl<R: Read> Iterator for Ids<R> {
    type Item = anyhow::Result<ObjectId>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let mut raw = [0u8; ID as usize];
        let read = match self.reader.read_exact(&mut raw) {
            Ok(()) => Ok(ObjectId::from(raw)),
            Err(_) => Err(damaged(&self.path, "a section of blob ids ends early")),
        }
        .and_then(|id| match self.last {
            Some(last) if last >= id => Err(damaged(&self.path, "blob ids are out of order")),
            _ => Ok(id),
        });
        match &read {
            Ok(id) => {
                self.last = Some(*id);
                self.left -= 1;
            }
            Err(_) => self.left = 0,
        }
        Some(read)
    }
}

/// Bytes read or written, fed to a SHA-256 on the way.
struct Hashing<T> {
    inner: T,
    hash: Sha256,
}

impl<T: Read> Read for Hashing<T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

impl<T: Write> Write for Hashing<T> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A new state being written to its temporary file: sections in file order.
pub struct Writer {
    out: BufWriter<Hashing<File>>,
    /// The counts of scanned and hit ids, for the trailer.
    counts: [u64; 2],
    file: Temporary,
}

impl Writer {
    /// Add an open finding; they come in key order.
    pub fn open(&mut self, open: &Open) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, open)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Write the trailer and flush the temporary file to disk; it is renamed into place by
    /// [`Temporary::commit`].
    pub fn finish(self) -> anyhow::Result<Temporary> {
        let Self { mut out, counts, file } = self;
        let written = || format!("cannot write {}", file.tmp.display());
        for n in counts {
            out.write_all(&n.to_le_bytes()).with_context(written)?;
        }
        let Hashing { inner: mut f, hash } =
            out.into_inner().map_err(|e| e.into_error()).with_context(written)?;
        f.write_all(&hash.finalize()).with_context(written)?;
        f.sync_all().with_context(written)?;
        Ok(file)
    }
}

/// A state written to its temporary file, not yet in place: removed if dropped uncommitted.
#[derive(Debug)]
pub struct Temporary {
    tmp: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl Temporary {
    /// Rename the new state into place.
    pub fn commit(mut self) -> anyhow::Result<()> {
        std::fs::rename(&self.tmp, &self.path)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Write `ids` as raw ids; returns how many.
fn write_ids(
    out: &mut impl Write,
    ids: impl IntoIterator<Item = anyhow::Result<ObjectId>>,
) -> anyhow::Result<u64> {
    let mut n = 0u64;
    for id in ids {
        out.write_all(id?.as_bytes())?;
        n += 1;
    }
    Ok(n)
}

fn read_u64(f: &mut impl Read) -> Option<u64> {
    let mut b = [0u8; 8];
    f.read_exact(&mut b).ok().map(|()| u64::from_le_bytes(b))
}

/// Read every byte of the state file `f` before its digest, in one pass: `body` bytes up to
/// the trailer, whose id `counts` and `digest` were read first.
fn check(f: File, path: &Path, body: u64, counts: [u64; 2], digest: &[u8]) -> anyhow::Result<Recorded> {
    let bad = |what: &str| damaged(path, what);
    let short = || bad("it ends early");
    let mut r = BufReader::new(Hashing { inner: f.take(body + COUNTS), hash: Sha256::new() });
    let mut magic = [0u8; MAGIC.len()];
    r.read_exact(&mut magic).map_err(|_| short())?;
    let header_len = read_u64(&mut r)
        .filter(|n| *n <= (MAX_LINE as u64).min(body))
        .ok_or_else(|| bad("its header is too long"))?;
    let mut header = vec![0u8; usize::try_from(header_len)?];
    r.read_exact(&mut header).map_err(|_| short())?;
    let header: Header = serde_json::from_slice(&header).map_err(|_| bad("its header does not parse"))?;
    let [scanned_n, hits_n] = counts;
    let start = MAGIC.len() as u64 + 8 + header_len;
    let end = |at: u64, n: u64| n.checked_mul(ID).and_then(|b| b.checked_add(at)).filter(|e| *e <= body);
    let misfit = || bad("its id counts do not fit its length");
    let scanned_end = end(start, scanned_n).ok_or_else(misfit)?;
    let hits_end = end(scanned_end, hits_n).ok_or_else(misfit)?;
    for n in counts {
        for id in Ids::new(&mut r, n, path) {
            id?;
        }
    }
    let mut opens = Opens::new((&mut r).take(body - hits_end), path);
    while opens.next_as(key_of, String::as_str)?.is_some() {}
    r.read_exact(&mut [0u8; COUNTS as usize]).map_err(|_| short())?;
    if r.into_inner().hash.finalize().as_slice() != digest {
        return Err(bad("its checksum does not match"));
    }
    Ok(Recorded {
        header,
        path: path.to_path_buf(),
        scanned: (start, scanned_n),
        hits: (scanned_end, hits_n),
        open: (hits_end, body),
    })
}

/// The state directory, locked for this process while it lives.
#[derive(Debug)]
pub struct StateDir {
    dir: PathBuf,
    /// `DIR/lock`, held with an exclusive advisory lock (`flock`) until drop or exit: the
    /// kernel releases it when the process dies, so a lock is never stale and two sweeps can
    /// never both hold it. The file stays; its content (the holder's pid) is for people.
    lock: std::fs::File,
}

impl StateDir {
    /// Take the lock, refusing when another live sweep holds it, then remove temporary
    /// state files that a killed sweep left behind (no other sweep can be writing now).
    pub fn open(dir: &Path, note: &dyn Fn(String)) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir.join("repos"))
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join("lock");
        let mut lock = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        // The holder's pid is read only once the outcome is known: before that, another
        // sweep may be between taking the lock and writing its pid.
        let holder = |path: &Path| std::fs::read_to_string(path).unwrap_or_default().trim().to_string();
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
                "{} is in use by another sweep (pid {}); wait for it to finish",
                dir.display(),
                holder(&path)
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        let pid = holder(&path);
        if !pid.is_empty() {
            note(format!("taking over the lock of a sweep that is gone (pid {pid:?})"));
        }
        lock.set_len(0)?;
        writeln!(lock, "{}", std::process::id())?;
        let state = Self { dir: dir.to_path_buf(), lock };
        state.remove_temporaries(note);
        Ok(state)
    }

    /// Remove `repos/*.tmp.*`: state a killed sweep was writing when it died.
    fn remove_temporaries(&self, note: &dyn Fn(String)) {
        let Ok(entries) = std::fs::read_dir(self.dir.join("repos")) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().contains(".tmp.") {
                match std::fs::remove_file(entry.path()) {
                    Ok(()) => {
                        note(format!("removed {}, left by a sweep that was killed", entry.path().display()))
                    }
                    Err(e) => note(format!("cannot remove {}: {e}", entry.path().display())),
                }
            }
        }
    }

    pub(crate) fn file(&self, repo: &str) -> PathBuf {
        let digest = Sha256::digest(repo.as_bytes());
        self.dir.join("repos").join(format!("{}.state", crate::units::hex(&digest[..12])))
    }

    /// The state of `repo` (its path as listed), or `None` before its first sweep. The file
    /// is read whole and checked before it is used (see the module's comment); a damaged
    /// one, or one an older sprawl wrote, is an error naming the file and what is wrong: the
    /// caller reports it and scans from scratch.
    pub fn load(&self, repo: &str) -> anyhow::Result<Option<Recorded>> {
        let path = self.file(repo);
        let mut f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let bad = |what: &str| damaged(&path, what);
        let short = || bad("it ends early");
        let len = f.metadata()?.len();
        let mut magic = vec![0u8; MAGIC.len()];
        f.read_exact(&mut magic).map_err(|_| short())?;
        if magic != MAGIC {
            anyhow::ensure!(
                !magic.starts_with(ANY_VERSION),
                "{} is from another sprawl version",
                path.display()
            );
            return Err(bad("it is not a sweep state"));
        }
        // The trailer first, for the sizes of the id sections.
        let body =
            len.checked_sub(COUNTS + DIGEST).filter(|b| *b >= MAGIC.len() as u64 + 8).ok_or_else(short)?;
        f.seek(SeekFrom::Start(body))?;
        let counts = [read_u64(&mut f).ok_or_else(short)?, read_u64(&mut f).ok_or_else(short)?];
        let mut digest = [0u8; DIGEST as usize];
        f.read_exact(&mut digest).map_err(|_| short())?;
        f.seek(SeekFrom::Start(0))?;
        check(f, &path, body, counts, &digest).map(Some)
    }

    /// Start the new state of `repo` in a temporary file: the header, the scanned ids and the
    /// ids of blobs with hits (each sorted); the open findings follow through the writer.
    pub fn writer(
        &self,
        repo: &str,
        header: &Header,
        scanned: impl IntoIterator<Item = anyhow::Result<ObjectId>>,
        hit_blobs: &[ObjectId],
    ) -> anyhow::Result<Writer> {
        let path = self.file(repo);
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let file = Temporary { tmp, path, committed: false };
        let create = || -> anyhow::Result<(BufWriter<Hashing<File>>, [u64; 2])> {
            let mut out = BufWriter::new(Hashing { inner: File::create(&file.tmp)?, hash: Sha256::new() });
            let header = serde_json::to_vec(header)?;
            out.write_all(MAGIC)?;
            out.write_all(&(header.len() as u64).to_le_bytes())?;
            out.write_all(&header)?;
            let scanned = write_ids(&mut out, scanned)?;
            let hits = write_ids(&mut out, hit_blobs.iter().map(|id| Ok(*id)))?;
            Ok((out, [scanned, hits]))
        };
        let (out, counts) = create().with_context(|| format!("cannot write {}", file.tmp.display()))?;
        Ok(Writer { out, counts, file })
    }
}

impl Drop for StateDir {
    /// Empty the lock file so that the next sweep does not report a takeover; the lock
    /// itself goes with the file handle.
    fn drop(&mut self) {
        let _ = self.lock.set_len(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = StateDir::open(dir.path(), &|_| {}).expect("lock");
        assert!(StateDir::open(dir.path(), &|_| {}).is_err(), "a second sweep is refused");
        assert!(state.load("/srv/a").expect("load").is_none());
        let mut ids = vec![ObjectId::from_hex(b"ab00000000000000000000000000000000000001").expect("hex")];
        ids.push(ObjectId::from_hex(b"0100000000000000000000000000000000000002").expect("hex"));
        ids.sort();
        let header = Header { repo: "/srv/a".into(), rules: "r1".into(), ..Header::default() };
        let mut w = state.writer("/srv/a", &header, ids.iter().map(|id| Ok(*id)), &ids[1..]).expect("writer");
        let finding = crate::finding::Finding::config_change(".sprawl.toml");
        for key in ["a", "b"] {
            w.open(&Open { key: key.into(), finding: finding.clone() }).expect("open");
        }
        let written = w.finish().expect("finish");
        assert!(state.load("/srv/a").expect("load").is_none(), "not in place before the commit");
        written.commit().expect("commit");
        let back = state.load("/srv/a").expect("load").expect("present");
        let scanned: Vec<ObjectId> = back.scanned().expect("ids").map(|id| id.expect("id")).collect();
        assert_eq!(scanned, ids);
        assert_eq!(back.hit_blobs().expect("hits"), ids[1..]);
        assert_eq!(back.header.rules, "r1");
        let keys: Vec<String> = back.open().expect("open").map(|o| o.expect("open").key).collect();
        assert_eq!(keys, ["a", "b"]);
        // A state that an older sprawl wrote is refused, as a damaged one is.
        std::fs::write(state.file("/srv/b"), b"sprawl-sweep-state-v1\n\0\0\0\0\0\0\0\0{}").expect("write");
        let older = state.load("/srv/b").expect_err("an older state is not used");
        assert!(format!("{older:#}").contains("another sprawl version"), "{older:#}");
        drop(state);
        // Another test's child process, between its fork and exec, may briefly share the
        // lock's open file (the descriptor is close-on-exec): wait for that to pass.
        let again = (0..50)
            .find_map(|_| {
                StateDir::open(dir.path(), &|_| {})
                    .map_err(|_| std::thread::sleep(std::time::Duration::from_millis(20)))
                    .ok()
            })
            .expect("lock released on drop");
        std::fs::write(again.file("/srv/a"), b"garbage").expect("write");
        assert!(again.load("/srv/a").is_err());
    }

    #[test]
    fn stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path()).expect("mkdir");
        std::fs::write(dir.path().join("lock"), "999999999\n").expect("write");
        let noted = std::cell::Cell::new(false);
        StateDir::open(dir.path(), &|_| noted.set(true)).expect("stale lock taken over");
        assert!(noted.get());
    }
}
