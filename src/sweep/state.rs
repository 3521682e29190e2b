//! What a sweep remembers per repository between runs, and the lock that keeps two sweeps
//! off the same state directory.
//!
//! One file per repository, `repos/<hash of its path>.state`: a magic line, the length of a
//! JSON header (rule-set digest, ref tips) and the header, the count then the sorted raw ids
//! of every blob already scanned, the count then the sorted raw ids of the blobs that had
//! hits, and last the open findings, one JSON line each, sorted by key. Every section is read
//! back as a stream. A new state is written to a temporary file and renamed into place, so a
//! sweep killed at any moment leaves either the old state or the new one.
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use gix::ObjectId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MAGIC: &[u8] = b"sprawl-sweep-state-v2\n";
/// What every version's magic line starts with: an older state is not damaged, only unusable.
const ANY_VERSION: &[u8] = b"sprawl-sweep-state-v";
const ID: u64 = 20;

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

/// A repository's recorded state: its header, and where its sections are in its file.
#[derive(Debug)]
pub struct Recorded {
    pub header: Header,
    path: PathBuf,
    /// Offset and count of the scanned ids.
    scanned: (u64, u64),
    /// Offset and count of the ids of blobs that had hits.
    hits: (u64, u64),
    /// Where the open findings start, and the file's length.
    open: (u64, u64),
}

impl Recorded {
    fn reader(&self, at: u64) -> anyhow::Result<BufReader<File>> {
        let mut f = File::open(&self.path).with_context(|| format!("cannot read {}", self.path.display()))?;
        f.seek(SeekFrom::Start(at))?;
        Ok(BufReader::new(f))
    }

    fn damaged(&self) -> anyhow::Error {
        anyhow::anyhow!("{} is damaged", self.path.display())
    }

    /// Every blob id scanned by earlier sweeps, in order.
    pub fn scanned(&self) -> anyhow::Result<Ids> {
        Ok(Ids { reader: self.reader(self.scanned.0)?, left: self.scanned.1 })
    }

    /// The blobs that had hits, in order: read again when refs move, so that each finding's
    /// first commit still accounts for every version of its file.
    pub fn hit_blobs(&self) -> anyhow::Result<Vec<ObjectId>> {
        let ids = Ids { reader: self.reader(self.hits.0)?, left: self.hits.1 };
        ids.map(|id| id.map_err(|_| self.damaged())).collect()
    }

    /// Whether any finding was open.
    pub fn has_open(&self) -> bool {
        self.open.0 < self.open.1
    }

    /// The open findings, in key order; a line that does not parse, or one out of order,
    /// ends them with an error.
    pub fn open(&self) -> anyhow::Result<Opens> {
        let reader = self.reader(self.open.0)?;
        Ok(Opens { reader, line: Vec::new(), last: None, ended: false, path: self.path.clone() })
    }
}

/// The open findings of a state file, read a line at a time.
pub struct Opens {
    reader: BufReader<File>,
    line: Vec<u8>,
    /// The last key read: keys come in order.
    last: Option<String>,
    /// A bad line was met: nothing more is read.
    ended: bool,
    path: PathBuf,
}

impl Iterator for Opens {
    type Item = anyhow::Result<Open>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        self.line.clear();
        match self.reader.read_until(b'\n', &mut self.line) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => {
                self.ended = true;
                return Some(Err(anyhow::Error::new(e)));
            }
        }
        let open = serde_json::from_slice::<Open>(&self.line)
            .ok()
            .filter(|o| self.last.as_ref().is_none_or(|k| *k <= o.key));
        Some(match open {
            Some(o) => {
                self.last = Some(o.key.clone());
                Ok(o)
            }
            None => {
                self.ended = true;
                Err(anyhow::anyhow!("{} is damaged", self.path.display()))
            }
        })
    }
}

/// Raw blob ids read from a state file, a count known in advance.
pub struct Ids {
    reader: BufReader<File>,
    left: u64,
}

impl Iterator for Ids {
    type Item = anyhow::Result<ObjectId>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let mut raw = [0u8; ID as usize];
        Some(match self.reader.read_exact(&mut raw) {
            Ok(()) => gix::hash::oid::try_from_bytes(&raw)
                .map(ToOwned::to_owned)
                .map_err(|e| anyhow::anyhow!("a state file holds a bad blob id: {e}")),
            Err(e) => {
                self.left = 0;
                Err(anyhow::Error::new(e).context("a state file ends early"))
            }
        })
    }
}

