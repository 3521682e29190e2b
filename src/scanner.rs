//! Turns bytes into findings: runs the matcher over a buffer (or a reader, in bounded
//! chunks with overlap), decodes embedded base64 secrets, resolves overlaps between
//! generic and specific rules, pairs multi-part credentials and computes positions.
use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use crate::decode;
use crate::finding::{Finding, Kind, Location, Pair, Secret};
use crate::identity::{self, Evidence, Identity};
use crate::matcher::{Matcher, RawMatch, Scratch};
use crate::rules::{Rule, Severity};
use crate::suppress::Suppressor;

/// Bytes read per chunk of a large file or stream; memory per thread is about this much.
pub const CHUNK: usize = 8 << 20;
/// Bytes carried from one chunk into the next: the longest match a rule can make
/// (PEM blocks run to 12 KiB) must fit, with room for the regex look-behind.
const OVERLAP: usize = 64 << 10;

/// Bytes read before [`Scanner::scan_reader`] asks how large its source is.
const SIZE_UNASKED: u64 = 64 << 10;

/// Why [`Scanner::scan_reader`] stopped: its source's size in bytes, over the limit.
#[derive(Debug)]
pub struct TooLarge(pub u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes, over the size limit", self.0)
    }
}

impl std::error::Error for TooLarge {}

/// Binary sniff: a NUL byte in this many leading bytes marks a binary file (as git does).
const SNIFF: usize = 8 << 10;
/// Lines within which a pair (AWS key id and secret key) is recognised.
const PAIR_LINES: u64 = 5;

/// Per-thread buffers for [`Scanner`].
#[derive(Default)]
pub struct ScanScratch {
    matcher: Scratch,
    /// For values decoded from the buffer (base64, percent-encoding), scanned while the
    /// buffer's own hits are held.
    decoded: Scratch,
    raw: Vec<Hit>,
    buf: Vec<u8>,
}

/// A raw match plus where its bytes live (the buffer itself, or a decoded value).
struct Hit {
    m: RawMatch,
    /// Span reported as the location: the secret itself, or the encoded value.
    span: Range<usize>,
    /// The decoded value the match was found in (its spans refer to it), if any.
    decoded: Option<Arc<[u8]>>,
    key: Option<String>,
}

pub struct Scanner {
    matcher: Matcher,
    suppressor: Arc<Suppressor>,
    options: Options,
}

/// What a scanner keeps and reports besides the findings of valid secrets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Print the raw value (`--no-redact`).
    pub no_redact: bool,
    /// Keep the raw value in memory, unserialized, for live validation (`--validate`).
    pub keep_raw: bool,
    /// Scan files that look binary.
    pub binary: bool,
    /// Report matches whose checksum fails or that do not decode.
    pub report_invalid: bool,
}

/// Why a source was not scanned.
#[derive(Debug)]
pub enum Skip {
    Binary,
}

impl Scanner {
    pub fn new(matcher: Matcher, suppressor: Arc<Suppressor>, options: Options) -> Self {
        Self { matcher, suppressor, options }
    }

