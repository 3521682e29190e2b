//! Soft errors and counters: a bad file is reported on stderr, counted and skipped; the
//! scan goes on (ripgrep's `messages.rs` habit).
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by every worker thread.
#[derive(Debug, Default)]
pub struct Stats {
    pub scanned: AtomicU64,
    pub bytes: AtomicU64,
    pub skipped_binary: AtomicU64,
    pub skipped_large: AtomicU64,
    pub warnings: AtomicU64,
}

impl Stats {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Print a fact the user should know about the scan (a shallow clone, submodules not
    /// followed); not counted as a warning.
    pub fn note(&self, msg: impl AsRef<str>) {
        eprintln!("sprawl: note: {}", sanitize(msg.as_ref()));
    }

    /// Print a warning (sanitised: repository bytes may hold terminal escapes) and count it.
    pub fn warn(&self, msg: impl AsRef<str>) {
        Self::add(&self.warnings, 1);
        eprintln!("sprawl: warning: {}", sanitize(msg.as_ref()));
    }
}

/// Escape control characters so that file names cannot drive the terminal.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_controls() {
        assert_eq!(super::sanitize("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
    }
}
