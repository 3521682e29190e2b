//! The link stage: ties each finding to what surrounds it in the repository — its owners
//! (CODEOWNERS, the introducing commit's author, the role a variable name states) and its
//! egress paths (the repository's CI model) — and reports the CI secret references that
//! reach a sink as findings of their own.
mod egress;
pub mod owners;

use crate::egress::CiModel;
use crate::finding::Finding;
use crate::paths::{PathMap, RepoFiles, RepoPaths};
use crate::rules::{ProviderHosts, RuleSet};
use owners::OwnerContext;

/// What the link stage knows of one repository (or one directory).
pub struct Linker {
    owners: OwnerContext,
    ci: Option<CiModel>,
    /// How finding paths map to the repository paths the CI model uses.
    shown: PathMap,
    /// Add the CI secrets' own `egress.*` findings (a scan of a whole tree; a pre-commit or
    /// pull-request scan reports only what the change adds).
    ci_findings: bool,
    /// The providers' own hosts: a credential sent there is used, not leaked.
    hosts: ProviderHosts,
}

impl Linker {
    /// No owners, no CI model: standard input.
    pub fn none() -> Self {
        Self {
            owners: OwnerContext::default(),
            ci: None,
            shown: PathMap::repo(),
            ci_findings: false,
            hosts: ProviderHosts::default(),
        }
    }

    /// `owners` from the repository's CODEOWNERS; the CI model from `ci` (`None`: do not
    /// build one); `shown` maps finding paths to repository paths; `rules` name their
    /// providers' hosts.
    pub fn new(
        rules: &RuleSet,
        owners: OwnerContext,
        ci: Option<&dyn RepoFiles>,
        shown: PathMap,
        ci_findings: bool,
        warn: &dyn Fn(String),
    ) -> Self {
        let ci = ci.map(|files| CiModel::build(files, warn));
        Self { owners, ci, shown, ci_findings, hosts: ProviderHosts::new(rules) }
    }

    /// Attach egress paths and owners to every finding; `paths` makes finding paths
    /// repository-relative for CODEOWNERS. Each finding is linked on its own, so findings
    /// may come in batches.
    pub fn link(&self, findings: &mut [Finding], paths: &RepoPaths) {
        if let Some(model) = &self.ci {
            egress::link(model.flows(), findings, &self.shown, &self.hosts);
        }
        self.attach_owners(findings, paths);
    }

    /// The CI secrets' own findings (`egress.*`) with their owners, once per run (none for a
    /// pre-commit or pull-request scan).
    pub fn ci_findings(&self, paths: &RepoPaths) -> Vec<Finding> {
        let Some(model) = self.ci.as_ref().filter(|_| self.ci_findings) else { return Vec::new() };
        let mut found = egress::ci_secret_findings(model.flows(), &self.shown, &self.hosts);
        self.attach_owners(&mut found, paths);
        found
    }

    fn attach_owners(&self, findings: &mut [Finding], paths: &RepoPaths) {
        for f in findings.iter_mut() {
            let rel = paths.relative(&f.location.path);
            let found = self.owners.owners(f, rel.as_deref());
            if let Some(identity) = &mut f.identity {
                identity.owners = found;
            }
        }
    }
}
