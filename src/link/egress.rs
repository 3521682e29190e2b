//! Findings ↔ flows: each finding gets the egress paths its value, file, name or identity
//! reaches; each CI secret reference reaching a sink becomes an `egress.*` finding. Paths
//! in the output are shown the way finding paths are (through [`PathMap`]).
use std::collections::BTreeMap;

use crate::egress::flow::{normalize, Flow, Origin};
use crate::finding::{Egress, Finding, Hop, Identity, Kind, Link, Location, Secret};
use crate::paths::PathMap;
use crate::rules::{ProviderHosts, Severity};
use crate::secret::fingerprint;
use crate::validate::Validation;

/// Words of secret names and host labels that say nothing about whose service it is.
const BLAND: &[&str] = &[
    "ACCESS",
    "ADMIN",
    "AUTH",
    "BUILD",
    "CLIENT",
    "CLOUD",
    "DEPLOY",
    "HOOK",
    "HOST",
    "HTTP",
    "HTTPS",
    "INTERNAL",
    "LOCAL",
    "PASS",
    "PASSWORD",
    "PROD",
    "PRODUCTION",
    "PUBLISH",
    "PUSH",
    "READ",
    "RELEASE",
    "REGISTRY",
    "ROBOT",
    "SECRET",
    "SERVER",
    "SERVICE",
    "STAGING",
    "TEST",
    "TOKEN",
    "UPLOAD",
    "USER",
    "USERNAME",
    "WEBHOOK",
    "WRITE",
    "EXAMPLE",
];

/// Whether a word of the secret's name and a label of the host name one service
/// (`JENKINS_TOKEN` → `jenkins.example.org`, `GEMFURY_TOKEN` → `push.fury.io`): a
/// self-hosted or unlisted provider's own host.
fn name_points_at(name: &str, host: &str) -> bool {
    let words = |s: &str, seps: &[char]| -> Vec<String> {
        s.to_ascii_uppercase()
            .split(seps)
            .filter(|w| w.len() >= 4 && !BLAND.contains(w))
            .map(str::to_string)
            .collect()
    };
    let name = words(name, &['_', '-', '.']);
    let labels = words(host, &['.', '-']);
    name.iter().any(|w| labels.iter().any(|l| w.contains(l.as_str()) || l.contains(w.as_str())))
}

/// A network send as the credential sees it: `None` when it goes to the credential's own
/// service (the rules' hosts of its provider, or of a provider its name names, or a host its
/// name names): that is its use, not egress. A send to another provider the rules know
/// stays a path, at most medium; anywhere else is what the flow says.
fn judge_send(
    flow: &Flow,
    hosts: &ProviderHosts,
    provider: Option<&str>,
    name: Option<&str>,
) -> Option<Severity> {
    let Some(host) = flow.host.as_deref().filter(|_| flow.sink == crate::finding::Sink::NetworkSend) else {
        return Some(flow.severity);
    };
    let named = name.into_iter().flat_map(|n| hosts.named_in(n));
    if provider.into_iter().chain(named).any(|p| hosts.owns(p, host))
        || name.is_some_and(|n| name_points_at(n, host))
    {
        return None;
    }
    Some(if hosts.known(host) { flow.severity.min(Severity::Medium) } else { flow.severity })
}

pub(crate) fn link(flows: &[Flow], findings: &mut [Finding], paths: &PathMap, hosts: &ProviderHosts) {
    for f in findings.iter_mut() {
        let Some(rel) = paths.repo_path(&f.location.path) else { continue };
        let name = f
            .key
            .clone()
            .or_else(|| f.identity.as_ref().and_then(|i| i.fields.get("variable").cloned()))
            .map(|n| normalize(&n));
        let fields = f.identity.as_ref().map(|i| &i.fields);
        let lines = f.location.line..=f.location.end_line;
        let mut egress = Vec::new();
        for flow in flows {
            let link = match &flow.origin {
                Origin::Literal { file, line, .. } if *file == rel && lines.contains(line) => {
                    Link::LiteralInCi
                }
                Origin::File(set) if set.matches(&rel) => Link::FileFlow,
                // The job token is minted for each run: no value in a file is it.
                Origin::Store { name: n } | Origin::Name { name: n }
                    if name.as_ref() == Some(n) && n != "GITHUB_TOKEN" =>
                {
                    Link::NameMatch
                }
                Origin::Identity(wanted)
                    if fields.is_some_and(|have| {
                        wanted.iter().all(|(k, v)| have.get(*k).is_some_and(|h| h.eq_ignore_ascii_case(v)))
                    }) =>
                {
                    Link::IdentityMatch
                }
                _ => continue,
            };
            let Some(severity) = judge_send(flow, hosts, Some(&f.provider), name.as_deref()) else {
                continue;
            };
            // A file flows into an image or artifact built from HEAD's tree: a secret no
            // longer there does not.
            if link == Link::FileFlow && f.git.as_ref().is_some_and(|g| g.at_head == Some(false)) {
                continue;
            }
            let mut e = egress_of(flow, link, paths);
            e.severity = severity;
            if link != Link::LiteralInCi {
                let what = format!("hit {}", f.key.as_deref().unwrap_or(&f.rule));
                e.chain.insert(0, Hop::new(what, &f.location.path, f.location.line));
            }
            egress.push(e);
        }
        egress.sort_by(Egress::order);
        egress.dedup();
        f.egress = egress;
    }
}

fn egress_of(flow: &Flow, link: Link, paths: &PathMap) -> Egress {
    Egress {
        ci: flow.ci,
        file: paths.shown(&flow.file),
        job: flow.job.clone(),
        step: flow.step.clone(),
        line: flow.line,
        sink: flow.sink,
        severity: flow.severity,
        link,
        chain: flow.chain.iter().map(|h| Hop::new(h.what.clone(), &paths.shown(&h.file), h.line)).collect(),
    }
}

