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
    /// Blobs a commit's tree names that the repository lacks (history scans with findings).
    pub missing: AtomicU64,
    pub warnings: AtomicU64,
    /// Skipped files and blobs named so far (see [`Stats::skipped`]).
    pub named_skips: AtomicU64,
    /// `-q`: skipped files are counted, not named (a pre-commit hook or CI log stays quiet
    /// about the images of a repository).
    pub quiet: bool,
}

impl Stats {
    pub fn new(quiet: bool) -> Self {
        Self { quiet, ..Self::default() }
    }
}

/// Skipped files and blobs named on stderr; the rest are only counted in the summary.
const NAMED_SKIPS: u64 = 20;

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

    /// Name a file or blob that was not scanned (binary, too large): the first 20 are
    /// printed as notes, then one line says the rest are only counted in the summary; none
    /// with `-q`.
    pub fn skipped(&self, msg: impl AsRef<str>) {
        if self.quiet {
            return;
        }
        match self.named_skips.fetch_add(1, Ordering::Relaxed) {
            n if n < NAMED_SKIPS => self.note(msg),
            NAMED_SKIPS => {
                self.note(format!("more files or blobs skipped; only counted after the first {NAMED_SKIPS}"))
            }
            _ => {}
        }
    }

    /// Print a warning (sanitised: repository bytes may hold terminal escapes) and count it.
    pub fn warn(&self, msg: impl AsRef<str>) {
        Self::add(&self.warnings, 1);
        eprintln!("sprawl: warning: {}", sanitize(msg.as_ref()));
    }
}

/// Escape control characters, and the invisible characters that reorder or hide text
/// (bidi overrides and isolates, zero-width marks, line separators), so that file names and
/// author names can neither drive the terminal nor make a line read differently than it is.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether [`sanitize`] escapes `c`: control characters but tab, U+200B-200F (zero-width
/// and direction marks), U+2028-202E (separators, bidi embeddings and overrides),
/// U+2066-2069 (bidi isolates) and U+FEFF.
pub fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// A TOML parse error as `file:line:column: message`, without the offending line (the toml
/// crate quotes it, and a configuration line may hold a secret) and with the values the
/// message quotes left out: only the names sprawl expects are kept.
pub fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> String {
    let at = match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = before.len() - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
            format!("{file}:{line}:{column}")
        }
        None => file.to_string(),
    };
    let message = e.message().trim();
    let (what, expected) = message.split_once(", expected").map_or((message, None), |(a, b)| (a, Some(b)));
    let mut out = format!("{at}: {}", without_quoted(what));
    if let Some(expected) = expected {
        out.push_str(", expected");
        out.push_str(expected);
    }
    out
}

/// A regex error's last line (`error: unclosed group`), without the pattern it quotes.
pub fn regex_error(e: &impl std::fmt::Display) -> String {
    let text = e.to_string();
    let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("invalid");
    let last = last.trim().trim_start_matches("error:").trim();
    // A single-line message (a size limit, say) may still quote: keep only the words.
    without_quoted(last)
}

/// `text` with what it quotes replaced by `…`: every double-quoted value, and every
/// backticked name that does not look like a configuration key (a short word of letters,
/// `_`, `.` and `-`: a secret used as a key has digits or length).
fn without_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quoted: Option<(char, String)> = None;
    for c in text.chars() {
        match &mut quoted {
            Some((q, inside)) if c == *q => {
                let name_like = *q == '`'
                    && inside.len() <= 24
                    && inside.chars().all(|c| c.is_ascii_alphabetic() || "_.-".contains(c));
                out.push_str(if name_like { inside } else { "…" });
                out.push(c);
                quoted = None;
            }
            Some((_, inside)) => inside.push(c),
            None => {
                out.push(c);
                if c == '`' || c == '"' {
                    quoted = Some((c, String::new()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls() {
        assert_eq!(sanitize("a\x1b[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(sanitize("evil\u{202e}txt.exe\u{2066}"), "evil\\u{202e}txt.exe\\u{2066}");
        assert_eq!(sanitize("tab\tand é"), "tab\tand é");
    }

    #[test]
    fn config_errors_do_not_quote_values() {
        let text = "a = 1\ntoken = \"hunter2-Sup3r\" oops\n";
        let e = toml::from_str::<toml::Table>(text).expect_err("bad TOML");
        let msg = toml_error("x.toml", text, &e);
        assert!(msg.starts_with("x.toml:2:"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
        let pattern = ["(", "hunter2-Sup3r"].concat();
        let e = regex::Regex::new(&pattern).expect_err("bad regex");
        let msg = regex_error(&e);
        assert!(!msg.contains("hunter2") && msg.contains("unclosed"), "{msg}");
    }
}
