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
    /// Distinct `path:line` locations, the first [`MAX_LOCATIONS`] in report order, sorted.
    pub locations: Vec<String>,
    /// How many more distinct locations there are than listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub more_locations: usize,
    /// How many findings the identity has.
    #[serde(skip)]
    pub findings: usize,
    /// The distinct egress paths of its findings, worst first.
    #[serde(skip)]
    pub egress: Vec<Egress>,
    /// The last location seen: an identity's findings arrive in report order, so a
    /// location repeats only right after itself.
    #[serde(skip)]
    last_location: String,
    /// The worst CI egress path of any of its findings (the first of `egress`).
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

/// Locations listed per identity; the rest are counted (`more_locations`), so that memory
/// grows with identities, not with findings.
pub const MAX_LOCATIONS: usize = 1000;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The rows, and how many findings there were.
pub struct Inventory {
    pub rows: Vec<Row>,
    pub findings: usize,
}

/// Group findings, given in report order, by identity id, riskiest first: live before the
/// rest, present at HEAD before removed, never rotated before rotated, then by severity
/// and id.
pub fn build(findings: impl Iterator<Item = Finding>) -> Inventory {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut secrets: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut count = 0;
    for f in findings {
        count += 1;
        let Some(identity) = &f.identity else { continue };
        if !rows.contains_key(&identity.id) {
            rows.insert(identity.id.clone(), new_row(identity, &f));
        }
        let row = rows.get_mut(&identity.id).expect("inserted above");
        row.findings += 1;
        add(row, identity, &f);
        let fingerprints = match secrets.get_mut(&(identity.id.clone(), f.rule.clone())) {
            Some(set) => set,
            None => secrets.entry((identity.id.clone(), f.rule.clone())).or_default(),
        };
        if !fingerprints.contains(&f.secret.fingerprint) {
            fingerprints.insert(f.secret.fingerprint.clone());
        }
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    for row in &mut rows {
        row.credentials = secrets
            .range((row.id.clone(), String::new())..)
            .take_while(|((id, _), _)| *id == row.id)
            .map(|(_, s)| s.len())
            .max()
            .unwrap_or(0);
        row.locations.sort();
        row.worst_egress = row.egress.first().cloned();
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
    Inventory { rows, findings: count }
}

fn new_row(identity: &crate::finding::Identity, f: &Finding) -> Row {
    Row {
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
        more_locations: 0,
        findings: 0,
        egress: Vec::new(),
        last_location: String::new(),
        worst_egress: None,
    }
}

/// Fold one finding of the row's identity into it.
fn add(row: &mut Row, identity: &crate::finding::Identity, f: &Finding) {
    for e in &f.egress {
        if let Err(at) = row.egress.binary_search_by(|x| x.order(e)) {
            row.egress.insert(at, e.clone());
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
    push_unique(&mut row.rules, &f.rule);
    let location = format!("{}:{}", f.location.path, f.location.line);
    if location != row.last_location {
        if row.locations.len() < MAX_LOCATIONS {
            row.locations.push(location.clone());
        } else {
            row.more_locations += 1;
        }
        row.last_location = location;
    }
    match &f.git {
        None => row.at_head = true,
        Some(g) => {
            row.at_head |= g.at_head.unwrap_or(g.staged);
            if let (Some(date), Some(commit)) = (&g.date, &g.first_commit) {
                let seen = Seen { date: date.clone(), commit: commit.clone(), author: g.author.clone() };
                if row.first_seen.as_ref().is_none_or(|s| (&seen.date, &seen.commit) < (&s.date, &s.commit)) {
                    row.first_seen = Some(seen);
                }
            }
            if let (Some(date), Some(commit)) = (&g.last_date, &g.last_commit) {
                let seen = Seen { date: date.clone(), commit: commit.clone(), author: None };
                if row.last_seen.as_ref().is_none_or(|s| (&seen.date, &seen.commit) > (&s.date, &s.commit)) {
                    row.last_seen = Some(seen);
                }
            }
        }
    }
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