    /// Scan everything `reader` yields, `CHUNK` bytes at a time, unless it is over `max`
    /// bytes: then nothing of it is searched and the error is [`TooLarge`]. The findings of
    /// each chunk go to `emit` as soon as it is scanned (pairs are made within a chunk), so
    /// a large file or stream holds one chunk's findings at a time. Its size
    /// (`size`) is asked for only once more than `max` or [`SIZE_UNASKED`] bytes have come:
    /// an `fstat` on every file would cost more than the search of most (3% of a scan of
    /// curl's sources).
    pub fn scan_reader(
        &self,
        mut reader: impl Read,
        (max, size): (u64, impl FnOnce() -> std::io::Result<u64>),
        path: &str,
        scratch: &mut ScanScratch,
        mut emit: impl FnMut(Vec<Finding>),
    ) -> std::io::Result<Result<u64, Skip>> {
        let mut out = Vec::new();
        let unasked = max.min(SIZE_UNASKED);
        let mut size = Some(size);
        let mut buf = std::mem::take(&mut scratch.buf);
        buf.clear();
        let mut line_base = 1u64;
        // Characters of the current line before the buffer's first byte: a line longer than
        // a chunk keeps counting its columns across chunks.
        let mut column_base = 0u64;
        let mut report_from = 0usize;
        let mut total = 0u64;
        let result = loop {
            let want = (CHUNK + OVERLAP).saturating_sub(buf.len());
            let before = buf.len();
            // Up to `unasked` bytes and one more; past that, the size check, then the rest.
            let first = if size.is_some() { want.min(unasked as usize + 1) } else { want };
            if let Err(e) = (&mut reader).take(first as u64).read_to_end(&mut buf) {
                break Err(e);
            }
            if buf.len() - before > unasked as usize {
                if let Some(size) = size.take() {
                    let read = total + (buf.len() - before) as u64;
                    let checked = size().and_then(|len| match len.max(read) {
                        len if len > max => Err(std::io::Error::other(TooLarge(len))),
                        _ => Ok(()),
                    });
                    let rest = (want - first) as u64;
                    if let Err(e) = checked.and_then(|()| (&mut reader).take(rest).read_to_end(&mut buf)) {
                        break Err(e);
                    }
                }
            }
            let got = buf.len() - before;
            total += got as u64;
            if total == got as u64 {
                if let Some(order) = crate::text::utf16(&buf) {
                    // Decoded whole: the caller's size limit bounds it.
                    if let Err(e) = reader.read_to_end(&mut buf) {
                        break Err(e);
                    }
                    let text = crate::text::decode(&buf, order);
                    self.scan_chunk(text.as_bytes(), path, (1, 0), 0..text.len(), scratch, &mut out);
                    break Ok(Ok(buf.len() as u64));
                }
                if let Some(skip) = self.skip(&buf) {
                    break Ok(Err(skip));
                }
            }
            let eof = got < want;
            let report_to = if eof { buf.len() } else { buf.len() - OVERLAP };
            let base = (line_base, column_base);
            self.scan_chunk(&buf, path, base, report_from..report_to, scratch, &mut out);
            if !out.is_empty() {
                emit(std::mem::take(&mut out));
            }
            if eof {
                break Ok(Ok(total));
            }
            // Keep the overlap plus look-behind context for the next chunk.
            let keep_from = report_to.saturating_sub(4096);
            line_base += memchr::memchr_iter(b'\n', &buf[..keep_from]).count() as u64;
            column_base = match memchr::memrchr(b'\n', &buf[..keep_from]) {
                Some(i) => column(&buf[i + 1..keep_from]) - 1,
                None => column_base + column(&buf[..keep_from]) - 1,
            };
            buf.drain(..keep_from);
            report_from = report_to - keep_from;
        };
        scratch.buf = buf;
        if !out.is_empty() {
            emit(out);
        }
        result
    }

    /// Why `bytes` would not be scanned: a NUL in the first 8 KiB marks it binary, unless
    /// binary files were asked for or it is UTF-16 text.
    pub fn skip(&self, bytes: &[u8]) -> Option<Skip> {
        let nul = || memchr::memchr(0, &bytes[..bytes.len().min(SNIFF)]).is_some();
        (!self.options.binary && nul() && crate::text::utf16(bytes).is_none()).then_some(Skip::Binary)
    }

    /// Scan one in-memory buffer whole (decoded first when it is UTF-16).
    pub fn scan_bytes(&self, bytes: &[u8], path: &str, scratch: &mut ScanScratch, out: &mut Vec<Finding>) {
        match crate::text::utf16(bytes) {
            Some(order) => {
                let text = crate::text::decode(bytes, order);
                self.scan_chunk(text.as_bytes(), path, (1, 0), 0..text.len(), scratch, out);
            }
            None => self.scan_chunk(bytes, path, (1, 0), 0..bytes.len(), scratch, out),
        }
    }

