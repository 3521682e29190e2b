//! Where CI files come from: a directory on disk or HEAD's tree of a git repository, and
//! how the paths findings are shown under map to repository paths.
use std::path::{Path, PathBuf};

use super::RepoFiles;

/// CI files larger than this are not read: the largest real workflow files are ~100 KB.
const MAX_CI_FILE: u64 = 1 << 20;

/// The CI files under a root directory, as the scan's walk listed them.
pub struct DiskFiles {
    root: PathBuf,
    paths: Vec<String>,
}

impl DiskFiles {
    /// `files` are paths as walked from `root` (`root/.github/…`); others are left out.
    pub fn new(root: &Path, files: &[PathBuf]) -> Self {
        let mut paths: Vec<String> = files
            .iter()
            .filter_map(|f| f.strip_prefix(root).ok())
            .map(|rel| {
                let parts: Vec<String> =
                    rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
                parts.join("/")
            })
            .filter(|rel| !rel.is_empty() && super::may_be_ci_file(rel.as_bytes()))
            .collect();
        paths.sort();
        Self { root: root.to_path_buf(), paths }
    }
}

impl RepoFiles for DiskFiles {
    fn paths(&self) -> &[String] {
        &self.paths
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        let full = self.root.join(path);
        if std::fs::metadata(&full).ok()?.len() > MAX_CI_FILE {
            return None;
        }
        std::fs::read(full).ok()
    }
}

/// The files of HEAD's tree.
pub struct GitTreeFiles {
    repo: gix::Repository,
    /// Sorted paths, and the blob at each.
    paths: Vec<String>,
    blobs: Vec<gix::ObjectId>,
}

impl GitTreeFiles {
    /// HEAD's tree of `repo`; empty when HEAD is unborn or the tree cannot be read.
    pub fn head(repo: gix::Repository, warn: &dyn Fn(String)) -> Self {
        let mut blobs = Vec::new();
        match repo.head_tree() {
            Ok(tree) => {
                let mut rec = gix::traverse::tree::Recorder::default();
                match tree.traverse().breadthfirst(&mut rec) {
                    Ok(()) => {
                        blobs = rec
                            .records
                            .into_iter()
                            .filter(|e| e.mode.is_blob() && super::may_be_ci_file(&e.filepath))
                            .map(|e| (e.filepath.to_string(), e.oid))
                            .collect();
                    }
                    Err(e) => warn(format!("HEAD's tree: {e}; CI egress not analysed")),
                }
            }
            Err(e) => warn(format!("HEAD's tree: {e}; CI egress not analysed")),
        }
        Self::sorted(repo, blobs)
    }

    /// The index of `repo`: what the next commit will hold (the pre-commit hook's view, and
    /// no tree walk: 100k files cost a few milliseconds).
    pub fn index(repo: gix::Repository, warn: &dyn Fn(String)) -> Self {
        let blobs = match crate::source::git::index(&repo) {
            Ok(index) => crate::source::git::index_blobs(&index)
                .filter(|(path, _)| super::may_be_ci_file(path))
                .map(|(path, id)| (path.to_string(), id))
                .collect(),
            Err(e) => {
                warn(format!("{e:#}; CI egress not analysed"));
                Vec::new()
            }
        };
        Self::sorted(repo, blobs)
    }

    fn sorted(repo: gix::Repository, mut files: Vec<(String, gix::ObjectId)>) -> Self {
        files.sort_unstable();
        files.dedup_by(|a, b| a.0 == b.0);
        let (paths, blobs) = files.into_iter().unzip();
        Self { repo, paths, blobs }
    }
}

impl RepoFiles for GitTreeFiles {
    fn paths(&self) -> &[String] {
        &self.paths
    }

    fn read(&self, path: &str) -> Option<Vec<u8>> {
        let at = self.paths.binary_search_by(|p| p.as_str().cmp(path)).ok()?;
        let id = self.blobs[at];
        let header = self.repo.find_header(id).ok()?;
        if header.size() > MAX_CI_FILE {
            return None;
        }
        let mut object = self.repo.find_object(id).ok()?;
        Some(std::mem::take(&mut object.data))
    }
}

/// Finding paths are shown as the user named them (`sprawl dir testdata/x` shows
/// `testdata/x/config/.env`); CI files are read relative to the scanned root. The map is the
/// shown prefix of the root.
#[derive(Debug, Clone, Default)]
pub struct PathMap {
    prefix: String,
}

impl PathMap {
    /// Paths are repository paths already (`sprawl git`).
    pub fn repo() -> Self {
        Self::default()
    }

    /// Paths start with `root` as given on the command line (`.` shows nothing).
    pub fn under(root: &Path) -> Self {
        let s = root.to_string_lossy().replace('\\', "/");
        let s = s.strip_prefix("./").unwrap_or(&s).trim_end_matches('/');
        let prefix = if s.is_empty() || s == "." { String::new() } else { format!("{s}/") };
        Self { prefix }
    }

    /// The repository path of a shown path, if it lies under the root.
    pub fn repo_path(&self, shown: &str) -> Option<String> {
        shown.strip_prefix(&self.prefix).map(str::to_string)
    }

    /// How a repository path is shown.
    pub fn shown(&self, repo_path: &str) -> String {
        format!("{}{repo_path}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_map_round_trips() {
        let m = PathMap::under(Path::new("./testdata/x/"));
        assert_eq!(m.shown("a/b"), "testdata/x/a/b");
        assert_eq!(m.repo_path("testdata/x/a/b").as_deref(), Some("a/b"));
        assert_eq!(m.repo_path("other/a"), None);
        let dot = PathMap::under(Path::new("."));
        assert_eq!(dot.shown("a"), "a");
        assert_eq!(PathMap::repo().repo_path("a").as_deref(), Some("a"));
    }

    #[test]
    fn disk_files_are_the_walked_ci_files_under_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
        std::fs::write(dir.path().join(".github/workflows/ci.yml"), "on: push\n").expect("write");
        let walked = [
            dir.path().join(".github/workflows/ci.yml"),
            dir.path().join("src/main.py"),
            dir.path().join("deploy/Dockerfile.prod"),
            PathBuf::from("/elsewhere/x.yml"),
        ];
        let files = DiskFiles::new(dir.path(), &walked);
        assert_eq!(files.paths(), [".github/workflows/ci.yml", "deploy/Dockerfile.prod"]);
        assert_eq!(files.read(".github/workflows/ci.yml").as_deref(), Some(&b"on: push\n"[..]));
    }
}
