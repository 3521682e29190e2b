//! The NHI inventory: findings grouped by identity, one row each, with its owners, its
//! lifecycle (first and last seen, still at HEAD, how many credentials it has had) and
//! where it was found, riskiest first.
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::finding::{Egress, Finding, Owner, Status};
use crate::rules::Severity;

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub provider: String,
    pub kind: String,
    pub severity: Severity,
    /// Derived from the credential, or only keyed by a fingerprint.
    pub derived: bool,
    pub fields: BTreeMap<String, String>,
    /// What `--validate` learnt: the most alive of its credentials (live before revoked
    /// before unknown), and the facts the provider gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<Status>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub live_facts: BTreeMap<String, String>,
    /// When a sweep with `--state` first found revoked a credential of this identity that an
    /// earlier run had found live (the latest such time): the rotation or offboarding signal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    pub owners: Vec<Owner>,
    /// Oldest introducing commit over all locations (history scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Seen>,
    /// Newest commit still carrying a credential of this identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Seen>,
    /// Present in the scanned files, or in HEAD's tree for history scans.
    pub at_head: bool,
    /// Distinct credentials seen for this identity: more than one means it was rotated, or
    /// has several live keys. A credential in several parts (an AWS key id and its secret)
    /// counts once: this is the largest number of distinct secrets any one rule found.
    pub credentials: usize,
    pub fingerprints: Vec<String>,
    pub rules: Vec<String>,
    pub locations: Vec<String>,
    /// The worst CI egress path of any of its findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst_egress: Option<Egress>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Seen {
    pub date: String,
    pub commit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// Group findings by identity id, riskiest first: live before the rest, present at HEAD
/// before removed, never rotated before rotated, then by severity and id.
pub fn build(findings: &[Finding]) -> Vec<Row> {
    let mut rows: BTreeMap<&str, Row> = BTreeMap::new();
    let mut secrets: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for f in findings {
        let Some(identity) = &f.identity else { continue };
        let row = rows.entry(&identity.id).or_insert_with(|| Row {
            id: identity.id.clone(),
            provider: identity.provider.clone(),
            kind: identity.kind.clone(),
            severity: f.severity,
            derived: identity.derived,
            fields: BTreeMap::new(),
            live: None,
            live_facts: BTreeMap::new(),
            revoked_at: None,
            owners: Vec::new(),
            first_seen: None,
            last_seen: None,
            at_head: false,
            credentials: 0,
            fingerprints: Vec::new(),
            rules: Vec::new(),
            locations: Vec::new(),
            worst_egress: None,
        });
        if let Some(worst) = f.egress.iter().min_by(|a, b| a.order(b)) {
            if row.worst_egress.as_ref().is_none_or(|w| worst.order(w).is_lt()) {
                row.worst_egress = Some(worst.clone());
            }
        }
        row.severity = row.severity.max(f.severity);
        for (k, v) in &identity.fields {
            row.fields.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &identity.live {
            row.live_facts.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if let Some(live) = &f.secret.liveness {
            row.live = Some(row.live.map_or(live.status, |s| s.min(live.status)));
            row.revoked_at = row.revoked_at.clone().max(live.revoked_at.clone());
        }
        for o in &identity.owners {
            if !row.owners.iter().any(|x| x.who == o.who && x.source == o.source) {
                row.owners.push(o.clone());
            }
        }
        push_unique(&mut row.fingerprints, &f.secret.fingerprint);
        secrets.entry((&identity.id, &f.rule)).or_default().insert(&f.secret.fingerprint);
        push_unique(&mut row.rules, &f.rule);
        push_unique(&mut row.locations, &format!("{}:{}", f.location.path, f.location.line));
        match &f.git {
            None => row.at_head = true,
            Some(g) => {
                row.at_head |= g.at_head.unwrap_or(g.staged);
                if let (Some(date), Some(commit)) = (&g.date, &g.first_commit) {
                    let seen = Seen { date: date.clone(), commit: commit.clone(), author: g.author.clone() };
                    if row
                        .first_seen
                        .as_ref()
                        .is_none_or(|s| (&seen.date, &seen.commit) < (&s.date, &s.commit))
                    {
                        row.first_seen = Some(seen);
                    }
                }
                if let (Some(date), Some(commit)) = (&g.last_date, &g.last_commit) {
                    let seen = Seen { date: date.clone(), commit: commit.clone(), author: None };
                    if row
                        .last_seen
                        .as_ref()
                        .is_none_or(|s| (&seen.date, &seen.commit) > (&s.date, &s.commit))
                    {
                        row.last_seen = Some(seen);
                    }
                }
            }
        }
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    for row in &mut rows {
        row.credentials =
            secrets.iter().filter(|((id, _), _)| *id == row.id).map(|(_, s)| s.len()).max().unwrap_or(0);
        row.locations.sort();
    }
    rows.sort_by(|a, b| {
        let risk = |r: &Row| {
            (
                r.live != Some(Status::Live),
                !r.at_head,
                r.credentials > 1,
                std::cmp::Reverse(r.severity),
                !r.derived,
            )
        };
        risk(a).cmp(&risk(b)).then_with(|| a.id.cmp(&b.id))
    });
    rows
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

/// Distinct owners, shortest form, for a table cell.
pub fn owners_cell(owners: &[Owner]) -> String {
    let names: BTreeSet<&str> = owners.iter().map(|o| o.who.as_str()).collect();
    names.into_iter().collect::<Vec<_>>().join(", ")
}