    /// Scan `hay`, whose first byte is on line `base.0` after `base.1` characters of that
    /// line, reporting matches whose secret starts inside `report`.
    fn scan_chunk(
        &self,
        hay: &[u8],
        path: &str,
        base: (u64, u64),
        report: Range<usize>,
        scratch: &mut ScanScratch,
        out: &mut Vec<Finding>,
    ) {
        let hits = &mut scratch.raw;
        hits.clear();
        let key_of = |bytes: &[u8], k: Option<(usize, usize)>| {
            k.map(|(s, e)| String::from_utf8_lossy(&bytes[s..e]).into_owned())
        };
        self.matcher.scan(hay, &mut scratch.matcher, |m| {
            if report.contains(&m.secret_start) {
                hits.push(Hit {
                    span: m.secret_start..m.secret_end,
                    decoded: None,
                    key: key_of(hay, m.key),
                    m,
                });
            }
        });
        for e in decode::embedded(hay, scratch.matcher.markers()) {
            if !report.contains(&e.start) {
                continue;
            }
            let text: Arc<[u8]> = e.text.into();
            self.matcher.scan(&text, &mut scratch.decoded, |m| {
                hits.push(Hit {
                    span: e.start..e.end,
                    decoded: Some(text.clone()),
                    key: key_of(&text, m.key),
                    m,
                });
            });
        }
        if hits.is_empty() {
            return;
        }
        let rules = &self.matcher.rules().rules;
        // Decoded hits sort first so that they win over the raw base64 on the same span.
        hits.sort_by_key(|h| (h.span.start, h.m.rule, h.decoded.is_none()));
        // A generic rule yields to any other rule that found the same bytes; a rule for a
        // password in a context (a command line, a header, a connection string) yields to a
        // provider's rule (`Bearer ghp_…` is a GitHub token); a rule that only knows a
        // password's place (URL userinfo, a client's credential file) yields to both (the
        // password of `https://user:pass@gems.contribsys.com` is a Sidekiq credential).
        let rank = |h: &Hit| -> usize {
            match &rules[h.m.rule] {
                r if r.generic => 3,
                r if r.source.password => 1,
                r if r.source.placeholders => 2,
                _ => 0,
            }
        };
        // Hits are sorted by start, so those that start before a hit ends are a prefix; one of
        // them overlaps it if the furthest end among them, per rank, lies past its start.
        // (Comparing every pair took minutes for 50,000 hits in 1 MiB, found by fuzzing.)
        let mut furthest = vec![[0usize; 4]];
        for h in hits.iter() {
            let mut next = furthest[furthest.len() - 1];
            let r = rank(h);
            next[r] = next[r].max(h.span.end);
            furthest.push(next);
        }
        let starts: Vec<usize> = hits.iter().map(|h| h.span.start).collect();
        let yields: Vec<bool> = hits
            .iter()
            .map(|h| {
                let before_end = starts.partition_point(|&s| s < h.span.end);
                (0..rank(h)).any(|r| furthest[before_end][r] > h.span.start)
            })
            .collect();
        let mut i = 0;
        hits.retain(|_| {
            i += 1;
            !yields[i - 1]
        });
        hits.dedup_by(|a, b| a.m.rule == b.m.rule && a.span == b.span);
        // Generic rules whose names overlap (`API_KEY_SECRET` holds both `api_key` and
        // `secret`) find the same value: one credential, reported once, by the first rule.
        let mut generic_spans = std::collections::HashSet::new();
        hits.retain(|h| rank(h) != 3 || generic_spans.insert((h.span.clone(), h.decoded.is_some())));
        if !self.options.report_invalid {
            hits.retain(|h| h.m.validation.plausible());
        }

        let first = out.len();
        let mut lines = LineCounter::new(hay, base);
        for h in hits.iter() {
            let rule = &rules[h.m.rule];
            let text: &[u8] = h.decoded.as_deref().unwrap_or(hay);
            let secret = &text[h.m.secret_start..h.m.secret_end];
            let fingerprint = crate::secret::fingerprint(secret);
            let identity = identify(rule, &h.m, text, &fingerprint);
            let (line, column) = lines.position(h.span.start);
            let (end_line, end_column) = lines.position_after(h.span.start, h.span.end);
            out.push(Finding {
                kind: Kind::Secret,
                rule: rule.id.clone(),
                provider: rule.provider.clone(),
                name: rule.name.clone(),
                severity: if h.m.weak { Severity::Low } else { rule.severity },
                secret: Secret {
                    redacted: crate::secret::redact(secret),
                    fingerprint,
                    entropy: (h.m.entropy * 100.0).round() / 100.0,
                    validation: h.m.validation,
                    value: self.options.no_redact.then(|| String::from_utf8_lossy(secret).into_owned()),
                    raw: self.options.keep_raw.then(|| crate::secret::Raw::new(secret)),
                    liveness: None,
                },
                location: Location { path: path.to_string(), line, column, end_line, end_column },
                key: h.key.clone(),
                encoding: h.decoded.as_ref().map(|_| "base64".to_string()),
                paired_with: None,
                git: None,
                identity: Some(identity),
                egress: Vec::new(),
                suppressed: self.suppressor.by_content(&rule.id, hay, h.span.start, secret),
            });
        }
        pair(&mut out[first..], |id| rules.iter().find(|r| r.id == id).and_then(|r| r.pair_with.clone()));
    }
}

