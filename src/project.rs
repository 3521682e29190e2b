//! The scanned project's own configuration files (`.sprawl.toml`, `.gitleaks.toml` and the
//! rule files they name), read inside the trust boundary: everything in the scanned
//! repository is attacker-controlled, so a path it names stays inside the repository (no
//! absolute path, no `..`, no symbolic link), is a regular file and is size-limited; for a
//! pull-request range the files come from the base commit, not from the change under review.
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};
use gix::ObjectId;

use crate::source::git::{self, TreeEntry};

/// The largest configuration or rule file read from a repository: the builtin rules, all
/// of them, are 150 KB.
pub const MAX_CONFIG: u64 = 1 << 20;

/// Where the project's configuration is read from.
pub enum ProjectFiles {
    /// The work tree (or directory) at this root.
    Disk(PathBuf),
    /// A commit's tree: the base of a pull-request range.
    Commit { repo: Box<gix::Repository>, commit: ObjectId },
}

impl ProjectFiles {
    /// The file at the repository-relative `rel`, or `None` when there is none. A path that
    /// leaves the repository, a link, a directory or an oversized file is an error that
    /// names the path and why, never its content.
    pub fn read(&self, rel: &str) -> anyhow::Result<Option<String>> {
        confined(rel)?;
        let bytes = match self {
            Self::Disk(root) => {
                let full = root.join(rel);
                let Ok(meta) = std::fs::symlink_metadata(&full) else { return Ok(None) };
                inside(root, &full, rel)?;
                if !meta.file_type().is_file() {
                    bail!("{rel}: not a regular file, not read");
                }
                if meta.len() > MAX_CONFIG {
                    bail!("{rel}: larger than {MAX_CONFIG} bytes, not read");
                }
                std::fs::read(&full).with_context(|| format!("cannot read {rel}"))?
            }
            Self::Commit { repo, commit } => match git::tree_entry(repo, *commit, rel)? {
                None => return Ok(None),
                Some(TreeEntry::Blob { id, .. }) => git::read_blob(repo, &id, MAX_CONFIG)?
                    .with_context(|| format!("{rel}: larger than {MAX_CONFIG} bytes, not read"))?,
                Some(_) => bail!("{rel}: not a regular file, not read"),
            },
        };
        String::from_utf8(bytes).map(Some).map_err(|_| anyhow::anyhow!("{rel}: not UTF-8, not read"))
    }

    /// The rule files at `rel`: the file itself, or the `*.toml` files of the directory, as
    /// `(repository path, text)`.
    pub fn rule_files(&self, rel: &str) -> anyhow::Result<Vec<(String, String)>> {
        confined(rel)?;
        let names = match self {
            Self::Disk(root) => {
                let full = root.join(rel);
                inside(root, &full, rel)?;
                match std::fs::symlink_metadata(&full) {
                    Ok(m) if m.is_dir() => std::fs::read_dir(&full)
                        .with_context(|| format!("cannot read {rel}"))?
                        .filter_map(|e| e.ok()?.file_name().into_string().ok())
                        .collect(),
                    Ok(_) => Vec::new(),
                    Err(_) => bail!("{rel}: no such rule file or directory"),
                }
            }
            Self::Commit { repo, commit } => match git::tree_entry(repo, *commit, rel)? {
                Some(TreeEntry::Tree(names)) => names,
                Some(_) => Vec::new(),
                None => bail!("{rel}: no such rule file or directory"),
            },
        };
        if names.is_empty() {
            let text = self.read(rel)?.with_context(|| format!("{rel}: no such rule file"))?;
            return Ok(vec![(rel.to_string(), text)]);
        }
        let mut files: Vec<String> = names
            .into_iter()
            .filter(|n| n.ends_with(".toml"))
            .map(|n| format!("{}/{n}", rel.trim_end_matches('/')))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|f| Ok((f.clone(), self.read(&f)?.with_context(|| format!("{f}: vanished"))?)))
            .collect()
    }
}

/// A repository-relative path of plain names: no root, no drive, no `..`.
fn confined(rel: &str) -> anyhow::Result<()> {
    let path = Path::new(rel);
    if rel.is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
        bail!("{rel:?}: a path named by the repository's configuration must stay inside the repository");
    }
    Ok(())
}

/// `full` (under `root`) resolves inside `root`: no symbolic link along the way leads out.
fn inside(root: &Path, full: &Path, rel: &str) -> anyhow::Result<()> {
    let (Ok(root), Ok(real)) = (root.canonicalize(), full.canonicalize()) else { return Ok(()) };
    if !real.starts_with(&root) {
        bail!("{rel:?}: leads outside the repository through a symbolic link, not read");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside() {
        for bad in ["/proc/self/environ", "../x.toml", "a/../../x", ""] {
            assert!(confined(bad).is_err(), "{bad}");
        }
        for good in ["rules.toml", "ci/rules", "./ci/x.toml"] {
            assert!(confined(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn links_out_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret.toml"), "x = 1\n").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path().join("secret.toml"), dir.path().join("rules.toml"))
            .expect("link");
        let files = ProjectFiles::Disk(dir.path().to_path_buf());
        let err = files.read("rules.toml").expect_err("a link out is refused").to_string();
        assert!(err.contains("outside the repository") && !err.contains("x = 1"), "{err}");
        assert!(files.read("absent.toml").expect("absent is fine").is_none());
    }
}
