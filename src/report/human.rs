//! The terminal format: one line per finding, worst first, `path:line:col  severity  rule
//! secret`, then one indented line per egress path; then a summary by severity and by
//! identity, worst first.
use std::collections::BTreeMap;
use std::io::Write;

use crate::diag::sanitize;
use crate::finding::{Finding, Status};
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
pub fn write(findings: impl Iterator<Item = Finding>, color: bool, w: &mut dyn Write) -> std::io::Result<()> {
    let p = Paint(color);
    let mut counts = Counts::default();
    for f in findings {
        counts.add(&f);
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
    summary(&counts, &p, w)
}

/// What the summary needs of the findings listed: one entry per identity, not the findings.
#[derive(Default)]
struct Counts {
    listed: usize,
    /// Suppressed findings listed with --show-suppressed are not counted, only mentioned.
    suppressed: usize,
    by_severity: BTreeMap<std::cmp::Reverse<Severity>, usize>,
    /// Identity (or rule, for findings without one): worst severity, count, provider.
    by_identity: BTreeMap<String, (Severity, usize, String)>,
}

impl Counts {
    fn add(&mut self, f: &Finding) {
        self.listed += 1;
        if f.suppressed.is_some() {
            self.suppressed += 1;
            return;
        }
        *self.by_severity.entry(std::cmp::Reverse(f.severity)).or_default() += 1;
        let name = f.identity.as_ref().map_or(&f.rule, |i| &i.id);
        let entry = match self.by_identity.get_mut(name) {
            Some(entry) => entry,
            None => self.by_identity.entry(name.clone()).or_insert((f.severity, 0, f.provider.clone())),
        };
        entry.0 = entry.0.max(f.severity);
        entry.1 += 1;
    }
}

/// `3 findings: 1 critical, 2 high`, then one line per identity (or rule, for findings
/// without one), worst first.
fn summary(all: &Counts, p: &Paint, w: &mut dyn Write) -> std::io::Result<()> {
    let Counts { listed, suppressed, by_severity, by_identity } = all;
    let suppressed = *suppressed;
    if *listed == 0 {
        return Ok(());
    }
    let counts: Vec<String> =
        by_severity.iter().map(|(s, n)| format!("{n} {}", p.severity(s.0).trim_end())).collect();
    let n = listed - suppressed;
    writeln!(w)?;
    let listed =
        if suppressed > 0 { format!(" (and {suppressed} suppressed, listed above)") } else { String::new() };
    writeln!(w, "{}: {}{listed}", p.wrap("1", &format!("{n} finding{}", plural(n))), counts.join(", "))?;
    let mut rows: Vec<(&String, &(Severity, usize, String))> = by_identity.iter().collect();
    rows.sort_by_key(|(_, (severity, count, _))| (std::cmp::Reverse(*severity), std::cmp::Reverse(*count)));
    writeln!(w, "{} identit{}, worst first:", rows.len(), if rows.len() == 1 { "y" } else { "ies" })?;
    for (name, (severity, count, provider)) in rows.iter().take(SUMMARY_IDENTITIES) {
        writeln!(
            w,
            "  {}  {count:>5} {:<8}  {}  ({})",
            p.severity(*severity),
            format!("finding{}", plural(*count)),
            sanitize(name),
            sanitize(provider)
        )?;
    }
    if rows.len() > SUMMARY_IDENTITIES {
        writeln!(w, "  … and {} more (--format inventory lists them all)", rows.len() - SUMMARY_IDENTITIES)?;
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