/// The identity behind one match, from the secret, the rule's named groups and the bytes
/// around it; `text` is what the match's spans refer to (the buffer, or a decoded value).
fn identify(rule: &Rule, m: &RawMatch, text: &[u8], fingerprint: &str) -> Identity {
    let (start, end) = (m.secret_start, m.secret_end);
    let from = start.saturating_sub(identity::CONTEXT);
    let to = (end + identity::CONTEXT).min(text.len());
    let groups: Vec<(&str, &[u8])> = m.groups.iter().map(|&(n, s, e)| (n, &text[s..e])).collect();
    let ev = Evidence {
        rule: &rule.id,
        secret: &text[start..end],
        groups: &groups,
        context: &text[from..to],
        at: start - from,
    };
    identity::identify(rule.identity, &rule.provider, fingerprint, &ev)
}

/// Link each finding whose rule names a `pair_with` rule to the nearest such finding.
fn pair(found: &mut [Finding], pair_rule: impl Fn(&str) -> Option<String>) {
    for i in 0..found.len() {
        let Some(other) = pair_rule(&found[i].rule) else { continue };
        let line = found[i].location.line;
        let best = found
            .iter()
            .filter(|f| f.rule == other && f.location.line.abs_diff(line) <= PAIR_LINES)
            .min_by_key(|f| f.location.line.abs_diff(line))
            .map(|f| Pair {
                rule: f.rule.clone(),
                redacted: f.secret.redacted.clone(),
                line: f.location.line,
                raw: f.secret.raw.clone(),
            });
        found[i].paired_with = best;
    }
}

/// Converts increasing byte offsets to 1-based (line, column) without rescanning: many
/// findings on one long line (a minified file) cost one pass over it.
struct LineCounter<'a> {
    hay: &'a [u8],
    pos: usize,
    line: u64,
    /// The column at `pos`.
    column: u64,
}

impl<'a> LineCounter<'a> {
    /// `base`: the line of the first byte, and the characters of that line before it.
    fn new(hay: &'a [u8], (line, before): (u64, u64)) -> Self {
        Self { hay, pos: 0, line, column: before + 1 }
    }

    /// Position of `offset`; offsets must not decrease between calls.
    fn position(&mut self, offset: usize) -> (u64, u64) {
        let skipped = &self.hay[self.pos..offset];
        match memchr::memrchr(b'\n', skipped) {
            Some(i) => {
                self.line += memchr::memchr_iter(b'\n', skipped).count() as u64;
                self.column = column(&self.hay[self.pos + i + 1..offset]);
            }
            None => self.column += column(skipped) - 1,
        }
        self.pos = offset;
        (self.line, self.column)
    }