/// A new state being written to its temporary file: sections in file order.
pub struct Writer {
    out: BufWriter<File>,
    file: Temporary,
}

impl Writer {
    /// Add an open finding; they come in key order.
    pub fn open(&mut self, open: &Open) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.out, open)?;
        self.out.write_all(b"\n")?;
        Ok(())
    }

    /// Flush the temporary file to disk; it is renamed into place by [`Temporary::commit`].
    pub fn finish(self) -> anyhow::Result<Temporary> {
        let Self { out, file } = self;
        let f = out.into_inner().map_err(|e| e.into_error())?;
        f.sync_all().with_context(|| format!("cannot write {}", file.tmp.display()))?;
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

/// Write `ids` as a count then raw ids; the count is written once they are all out.
fn write_ids(
    out: &mut BufWriter<File>,
    ids: impl IntoIterator<Item = anyhow::Result<ObjectId>>,
) -> anyhow::Result<()> {
    let at = out.stream_position()?;
    out.write_all(&0u64.to_le_bytes())?;
    let mut n = 0u64;
    for id in ids {
        out.write_all(id?.as_bytes())?;
        n += 1;
    }
    let end = out.stream_position()?;
    out.seek(SeekFrom::Start(at))?;
    out.write_all(&n.to_le_bytes())?;
    out.seek(SeekFrom::Start(end))?;
    Ok(())
}

fn read_u64(f: &mut impl Read) -> Option<u64> {
    let mut b = [0u8; 8];
    f.read_exact(&mut b).ok().map(|()| u64::from_le_bytes(b))
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

    fn file(&self, repo: &str) -> PathBuf {
        let digest = Sha256::digest(repo.as_bytes());
        self.dir.join("repos").join(format!("{}.state", crate::units::hex(&digest[..12])))
    }

    /// The state of `repo` (its path as listed), or `None` before its first sweep. A file
    /// that does not parse, or one an older sprawl wrote, is an error: the caller reports it
    /// and scans from scratch.
    pub fn load(&self, repo: &str) -> anyhow::Result<Option<Recorded>> {
        let path = self.file(repo);
        let mut f = match File::open(&path) {
            Ok(f) => BufReader::new(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let bad = || format!("{} is damaged", path.display());
        let len = f.get_ref().metadata()?.len();
        let mut magic = vec![0u8; MAGIC.len()];
        f.read_exact(&mut magic).ok().with_context(bad)?;
        if magic != MAGIC {
            anyhow::ensure!(
                !magic.starts_with(ANY_VERSION),
                "{} is from another sprawl version",
                path.display()
            );
            anyhow::bail!("{}", bad());
        }
        let header_len = read_u64(&mut f).filter(|n| *n <= len).with_context(bad)?;
        let mut header = vec![0u8; usize::try_from(header_len)?];
        f.read_exact(&mut header).ok().with_context(bad)?;
        let header: Header = serde_json::from_slice(&header).with_context(bad)?;
        // A section: its count, then that many ids, all inside the file.
        let mut at = MAGIC.len() as u64 + 8 + header_len;
        let mut section = |f: &mut BufReader<File>| -> anyhow::Result<(u64, u64)> {
            let n = read_u64(f).with_context(bad)?;
            let start = at + 8;
            let end = n
                .checked_mul(ID)
                .and_then(|b| b.checked_add(start))
                .filter(|e| *e <= len)
                .with_context(bad)?;
            f.seek(SeekFrom::Start(end))?;
            at = end;
            Ok((start, n))
        };
        let scanned = section(&mut f)?;
        let hits = section(&mut f)?;
        Ok(Some(Recorded { header, path, scanned, hits, open: (at, len) }))
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
        let create = || -> anyhow::Result<BufWriter<File>> {
            let mut out = BufWriter::new(File::create(&file.tmp)?);
            let header = serde_json::to_vec(header)?;
            out.write_all(MAGIC)?;
            out.write_all(&(header.len() as u64).to_le_bytes())?;
            out.write_all(&header)?;
            write_ids(&mut out, scanned)?;
            write_ids(&mut out, hit_blobs.iter().map(|id| Ok(*id)))?;
            Ok(out)
        };
        let out = create().with_context(|| format!("cannot write {}", file.tmp.display()))?;
        Ok(Writer { out, file })
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
