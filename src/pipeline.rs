//! The one post-scan pipeline every command runs, between a source and a report:
//!
//! ```text
//! raw findings ──► link ──► suppress ──► validate ──► order
//! (identity set    owners,   allowed paths,  --validate:  path, position, rule
//!  by the scanner) egress    the baseline    live or not  (ordered reports only)
//! ```
//!
//! The scanner attaches identities and inline suppressions, because both need the bytes
//! around a match; everything that needs the whole repository (its owners, its CI model,
//! the baseline) is built before the scan, so that each finding passes the stages on its
//! own: a batch (one chunk of a file) goes through [`batch`] as soon as it is scanned, and
//! the CI secrets' own findings through [`ci_batch`] once per run (once per repository of a
//! `sweep`). Ordered reports, and a sweep's findings by key, are ordered by `report::spill`,
//! in bounded memory.
use crate::finding::{Finding, Suppression, SuppressionKind};
use crate::link::Linker;
use crate::live::Validator;
use crate::paths::RepoPaths;
use crate::suppress::baseline::{self, Baseline};
use crate::suppress::Suppressor;

/// What the stages after the source need of one repository.
pub struct Stages<'a> {
    pub linker: &'a Linker,
    pub suppressor: &'a Suppressor,
    pub baseline: Option<&'a Baseline>,
    /// Asks providers whether reported credentials are live (`--validate` only).
    pub validator: Option<&'a Validator>,
    /// Makes finding paths repository-relative (allowed paths, baseline keys, CODEOWNERS).
    pub paths: &'a RepoPaths,
}

/// How many findings each kind of suppression took.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub suppressed: usize,
    pub baselined: usize,
}

/// A finding after the pipeline, with the key the baseline knows it by.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Processed {
    pub key: String,
    pub finding: Finding,
}

impl crate::finding::Weigh for Processed {
    fn heap(&self) -> usize {
        self.key.heap() + self.finding.heap()
    }
}

impl AsRef<Finding> for Processed {
    fn as_ref(&self) -> &Finding {
        &self.finding
    }
}

/// Link, suppress and validate one batch of scanned findings, unordered, counting its
/// suppressions into `tally`.
pub fn batch(mut findings: Vec<Finding>, stages: &Stages, tally: &mut Tally) -> Vec<Processed> {
    stages.linker.link(&mut findings, stages.paths);
    settle(findings, stages, tally)
}

/// The CI secrets' own findings, suppressed and validated: once per run.
pub fn ci_batch(stages: &Stages, tally: &mut Tally) -> Vec<Processed> {
    settle(stages.linker.ci_findings(stages.paths), stages, tally)
}

/// Suppress and validate linked findings. Suppressed findings are kept, marked, so that
/// `--show-suppressed` can list them; only reported ones are validated.
fn settle(mut findings: Vec<Finding>, stages: &Stages, tally: &mut Tally) -> Vec<Processed> {
    let keys: Vec<String> = findings
        .iter_mut()
        .map(|f| {
            let rel = stages.paths.relative(&f.location.path).unwrap_or_else(|| f.location.path.clone());
            if f.suppressed.is_none() {
                f.suppressed = stages.suppressor.by_path(&f.rule, &rel);
            }
            let key = baseline::key(&f.rule, &f.secret.fingerprint, &rel);
            if f.suppressed.is_some() {
                tally.suppressed += 1;
            } else if stages.baseline.is_some_and(|b| b.contains(&key)) {
                f.suppressed = Some(Suppression::new(SuppressionKind::Baseline, "baseline"));
                tally.baselined += 1;
            }
            key
        })
        .collect();
    if let Some(validator) = stages.validator {
        validator.validate(&mut findings);
    }
    keys.into_iter().zip(findings).map(|(key, finding)| Processed { key, finding }).collect()
}
