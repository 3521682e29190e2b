//! CI files on disk: the walked files under the scanned root that a CI model may read.
use std::path::{Path, PathBuf};

use crate::paths::RepoFiles;

use super::MAX_CI_FILE;

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

    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let full = self.root.join(path);
        let len = std::fs::metadata(&full).map_err(|e| e.to_string())?.len();
        if len > MAX_CI_FILE {
            return Err(super::too_large(len));
        }
        std::fs::read(full).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(files.read(".github/workflows/ci.yml").as_deref(), Ok(&b"on: push\n"[..]));
    }
}
