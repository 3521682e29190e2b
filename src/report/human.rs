//! The terminal format: one line per finding, worst first, `path:line:col  severity  rule
//! secret`, then one indented line per egress path; then a summary by severity and by
//! identity, worst first. The summary counts identities through a spill, so memory holds
//! the spill budget and the identities listed, not one entry per identity.
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;

use serde::{Deserialize, Serialize};

use super::spill::{self, Spill};
use crate::diag::sanitize;
use crate::finding::{Finding, Status, Weigh};
use crate::rules::Severity;

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

impl Paint {
    /// The severity, padded to one width and coloured by how bad it is.
    fn severity(&self, s: Severity) -> String {
        let code = match s {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
        };
        self.wrap(code, &format!("{:<8}", s.as_str()))
    }
}

/// Identities listed by name in the summary; the rest are counted.
const SUMMARY_IDENTITIES: usize = 15;

/// Write `findings`, given worst first (critical at the top: a person reads from there),
/// then the summary, which counts them as they pass.
pub fn write(findings: impl Iterator<Item = Finding>, color: bool, w: &mut dyn Write) -> anyhow::Result<()> {
    let p = Paint(color);
    let mut counts = Counts::new(spill::budget()?);
    for f in findings {
        counts.add(&f)?;
        let loc = &f.location;
        let sev = p.severity(f.severity);
        let shown = f.secret.value.as_deref().unwrap_or(&f.secret.redacted);
        let mut line = format!(
            "{}:{}:{}  {}  {}  {}",
            p.wrap("35", &sanitize(&loc.path)),
            loc.line,
            loc.column,
            sev,
            p.wrap("1", &sanitize(&f.rule)),
            sanitize(shown),
        );
        if f.secret.validation != crate::validate::Validation::Unverified {
            line.push_str(&format!("  [{}]", f.secret.validation.as_str()));
        }
        if let Some(live) = &f.secret.liveness {
            let facts = f.identity.as_ref().map(|i| i.live.clone()).unwrap_or_default();
            let text = format!("[{}]", sanitize(&live.describe(&facts)));
            line.push_str("  ");
            line.push_str(&match live.status {
                Status::Live => p.wrap("1;31", &text),
                _ => text,
            });
        }
        if let Some(key) = &f.key {
            line.push_str(&format!("  key={}", sanitize(key)));
        }
        if let Some(enc) = &f.encoding {
            line.push_str(&format!("  ({enc}-encoded)"));
        }
        if let Some(pair) = &f.paired_with {
            line.push_str(&format!("  pairs with {} on line {}", sanitize(&pair.rule), pair.line));
        }
        if let Some(identity) = f.identity.as_ref().filter(|i| i.derived) {
            line.push_str(&format!("  identity {}", sanitize(&identity.id)));
        }
        if let Some(g) = &f.git {
            line.push_str(&history(g));
        }
        if let Some(s) = &f.suppressed {
            line.push_str(&format!("  [suppressed: {}]", sanitize(&s.reason)));
        }
        writeln!(w, "{line}")?;
        for e in &f.egress {
            writeln!(w, "    egress {}", sanitize(&e.summary()))?;
        }
    }
    summary(counts, &p, w)
}

/// What the summary needs of the findings listed: counts, and one small record per finding
/// to be grouped by identity at the end.
struct Counts {
    listed: usize,
    /// Suppressed findings listed with --show-suppressed are not counted, only mentioned.
    suppressed: usize,
    by_severity: BTreeMap<Reverse<Severity>, usize>,
    by_identity: Spill<Tally>,
}

/// One finding as the summary counts it: its identity (or rule, for findings without one),
/// severity and provider.
#[derive(Serialize, Deserialize)]
struct Tally {
    name: String,
    severity: Severity,
    provider: String,
}

impl Weigh for Tally {
    fn heap(&self) -> usize {
        self.name.heap() + self.provider.heap()
    }
}

/// An identity listed in the summary, worst first: by severity, then count, then name.
type Listed = (Reverse<Severity>, Reverse<usize>, String, String);