/// Where a CI secret reference reaches a sink: file, line, sink, reference, CI system.
type Site = (String, u64, &'static str, String, String);

pub(crate) fn ci_secret_findings(flows: &[Flow], paths: &PathMap, hosts: &ProviderHosts) -> Vec<Finding> {
    // One finding per reference and sink site; several chains to one site are its paths.
    let mut sites: BTreeMap<Site, (String, Vec<Flow>)> = BTreeMap::new();
    for flow in flows {
        let name = match &flow.origin {
            Origin::Store { name } => name.clone(),
            Origin::All => "*".to_string(),
            _ => continue,
        };
        let Some(severity) = judge_send(flow, hosts, None, Some(&name)) else { continue };
        let flow = Flow { severity, ..flow.clone() };
        let reference = flow.chain.first().map_or_else(|| name.clone(), |h| h.what.clone());
        let key = (flow.file.clone(), flow.line, flow.sink.as_str(), reference, flow.ci.as_str().to_string());
        sites.entry(key).or_insert_with(|| (name, Vec::new())).1.push(flow);
    }
    let mut out = Vec::new();
    for ((file, line, sink, reference, ci), (name, flows)) in sites {
        let mut egress: Vec<Egress> = flows.iter().map(|f| egress_of(f, Link::CiSecret, paths)).collect();
        egress.sort_by(Egress::order);
        egress.dedup();
        let severity = egress.iter().map(|e| e.severity).max().expect("a site has at least one flow");
        let fields =
            BTreeMap::from([("ci".to_string(), ci.clone()), ("reference".to_string(), reference.clone())]);
        out.push(Finding {
            kind: Kind::CiEgress,
            rule: format!("egress.{sink}"),
            provider: "ci".into(),
            name: format!("CI secret reaches sink {sink}"),
            severity,
            secret: Secret {
                redacted: reference.clone(),
                fingerprint: fingerprint(format!("ci:{ci}:{reference}").as_bytes()),
                entropy: 0.0,
                validation: Validation::Unverified,
                value: None,
                raw: None,
                liveness: None,
            },
            location: Location { path: paths.shown(&file), line, column: 1, end_line: line, end_column: 1 },
            key: Some(name.clone()),
            encoding: None,
            paired_with: None,
            suppressed: None,
            identity: Some(Identity {
                id: format!("ci:{ci}:secret/{name}"),
                kind: "ci-secret".into(),
                provider: "ci".into(),
                derived: true,
                fields,
                live: BTreeMap::new(),
                owners: vec![],
            }),
            git: None,
            egress,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::egress::CiModel;
    use crate::finding::Sink;
    use crate::paths::RepoFiles;
    use crate::rules::Severity;

    /// One workflow, held in memory.
    struct Workflow;

    const WORKFLOW: &str = "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"${{ secrets.DEPLOY_TOKEN }}\" | base64\n";

    impl RepoFiles for Workflow {
        fn paths(&self) -> &[String] {
            static PATHS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
            PATHS.get_or_init(|| vec![".github/workflows/ci.yml".to_string()])
        }

        fn read(&self, _: &str) -> Result<Vec<u8>, String> {
            Ok(WORKFLOW.as_bytes().to_vec())
        }
    }

    fn flows() -> Vec<Flow> {
        CiModel::build(&Workflow, &|w| panic!("unexpected warning: {w}")).flows().to_vec()
    }

    fn finding(path: &str, key: Option<&str>) -> Finding {
        Finding {
            kind: Kind::Secret,
            rule: "generic.token".into(),
            provider: "generic".into(),
            name: "token".into(),
            severity: Severity::Medium,
            secret: Secret {
                redacted: "x…".into(),
                fingerprint: fingerprint(b"x"),
                entropy: 3.0,
                validation: Validation::Unverified,
                value: None,
                raw: None,
                liveness: None,
            },
            location: Location { path: path.into(), line: 1, column: 1, end_line: 1, end_column: 9 },
            key: key.map(str::to_string),
            encoding: None,
            paired_with: None,
            suppressed: None,
            identity: None,
            git: None,
            egress: vec![],
        }
    }

    #[test]
    fn name_matches_under_the_scanned_root() {
        let mut fs = vec![
            finding("sub/config/.env", Some("deploy-token")),
            finding("elsewhere/x", Some("DEPLOY_TOKEN")),
        ];
        link(&flows(), &mut fs, &PathMap::under(std::path::Path::new("sub")), &ProviderHosts::default());
        assert_eq!(fs[0].egress.len(), 1);
        let e = &fs[0].egress[0];
        assert_eq!(
            (e.link, e.sink, e.line, e.file.as_str()),
            (Link::NameMatch, Sink::TransformedPrint, 6, "sub/.github/workflows/ci.yml")
        );
        assert_eq!(e.chain[0].what, "hit deploy-token");
        assert!(fs[1].egress.is_empty(), "outside the scanned root");
    }

    #[test]
    fn ci_secrets_become_findings() {
        let found = ci_secret_findings(&flows(), &PathMap::repo(), &ProviderHosts::default());
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(
            (f.kind, f.rule.as_str(), f.location.line),
            (Kind::CiEgress, "egress.transformed-print", 6)
        );
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.secret.redacted, "secrets.DEPLOY_TOKEN");
        assert_eq!(f.identity.as_ref().map(|i| i.id.as_str()), Some("ci:github-actions:secret/DEPLOY_TOKEN"));
    }
}