    /// Position just past the span `start..end` (an exclusive end, as SARIF counts), the span starting at `start` (already
    /// passed to [`Self::position`]); does not move the counter.
    fn position_after(&self, start: usize, end: usize) -> (u64, u64) {
        let span = &self.hay[start..end];
        match memchr::memrchr(b'\n', span) {
            None => (self.line, self.column + column(span) - 1),
            Some(i) => {
                let n = memchr::memchr_iter(b'\n', span).count() as u64;
                (self.line + n, column(&span[i + 1..]))
            }
        }
    }
}

/// 1-based column after `prefix`, counting characters (UTF-8 lead bytes), not bytes.
fn column(prefix: &[u8]) -> u64 {
    prefix.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64 + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn scanner() -> Scanner {
        let rules = Arc::new(RuleSet::load(true, &[] as &[std::path::PathBuf]).expect("builtin rules load"));
        let matcher = Matcher::new(rules).expect("matcher builds");
        Scanner::new(matcher, Arc::new(Suppressor::default()), Options::default())
    }

    fn scan(s: &Scanner, text: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        s.scan_bytes(text, "f", &mut ScanScratch::default(), &mut out);
        out
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let found = scan(&scanner(), "x\n# ünïcödé\n  DB_PASSWORD=Tr0ub4dor-x9q\n".as_bytes());
        assert_eq!(found.len(), 1);
        let l = &found[0].location;
        assert_eq!((l.line, l.column, l.end_line, l.end_column), (3, 15, 3, 28));
        assert_eq!(found[0].secret.value, None, "redacted by default");
    }

    #[test]
    fn a_reader_in_chunks_finds_what_one_buffer_finds() {
        let s = scanner();
        // Secrets on both sides of the first chunk boundary and inside the overlap.
        let mut text = Vec::new();
        let mut line = 0;
        while text.len() < CHUNK + OVERLAP * 2 {
            line += 1;
            if line % 20_000 == 0 {
                text.extend_from_slice(format!("API_TOKEN=Chunk{line}-Xq9zW2vB7kLm\n").as_bytes());
            } else {
                text.extend_from_slice(b"filler line of ordinary text, nothing to see\n");
            }
        }
        // And one in the second chunk's own part.
        text.extend_from_slice(b"API_TOKEN=ChunkLast-Xq9zW2vB7kLm\n");
        let whole = scan(&s, &text);
        let mut chunked = Vec::new();
        let mut batches = 0;
        let emit = |batch: Vec<Finding>| {
            batches += 1;
            chunked.extend(batch);
        };
        let got = s
            .scan_reader(&text[..], (u64::MAX, || Ok(0)), "f", &mut ScanScratch::default(), emit)
            .expect("reads");
        assert_eq!(got.ok(), Some(text.len() as u64));
        assert_eq!(batches, 2, "each chunk's findings are emitted when it is scanned");
        let at = |fs: &[Finding]| {
            fs.iter().map(|f| (f.location.clone(), f.secret.fingerprint.clone())).collect::<Vec<_>>()
        };
        assert!(whole.len() >= 9, "{}", whole.len());
        assert_eq!(at(&chunked), at(&whole));
    }

    #[test]
    fn binary_input_is_skipped_unless_asked_for() {
        let s = scanner();
        let mut out = Vec::new();
        let got = s.scan_reader(
            &b"\0\x01DB_PASSWORD=Tr0ub4dor-x9q\n"[..],
            (u64::MAX, || Ok(0)),
            "f",
            &mut ScanScratch::default(),
            |batch| out.extend(batch),
        );
        assert!(matches!(got, Ok(Err(Skip::Binary))));
        assert!(out.is_empty());
    }

    #[test]
    fn a_generic_rule_yields_to_a_specific_one_on_the_same_bytes() {
        let key_id = ["AKIA", "QYLPMN5HHHFPZAM2"].concat();
        let found = scan(&scanner(), format!("aws_access_key_id = {key_id}\n").as_bytes());
        let rules: Vec<&str> = found.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["aws.access-key-id"]);
    }
}
