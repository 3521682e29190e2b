//! What a sweep remembers per repository between runs, and the lock that keeps two sweeps
//! off the same state directory.
//!
//! One file per repository, `repos/<hash of its path>.state`: a magic line, the length of a
//! JSON header (rule-set digest, ref tips, open findings), the header, then the sorted ids of
//! every blob already scanned, raw. It is written to a temporary file and renamed into
//! place, so a sweep killed at any moment leaves either the old state or the new one.
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use gix::ObjectId;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MAGIC: &[u8] = b"sprawl-sweep-state-v1\n";

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
    /// Every blob that had a hit: read again when refs move, so that each finding's first
    /// commit still accounts for every version of its file.
    #[serde(default)]
    pub hit_blobs: Vec<String>,
    pub open: Vec<Open>,
}

/// A repository's state: the header and the scanned blob ids, sorted.
#[derive(Debug, Default)]
pub struct RepoState {
    pub header: Header,
    pub scanned: Vec<ObjectId>,
}

impl RepoState {
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.scanned.binary_search(id).is_ok()
    }
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
    /// that does not parse is an error: the caller reports it and scans from scratch.
    pub fn load(&self, repo: &str) -> anyhow::Result<Option<RepoState>> {
        let path = self.file(repo);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let bad = || format!("{} is damaged", path.display());
        let rest = bytes.strip_prefix(MAGIC).with_context(bad)?;
        let len_bytes: [u8; 8] = rest.get(..8).and_then(|b| b.try_into().ok()).with_context(bad)?;
        let len = usize::try_from(u64::from_le_bytes(len_bytes)).with_context(bad)?;
        let header: Header =
            serde_json::from_slice(rest.get(8..8 + len).with_context(bad)?).with_context(bad)?;
        let ids = rest.get(8 + len..).with_context(bad)?;
        anyhow::ensure!(ids.len() % 20 == 0, "{}", bad());
        let scanned = ids
            .chunks_exact(20)
            .map(|c| gix::hash::oid::try_from_bytes(c).ok().map(ToOwned::to_owned))
            .collect::<Option<Vec<ObjectId>>>()
            .with_context(bad)?;
        Ok(Some(RepoState { header, scanned }))
    }

    /// Replace the state of `repo` atomically.
    pub fn save(&self, repo: &str, state: &RepoState) -> anyhow::Result<()> {
        let path = self.file(repo);
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let header = serde_json::to_vec(&state.header)?;
        let mut out = Vec::with_capacity(MAGIC.len() + 8 + header.len() + state.scanned.len() * 20);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        for id in &state.scanned {
            out.extend_from_slice(id.as_bytes());
        }
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&out)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().with_context(|| format!("cannot write {}", path.display()))
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
        state.save("/srv/a", &RepoState { header, scanned: ids.clone() }).expect("save");
        let back = state.load("/srv/a").expect("load").expect("present");
        assert_eq!(back.scanned, ids);
        assert_eq!(back.header.rules, "r1");
        assert!(back.contains(&ids[1]));
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