impl Counts {
    fn new(budget: usize) -> Self {
        // By name alone: the spill is stable, so a name's first tally is its first finding
        // listed, whose provider is shown.
        let by_identity = Spill::new(budget, |a: &Tally, b: &Tally| a.name.cmp(&b.name));
        Self { listed: 0, suppressed: 0, by_severity: BTreeMap::new(), by_identity }
    }

    fn add(&mut self, f: &Finding) -> anyhow::Result<()> {
        self.listed += 1;
        if f.suppressed.is_some() {
            self.suppressed += 1;
            return Ok(());
        }
        *self.by_severity.entry(Reverse(f.severity)).or_default() += 1;
        let name = f.identity.as_ref().map_or(&f.rule, |i| &i.id).clone();
        self.by_identity.push([Tally { name, severity: f.severity, provider: f.provider.clone() }])
    }
}

/// How many names `tallies` (sorted by name) has, and the worst [`SUMMARY_IDENTITIES`] of
/// them, worst first.
fn worst(tallies: impl Iterator<Item = Tally>) -> (usize, Vec<Listed>) {
    let mut names = 0;
    // A max-heap of the listed: past the limit, the least bad is dropped.
    let mut top: BinaryHeap<Listed> = BinaryHeap::new();
    let mut tallies = tallies.peekable();
    while let Some(first) = tallies.next() {
        let (mut severity, mut count) = (first.severity, 1);
        while let Some(t) = tallies.next_if(|t| t.name == first.name) {
            severity = severity.max(t.severity);
            count += 1;
        }
        names += 1;
        top.push((Reverse(severity), Reverse(count), first.name, first.provider));
        if top.len() > SUMMARY_IDENTITIES {
            top.pop();
        }
    }
    (names, top.into_sorted_vec())
}

/// `3 findings: 1 critical, 2 high`, then one line per identity (or rule, for findings
/// without one), worst first.
fn summary(all: Counts, p: &Paint, w: &mut dyn Write) -> anyhow::Result<()> {
    let Counts { listed, suppressed, by_severity, by_identity } = all;
    if listed == 0 {
        return Ok(());
    }
    let counts: Vec<String> =
        by_severity.iter().map(|(s, n)| format!("{n} {}", p.severity(s.0).trim_end())).collect();
    let n = listed - suppressed;
    writeln!(w)?;
    let listed =
        if suppressed > 0 { format!(" (and {suppressed} suppressed, listed above)") } else { String::new() };
    writeln!(w, "{}: {}{listed}", p.wrap("1", &format!("{n} finding{}", plural(n))), counts.join(", "))?;
    let mut tallies = by_identity.finish()?;
    let (names, top) = worst(tallies.by_ref());
    tallies.check()?;
    writeln!(w, "{names} identit{}, worst first:", if names == 1 { "y" } else { "ies" })?;
    for (Reverse(severity), Reverse(count), name, provider) in &top {
        writeln!(
            w,
            "  {}  {count:>5} {:<8}  {}  ({})",
            p.severity(*severity),
            format!("finding{}", plural(*count)),
            sanitize(name),
            sanitize(provider)
        )?;
    }
    if names > SUMMARY_IDENTITIES {
        writeln!(w, "  … and {} more (--format inventory lists them all)", names - SUMMARY_IDENTITIES)?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `  commit 1a2b3c4d 2024-03-01 by Ann <ann@example.com>, 3 commits, removed`.
fn history(g: &crate::finding::GitInfo) -> String {
    if g.unreachable {
        return "  (no ref reaches it)".to_string();
    }
    if g.staged {
        return "  staged".to_string();
    }
    let mut s = String::new();
    if let (Some(commit), Some(date)) = (&g.first_commit, &g.date) {
        s.push_str(&format!("  commit {} {}", short(commit), date.get(..10).unwrap_or(date)));
    }
    if let (Some(author), Some(email)) = (&g.author, &g.email) {
        s.push_str(&format!(" by {} <{}>", sanitize(author), sanitize(email)));
    }
    if let Some(n) = g.commits {
        s.push_str(&format!(", {n} commit{}", if n == 1 { "" } else { "s" }));
    }
    if g.at_head == Some(false) {
        s.push_str(", removed before HEAD");
    }
    s
}

fn short(id: &str) -> &str {
    id.get(..10).unwrap_or(id)
}
