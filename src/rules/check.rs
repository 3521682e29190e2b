//! `sprawl rules --check`: every rule compiles (done at load), has a well-formed unique id,
//! and every example matches while every negative example does not, through the same
//! prefilter and confirm path a scan uses (checksums aside: committed examples never carry a
//! valid one).
use std::{collections::BTreeSet, sync::Arc};

use super::RuleSet;
use crate::matcher::{Matcher, Scratch};

/// What `rules --check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub rules: usize,
    pub providers: usize,
    pub examples: usize,
    pub problems: Vec<String>,
}

fn id_ok(id: &str) -> bool {
    !id.is_empty()
        && id.split(['.', '-']).all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Check every rule of `set`.
pub fn check(set: &Arc<RuleSet>) -> anyhow::Result<CheckReport> {
    let matcher = Matcher::new(set.clone())?;
    let mut scratch = Scratch::default();
    let mut report = CheckReport {
        rules: set.len(),
        providers: set.rules.iter().map(|r| r.provider.as_str()).collect::<BTreeSet<_>>().len(),
        ..CheckReport::default()
    };
    let ids: BTreeSet<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
    for (i, rule) in set.rules.iter().enumerate() {
        let mut problem = |msg: String| report.problems.push(format!("{} ({}): {msg}", rule.id, rule.origin));
        if !id_ok(&rule.id) {
            problem("id must be lower-case words joined by '.' or '-'".into());
        }
        if rule.name.trim().is_empty() || rule.provider.trim().is_empty() {
            problem("name and provider must not be empty".into());
        }
        if let Some(other) = &rule.pair_with {
            if !ids.contains(other.as_str()) {
                problem(format!("pair_with names unknown rule {other}"));
            }
        }
        if let Err(e) = super::verify_regex(&rule.source) {
            problem(format!("{e:#}"));
        } else if let Err(e) = super::compile_regex(&rule.source.regex) {
            problem(format!("regex does not compile: {e}"));
        } else if let Some(Err(e)) = rule.source.gate.as_deref().map(super::compile_regex) {
            problem(format!("gate does not compile: {e}"));
        }
        if rule.source.examples.is_empty() {
            problem("has no examples".into());
        }
        let hits = |text: &str, scratch: &mut Scratch| {
            let mut n = 0;
            matcher.scan(text.as_bytes(), scratch, |m| n += usize::from(m.rule == i));
            n
        };
        for ex in &rule.source.examples {
            report.examples += 1;
            if hits(ex, &mut scratch) == 0 {
                problem(format!("example does not match: {ex:?}"));
            }
        }
        for ex in &rule.source.negative_examples {
            report.examples += 1;
            if hits(ex, &mut scratch) > 0 {
                problem(format!("negative example matches: {ex:?}"));
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The builtin signatures pass their own checks (the same as `sprawl rules --check`).
    #[test]
    fn builtin_rules_pass_check() {
        let set = Arc::new(RuleSet::load(true, &[] as &[&str]).expect("builtin rules load"));
        let report = check(&set).expect("matcher builds");
        assert!(report.problems.is_empty(), "{}", report.problems.join("\n"));
        assert!(report.rules >= 150, "only {} rules", report.rules);
        assert!(report.providers >= 70, "only {} providers", report.providers);
    }

    #[test]
    fn ids() {
        assert!(id_ok("github.pat.classic"));
        assert!(id_ok("aws.access-key-id"));
        assert!(!id_ok("GitHub.pat"));
        assert!(!id_ok("a..b"));
    }
}
