//! Ordered output in bounded memory: records (findings, or what a source holds until it can
//! finish them) are held up to a budget of bytes, as [`Weigh`] estimates them, then that run
//! is sorted and written as JSON Lines to one private temporary file; the end merges the
//! sorted runs. The file is created unlinked (`tempfile`: mode 0600 in `$TMPDIR`, deleted
//! by the system when the process ends, however it ends), and read back by offset, so any
//! number of runs needs one file handle, and memory while merging is one record per run.
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::sync::Arc;

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::finding::Weigh;
use crate::units::parse_size;

/// Bytes of records (as [`Weigh`] estimates them) held in memory before a sorted run is
/// written out, unless [`BUDGET_VARIABLE`] says otherwise. Up to three spills are full at
/// once (`git`: its hits, their versions and the report's), each costing about 1.3 times
/// its estimate in resident memory.
pub(crate) const DEFAULT_BUDGET: usize = 32 << 20;
/// The environment variable that sets the budget: a size, `64M`, `1G` or plain bytes, at
/// least 1 (every batch taken is then written out as a run).
pub(crate) const BUDGET_VARIABLE: &str = "SPRAWL_SPILL_BUDGET";

/// The order records are given back in.
pub(crate) type Order<T> = fn(&T, &T) -> Ordering;

/// The budget from [`BUDGET_VARIABLE`], or [`DEFAULT_BUDGET`].
pub(crate) fn budget() -> anyhow::Result<usize> {
    match std::env::var(BUDGET_VARIABLE) {
        Err(_) => Ok(DEFAULT_BUDGET),
        Ok(v) => parse_size(&v)
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0)
            .with_context(|| format!("{BUDGET_VARIABLE} must be a size in bytes (64M, 1G), at least 1")),
    }
}

/// Records taken in any order, given back in `order`.
pub(crate) struct Spill<T> {
    /// Bytes.
    budget: usize,
    order: Order<T>,
    held: Vec<T>,
    /// What `held` weighs.
    weight: usize,
    /// The temporary file, once a run has been written.
    file: Option<BufWriter<File>>,
    /// Byte ranges of the sorted runs in the file, in the order they were written.
    runs: Vec<(u64, u64)>,
}

impl<T: Serialize + DeserializeOwned + Weigh> Spill<T> {
    /// A spill that holds up to `budget` bytes of records.
    pub(crate) fn new(budget: usize, order: Order<T>) -> Self {
        Self { budget, order, held: Vec::new(), weight: 0, file: None, runs: Vec::new() }
    }

    /// Take `batch`; at the budget, write what is held as one sorted run.
    pub(crate) fn push(&mut self, batch: impl IntoIterator<Item = T>) -> anyhow::Result<()> {
        for record in batch {
            self.weight += record.weight();
            self.held.push(record);
        }
        if self.weight >= self.budget {
            self.write_run().context("cannot write the temporary file that holds sorted findings")?;
        }
        Ok(())
    }

    fn write_run(&mut self) -> anyhow::Result<()> {
        let order = self.order;
        self.held.sort_by(order);
        let out = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(BufWriter::new(tempfile::tempfile()?)),
        };
        let start = out.stream_position()?;
        for p in self.held.drain(..) {
            serde_json::to_writer(&mut *out, &p)?;
            out.write_all(b"\n")?;
        }
        self.weight = 0;
        self.runs.push((start, out.stream_position()?));
        Ok(())
    }

    /// Everything taken, in order: the runs merged with what is still held.
    pub(crate) fn finish(mut self) -> anyhow::Result<Merged<T>> {
        let order = self.order;
        self.held.sort_by(order);
        let mut sources = Vec::with_capacity(self.runs.len() + 1);
        if let Some(out) = self.file {
            let file = Arc::new(
                out.into_inner()
                    .map_err(|e| e.into_error())
                    .context("cannot write the temporary file that holds sorted findings")?,
            );
            for (start, end) in self.runs {
                let range = Range { file: Arc::clone(&file), at: start, end };
                sources.push(Source::Run(Lines { reader: BufReader::new(range), line: Vec::new() }));
            }
        }
        sources.push(Source::Held(self.held.into_iter()));
        let mut merged = Merged { order, sources, heads: BinaryHeap::new(), error: None };
        for i in 0..merged.sources.len() {
            merged.refill(i);
        }
        Ok(merged)
    }
}

/// One run of the temporary file, read by offset: runs share the file and its one handle.
struct Range {
    file: Arc<File>,
    at: u64,
    end: u64,
}

impl Read for Range {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = buf.len().min(usize::try_from(self.end - self.at).unwrap_or(usize::MAX));
        let n = read_at(&self.file, &mut buf[..want], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

enum Source<T> {
    Run(Lines),
    Held(std::vec::IntoIter<T>),
}

/// The records of one run, a line at a time: parsing a line from a slice is several times
/// faster than parsing from the reader a byte at a time.
struct Lines {
    reader: BufReader<Range>,
    line: Vec<u8>,
}

impl Lines {
    fn next<T: DeserializeOwned>(&mut self) -> Option<anyhow::Result<T>> {
        self.line.clear();
        match self.reader.read_until(b'\n', &mut self.line) {
            Ok(0) => None,
            Ok(_) => Some(serde_json::from_slice(&self.line).map_err(anyhow::Error::new)),
            Err(e) => Some(Err(anyhow::Error::new(e))),
        }
    }
}

/// The next record of one source; the source's index breaks ties, so that the merge
/// keeps the order records were taken in, as one stable sort would.
struct Head<T> {
    record: T,
    source: usize,
    order: Order<T>,
}

impl<T> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl<T> Eq for Head<T> {}

impl<T> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Head<T> {
    /// Reversed: `BinaryHeap` is a max-heap and the merge takes the least.
    fn cmp(&self, other: &Self) -> Ordering {
        (self.order)(&other.record, &self.record).then(other.source.cmp(&self.source))
    }
}

/// The merged records. A run that cannot be read back ends the iteration; [`Merged::check`]
/// then reports it.
pub(crate) struct Merged<T> {
    order: Order<T>,
    sources: Vec<Source<T>>,
    heads: BinaryHeap<Head<T>>,
    error: Option<anyhow::Error>,
}

impl<T: DeserializeOwned> Merged<T> {
    fn refill(&mut self, source: usize) {
        let next = match &mut self.sources[source] {
            Source::Held(held) => held.next(),
            Source::Run(run) => match run.next::<T>() {
                None => None,
                Some(Ok(p)) => Some(p),
                Some(Err(e)) => {
                    self.error.get_or_insert_with(|| {
                        e.context("cannot read back the temporary file of sorted findings")
                    });
                    None
                }
            },
        };
        if let Some(record) = next {
            self.heads.push(Head { record, source, order: self.order });
        }
    }

    /// Whether every run was read back whole.
    pub(crate) fn check(&mut self) -> anyhow::Result<()> {
        self.error.take().map_or(Ok(()), Err)
    }
}

impl<T: DeserializeOwned> Iterator for Merged<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.error.is_some() {
            return None;
        }
        let Head { record, source, .. } = self.heads.pop()?;
        self.refill(source);
        Some(record)
    }
}
