//! The terminal format: one line per finding, `path:line:col  severity  rule  secret`.
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
        if let Some(enc) = f.encoding {
            line.push_str(&format!("  ({enc}-encoded)"));
        }
        if let Some(pair) = &f.paired_with {
            line.push_str(&format!("  pairs with {} on line {}", pair.rule, pair.line));
        }
        writeln!(w, "{line}")?;
    }
    Ok(())
}
