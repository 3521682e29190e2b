//! The terminal format: one line per finding, `path:line:col  severity  rule  secret`, then
//! one indented line per egress path.
use std::io::Write;

use crate::diag::sanitize;
use crate::finding::Finding;
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

pub fn write(findings: &[Finding], color: bool, w: &mut dyn Write) -> std::io::Result<()> {
    let p = Paint(color);
    for f in findings {
        let loc = &f.location;
        let sev = match f.severity {
            Severity::Critical => p.wrap("1;31", "critical"),
            Severity::High => p.wrap("31", "high    "),
            Severity::Medium => p.wrap("33", "medium  "),
            Severity::Low => p.wrap("36", "low     "),
        };
        let shown = f.secret.value.as_deref().unwrap_or(&f.secret.redacted);
        let mut line = format!(
            "{}:{}:{}  {}  {}  {}",
            p.wrap("35", &sanitize(&loc.path)),
            loc.line,
            loc.column,
            sev,
            p.wrap("1", &f.rule),
            sanitize(shown),
        );
        if f.secret.validation != crate::validate::Validation::Unverified {
            line.push_str(&format!("  [{}]", f.secret.validation.as_str()));
        }
        if let Some(key) = &f.key {
            line.push_str(&format!("  key={}", sanitize(key)));
        }
        if let Some(enc) = &f.encoding {
            line.push_str(&format!("  ({enc}-encoded)"));
        }
        if let Some(pair) = &f.paired_with {
            line.push_str(&format!("  pairs with {} on line {}", pair.rule, pair.line));
        }
        if let Some(identity) = f.identity.as_ref().filter(|i| i.derived) {
            line.push_str(&format!("  identity {}", sanitize(&identity.id)));
        }
        if let Some(g) = &f.git {
            line.push_str(&history(g));
        }
        writeln!(w, "{line}")?;
        for e in &f.egress {
            writeln!(w, "    egress {}", sanitize(&e.summary()))?;
        }
    }
    Ok(())
}

/// `  commit 1a2b3c4d 2024-03-01 by Ann <ann@example.com>, 3 commits, removed`.
fn history(g: &crate::finding::GitInfo) -> String {
    if g.unreachable {
        return format!("  unreachable blob {}", short(&g.blob));
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
