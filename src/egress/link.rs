//! Findings ↔ flows: each finding gets the egress paths its value, file, name or identity
//! reaches; each CI secret reference reaching a sink becomes an `egress.*` finding. Paths
//! in the output are shown the way finding paths are (through [`PathMap`]).
use std::collections::BTreeMap;

use super::flow::{normalize, Flow, Origin};
use super::{Egress, Hop, Link, PathMap};
use crate::finding::{fingerprint, Finding, Location, Secret};
use crate::identity::Identity;
use crate::validate::Validation;

pub(crate) fn link(flows: &[Flow], findings: &mut [Finding], paths: &PathMap) {
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
                Origin::Store { name: n } | Origin::Name { name: n } if name.as_ref() == Some(n) => {
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
            let mut e = egress_of(flow, link, paths);
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

pub(crate) fn ci_secret_findings(flows: &[Flow], paths: &PathMap) -> Vec<Finding> {
    // One finding per reference and sink site; several chains to one site are its paths.
    let mut sites: BTreeMap<Site, (String, Vec<&Flow>)> = BTreeMap::new();
    for flow in flows {
        let name = match &flow.origin {
            Origin::Store { name } => name.clone(),
            Origin::All => "*".to_string(),
            _ => continue,
        };
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
    use crate::egress::flow::{Binding, Ctx, Out};
    use crate::egress::{Ci, Sink};
    use crate::rules::Severity;

    fn finding(path: &str, line: u64, key: Option<&str>, fields: &[(&str, &str)]) -> Finding {
        Finding {
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
            },
            location: Location { path: path.into(), line, column: 1, end_line: line, end_column: 9 },
            key: key.map(str::to_string),
            encoding: None,
            paired_with: None,
            suppressed: None,
            identity: Some(Identity {
                id: "id".into(),
                kind: "secret".into(),
                provider: "generic".into(),
                derived: false,
                fields: fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                owners: vec![],
            }),
            git: None,
            egress: vec![],
        }
    }

    fn flows() -> Vec<Flow> {
        let ctx = Ctx {
            ci: Ci::GithubActions,
            file: ".github/workflows/ci.yml",
            job: Some("deploy".into()),
            step: None,
            fork: false,
            store_vars: false,
            store_ref: ("secrets.", ""),
        };
        let mut out = Out::default();
        let store =
            Binding::new(Origin::Store { name: "DEPLOY_TOKEN".into() }, ctx.hop("secrets.DEPLOY_TOKEN", 5));
        ctx.emit(&mut out, 9, Sink::TransformedPrint, &store, ctx.hop("echo $T | …", 9));
        let id = Binding::new(
            Origin::Identity(vec![("account_id", "123456789012".into())]),
            ctx.hop("assume role", 7),
        );
        ctx.emit(&mut out, 12, Sink::UnpinnedAction, &id, ctx.hop("uses x/y@v1", 12));
        out.flows
    }

    #[test]
    fn name_and_identity_matches() {
        let mut fs = vec![
            finding("sub/config/.env", 1, Some("deploy-token"), &[]),
            finding("sub/keys.txt", 3, None, &[("account_id", "123456789012")]),
            finding("elsewhere/x", 1, Some("DEPLOY_TOKEN"), &[]),
        ];
        link(&flows(), &mut fs, &PathMap::under(std::path::Path::new("sub")));
        assert_eq!(fs[0].egress.len(), 1);
        let e = &fs[0].egress[0];
        assert_eq!(
            (e.link, e.sink, e.line, e.file.as_str()),
            (Link::NameMatch, Sink::TransformedPrint, 9, "sub/.github/workflows/ci.yml")
        );
        let chain: Vec<&str> = e.chain.iter().map(|h| h.what.as_str()).collect();
        assert_eq!(chain, ["hit deploy-token", "secrets.DEPLOY_TOKEN", "echo $T | …"]);
        assert_eq!(fs[1].egress[0].link, Link::IdentityMatch);
        assert!(fs[2].egress.is_empty(), "outside the scanned root");
    }

    #[test]
    fn ci_secrets_become_findings() {
        let found = ci_secret_findings(&flows(), &PathMap::repo());
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(
            (f.rule.as_str(), f.location.line, f.severity),
            ("egress.transformed-print", 9, Severity::High)
        );
        assert_eq!(f.secret.redacted, "secrets.DEPLOY_TOKEN");
        assert_eq!(f.secret.fingerprint, fingerprint(b"ci:github-actions:secrets.DEPLOY_TOKEN"));
        assert_eq!(f.identity.as_ref().map(|i| i.id.as_str()), Some("ci:github-actions:secret/DEPLOY_TOKEN"));
    }
}
