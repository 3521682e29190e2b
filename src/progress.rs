//! A sign of life on stderr while a scan runs: a spinner with what has been read so far,
//! shown only on a terminal, only without `-q`, and only once the scan has taken longer
//! than [`DELAY`], so that quick scans print nothing extra.
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::diag::Stats;

/// Scans quicker than this show no progress at all.
const DELAY: Duration = Duration::from_millis(500);
/// How often the counts are read.
const TICK: Duration = Duration::from_millis(100);

/// Run `work` while, with `show`, a spinner counts the `unit`s and bytes `stats` has seen.
pub fn while_running<T>(show: bool, stats: &Stats, unit: &str, work: impl FnOnce() -> T) -> T {
    if !show {
        return work();
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| tick(stats, unit, &done));
        let out = work();
        done.store(true, Ordering::Relaxed);
        out
    })
}

fn tick(stats: &Stats, unit: &str, done: &AtomicBool) {
    let started = Instant::now();
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut shown = false;
    while !done.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        if !shown && started.elapsed() >= DELAY {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        let n = Stats::get(&stats.scanned);
        bar.set_message(format!(
            "{n} {unit}{} scanned ({:.1} MB)",
            if n == 1 { "" } else { "s" },
            Stats::get(&stats.bytes) as f64 / 1e6
        ));
        bar.tick();
    }
    bar.finish_and_clear();
}
