//! Paths as findings show them and as the repository names them: [`RepoPaths`] makes
//! the paths of files on disk repository-relative (for allowed paths, baselines and SARIF),
//! and [`PathMap`] maps between a repository path and how it is shown under the scanned root.
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
    pub fn for_dir(path: &Path, worktree: Option<PathBuf>) -> Self {
        let root = worktree
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

/// The repository files a CI model is built from, by repository-relative path (`/`-separated).
pub trait RepoFiles {
    /// The repository paths of the files the reader was asked for, sorted.
    fn paths(&self) -> &[String];
    /// The file's bytes, or why it was not read (too large, unreadable): the reason is
    /// shown to the user, so it never quotes the file.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
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
}
