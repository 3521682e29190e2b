//! A cost limit for imported rules (a scanned repository's `.gitleaks.toml`, user rule
//! files): their regexes are not reviewed, and one that is slow on crafted input (16 s per MB
//! was seen) would stall the scan. Each such rule gets a time budget per scanned buffer; a
//! rule that exceeds it is disabled for the rest of the run, with a warning naming it.
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Time an imported rule may spend on one buffer (a file or a chunk of at most 8 MiB): a
/// regex the lazy DFA runs moves 100+ MB/s, so an honest rule needs a few tens of ms.
const PER_BUFFER: Duration = Duration::from_secs(1);

/// The longest stretch one regex search of an imported rule covers: merged keyword windows
/// are cut at this length, so that the budget is checked often (a regex at 16 s/MB spends
/// about 0.25 s on 16 KiB).
pub(crate) const MAX_SPAN: usize = 16 << 10;

/// Which imported rules were disabled, shared by all threads.
pub(crate) struct Budget {
    disabled: Vec<AtomicBool>,
}

/// Per-thread time spent on the current buffer by each imported rule that ran on it (few
/// or none: one entry per rule charged, not one per rule, since every file starts afresh).
#[derive(Default)]
pub(crate) struct Spent {
    by_rule: Vec<(usize, Duration)>,
}

impl Spent {
    /// A new buffer: nothing spent yet.
    pub(crate) fn reset(&mut self) {
        self.by_rule.clear();
    }
}

impl Budget {
    pub(crate) fn new(rules: usize) -> Self {
        Self { disabled: (0..rules).map(|_| AtomicBool::new(false)).collect() }
    }

    pub(crate) fn disabled(&self, rule: usize) -> bool {
        self.disabled[rule].load(Ordering::Relaxed)
    }

    /// Charge `rule` for the time since `since`; past the budget it is disabled, and the
    /// first thread to see that prints the warning.
    pub(crate) fn charge(&self, spent: &mut Spent, rule: usize, id: &str, since: Instant) {
        let elapsed = since.elapsed();
        let total = match spent.by_rule.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, total)) => {
                *total += elapsed;
                *total
            }
            None => {
                spent.by_rule.push((rule, elapsed));
                elapsed
            }
        };
        if total > PER_BUFFER && !self.disabled[rule].swap(true, Ordering::Relaxed) {
            eprintln!(
                "sprawl: warning: rule {id}: its regex took over {} ms on one buffer, rule disabled for the rest of the scan",
                PER_BUFFER.as_millis()
            );
        }
    }
}
