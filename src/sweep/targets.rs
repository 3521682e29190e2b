//! Which repositories a sweep covers: a list file or a directory of clones, and this
//! machine's shard of them.
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};

/// The repositories named by `targets`: a file with one path per line (`#` comments;
/// relative paths are relative to the file), or a directory whose immediate subdirectories
/// that are repositories (work trees, or bare `*.git` directories) are the targets. Sorted.
pub fn list(targets: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if targets.is_dir() {
        let entries =
            std::fs::read_dir(targets).with_context(|| format!("cannot read {}", targets.display()))?;
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() && is_repository(&path) {
                out.push(path);
            }
        }
    } else {
        let text =
            std::fs::read_to_string(targets).with_context(|| format!("cannot read {}", targets.display()))?;
        let base = targets.parent().unwrap_or(Path::new("."));
        for line in text.lines() {
            let line = line.split_once('#').map_or(line, |(before, _)| before).trim();
            if !line.is_empty() {
                out.push(base.join(line));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// A work tree (has `.git`) or a bare repository (has `HEAD` and `objects/`).
fn is_repository(dir: &Path) -> bool {
    dir.join(".git").exists() || (dir.join("HEAD").is_file() && dir.join("objects").is_dir())
}

/// `I/N` → (I, N), 1 ≤ I ≤ N.
pub fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let (i, n) = s.split_once('/').ok_or_else(|| format!("expected I/N, got {s:?}"))?;
    let (i, n): (u64, u64) = (
        i.trim().parse().map_err(|_| format!("bad shard index in {s:?}"))?,
        n.trim().parse().map_err(|_| format!("bad shard count in {s:?}"))?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(format!("shard {s:?}: need 1 <= I <= N"));
    }
    Ok((i, n))
}

/// Whether `repo` belongs to shard `i` of `n`: a stable hash of the path as listed, so
/// every machine computes the same partition without talking to the others.
pub fn in_shard(repo: &Path, (i, n): (u64, u64)) -> bool {
    let digest = Sha256::digest(repo.to_string_lossy().as_bytes());
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head) % n == i - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition() {
        let repos: Vec<PathBuf> = (0..50).map(|i| PathBuf::from(format!("/srv/git/repo-{i}"))).collect();
        let mut counts = [0; 3];
        for r in &repos {
            let owners: Vec<u64> = (1..=3).filter(|&i| in_shard(r, (i, 3))).collect();
            assert_eq!(owners.len(), 1, "{r:?} is in exactly one shard");
            counts[(owners[0] - 1) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c > 5), "{counts:?}");
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        assert!(parse_shard("0/3").is_err() && parse_shard("4/3").is_err() && parse_shard("x").is_err());
    }
}
