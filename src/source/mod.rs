//! Sources push bytes to the scanner: files on disk (`dir`), git objects (`git`, with
//! provenance from `history`) and standard input.
pub mod dir;
pub mod git;
pub mod history;
pub mod repo;

use std::path::{Path, PathBuf};

/// Turns the paths findings are reported at into repository-relative, `/`-separated ones.
#[derive(Debug, Clone, Default)]
pub struct RepoPaths {
    /// For files on disk: the root paths are made relative to (they are relative to the
    /// current directory). `None` when paths are already repository-relative (history).
    pub root: Option<PathBuf>,
}

impl RepoPaths {
    /// The root of the work tree holding `path`, or `path` itself when it is a directory
    /// outside any work tree.
    pub fn for_dir(path: &Path) -> Self {
        let root = git::discover(path)
            .and_then(|r| r.workdir().map(Path::to_path_buf))
            .or_else(|| path.is_dir().then(|| std::path::absolute(path).ok()).flatten())
            .or_else(|| path.parent().and_then(|p| std::path::absolute(p).ok()));
        Self { root }
    }

    pub fn relative(&self, path: &str) -> Option<String> {
        let Some(root) = &self.root else { return Some(path.to_string()) };
        let abs = std::path::absolute(path).ok()?;
        let rel = abs.strip_prefix(root).ok()?;
        Some(rel.to_string_lossy().replace('\\', "/"))
    }
}
