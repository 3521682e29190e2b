//! The NHI inventory: findings grouped by identity, one row each, with its owners, its
//! lifecycle (first and last seen, still at HEAD, how many credentials it has had) and
//! where it was found, riskiest first. Grouping and ranking go through spills (by identity,
//! by identity and credential, then by risk), so memory holds the spill budgets, not one row
//! per identity, and a row lists at most [`MAX_LOCATIONS`] locations and
//! [`MAX_FINGERPRINTS`] fingerprints, counting the rest.
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::spill::{self, Merged, Spill};
use crate::finding::{Egress, Finding, Identity, Owner, Status, Weigh};
use crate::rules::Severity;

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<Status>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub live_facts: BTreeMap<String, String>,
    /// When a sweep with `--state` first found revoked a credential of this identity that an
    /// earlier run had found live (the latest such time): the rotation or offboarding signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    pub owners: Vec<Owner>,
    /// Oldest introducing commit over all locations (history scans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<Seen>,
    /// Newest commit still carrying a credential of this identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Seen>,
    /// Present in the scanned files, or in HEAD's tree for history scans.
    pub at_head: bool,
    /// Distinct credentials seen for this identity: more than one means it was rotated, or
    /// has several live keys. A credential in several parts (an AWS key id and its secret)
    /// counts once: this is the largest number of distinct secrets any one rule found.
    pub credentials: usize,
    /// Its distinct fingerprints, the first [`MAX_FINGERPRINTS`] in report order.
    pub fingerprints: Vec<String>,
    /// How many more distinct fingerprints there are than listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_fingerprints: usize,
    pub rules: Vec<String>,
    /// Distinct `path:line` locations, the first [`MAX_LOCATIONS`] in report order, sorted.
    pub locations: Vec<String>,
    /// How many more distinct locations there are than listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_locations: usize,
    /// The worst CI egress path of any of its findings (the first of [`Entry::egress`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst_egress: Option<Egress>,
}

/// One identity's row and what only the HTML report shows of it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Entry {
    pub row: Row,
    /// How many findings the identity has.
    pub findings: usize,
    /// The distinct egress paths of its findings, worst first.
    pub egress: Vec<Egress>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Seen {
    pub date: String,
    pub commit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// Locations listed per identity; the rest are counted (`more_locations`), so that a row's
/// size does not grow with its findings.
pub const MAX_LOCATIONS: usize = 1000;

/// Fingerprints listed per identity; the rest are counted (`more_fingerprints`).
pub const MAX_FINGERPRINTS: usize = 1000;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The entries, riskiest first, and how many findings there were.
pub struct Inventory {
    pub entries: Merged<Entry>,
    pub findings: usize,
}

/// What a row needs of one finding with an identity: the spilled record of the grouping.
#[derive(Serialize, Deserialize)]
struct Sighting {
    identity: Identity,
    rule: String,
    severity: Severity,
    fingerprint: String,
    live: Option<Status>,
    revoked_at: Option<String>,
    /// `path:line`.
    location: String,
    at_head: bool,
    first_seen: Option<Seen>,
    last_seen: Option<Seen>,
    egress: Vec<Egress>,
}

impl Weigh for Sighting {
    fn heap(&self) -> usize {
        self.identity.heap()
            + self.rule.heap()
            + self.fingerprint.heap()
            + self.revoked_at.heap()
            + self.location.heap()
            + self.first_seen.heap()
            + self.last_seen.heap()
            + self.egress.heap()
    }
}

/// One credential of an identity as counting its distinct credentials needs it: the second
/// spill of the grouping, ordered by identity, fingerprint and rule, so that a repeat comes
/// right after itself and distinct ones are counted by a comparison, without a set.
#[derive(Serialize, Deserialize)]
struct Print {
    identity: String,
    fingerprint: String,
    rule: String,
}

impl Print {
    fn of(s: &Sighting) -> Self {
        Self { identity: s.identity.id.clone(), fingerprint: s.fingerprint.clone(), rule: s.rule.clone() }
    }

    fn order(a: &Self, b: &Self) -> std::cmp::Ordering {
        (&a.identity, &a.fingerprint, &a.rule).cmp(&(&b.identity, &b.fingerprint, &b.rule))
    }
}

impl Weigh for Print {
    fn heap(&self) -> usize {
        self.identity.heap() + self.fingerprint.heap() + self.rule.heap()
    }
}

impl Weigh for Seen {
    fn heap(&self) -> usize {
        self.date.heap() + self.commit.heap() + self.author.heap()
    }
}

impl Weigh for Entry {
    fn heap(&self) -> usize {
        let row = &self.row;
        row.id.heap()
            + row.provider.heap()
            + row.kind.heap()
            + row.fields.heap()
            + row.live_facts.heap()
            + row.revoked_at.heap()
            + row.owners.heap()
            + row.first_seen.heap()
            + row.last_seen.heap()
            + row.fingerprints.heap()
            + row.rules.heap()
            + row.locations.heap()
            + row.worst_egress.heap()
            + self.egress.heap()
    }
}

impl Sighting {
    fn of(f: Finding) -> Option<Self> {
        let identity = f.identity?;
        let (live, revoked_at) = f.secret.liveness.map_or((None, None), |l| (Some(l.status), l.revoked_at));
        let (at_head, first_seen, last_seen) = match f.git {
            None => (true, None, None),
            Some(g) => {
                let first = match (g.date, g.first_commit) {
                    (Some(date), Some(commit)) => Some(Seen { date, commit, author: g.author }),
                    _ => None,
                };
                let last = match (g.last_date, g.last_commit) {
                    (Some(date), Some(commit)) => Some(Seen { date, commit, author: None }),
                    _ => None,
                };
                (g.at_head.unwrap_or(g.staged), first, last)
            }
        };
        Some(Self {
            identity,
            rule: f.rule,
            severity: f.severity,
            fingerprint: f.secret.fingerprint,
            live,
            revoked_at,
            location: format!("{}:{}", f.location.path, f.location.line),
            at_head,
            first_seen,
            last_seen,
            egress: f.egress,
        })
    }
}

/// Group findings, given in report order, by identity id, riskiest first: live before the
/// rest, present at HEAD before removed, never rotated before rotated, then by severity
/// and id. `see` is shown each entry as it is finished, in identity order, before any is
/// given back (totals, column widths).
pub fn build(
    findings: impl Iterator<Item = Finding>,
    mut see: impl FnMut(&Entry),
) -> anyhow::Result<Inventory> {
    let budget = spill::budget()?;
    // The two spills of the grouping fill together: they share the budget.
    let half = (budget / 2).max(1);
    // By identity id alone: the spill is stable, so each identity's findings stay in report
    // order, as `last_location` and the first-wins fields need.
    let mut by_identity: Spill<Sighting> = Spill::new(half, |a, b| a.identity.id.cmp(&b.identity.id));
    // The same identities in the same order, each one's credentials next to their repeats.
    let mut by_print: Spill<Print> = Spill::new(half, Print::order);
    let mut count = 0;
    for f in findings {
        count += 1;
        let sighting = Sighting::of(f);
        by_print.push(sighting.as_ref().map(Print::of))?;
        by_identity.push(sighting)?;
    }
    let mut by_risk: Spill<Entry> =
        Spill::new(budget, |a, b| risk(&a.row).cmp(&risk(&b.row)).then_with(|| a.row.id.cmp(&b.row.id)));
    let mut sightings = by_identity.finish()?;
    let mut prints = by_print.finish()?;
    let mut stream = sightings.by_ref().peekable();
    let mut print_stream = prints.by_ref().peekable();
    while let Some(first) = stream.next() {
        let id = first.identity.id.clone();
        let mut group = Group::new(first);
        while let Some(s) = stream.next_if(|s| s.identity.id == id) {
            group.add(s);
        }
        let entry = group.finish(std::iter::from_fn(|| print_stream.next_if(|p| p.identity == id)));
        see(&entry);
        by_risk.push(Some(entry))?;
    }
    sightings.check()?;
    prints.check()?;
    Ok(Inventory { entries: by_risk.finish()?, findings: count })
}

/// Riskiest first: live, present at HEAD, never rotated, most severe, derived.
fn risk(r: &Row) -> (bool, bool, bool, std::cmp::Reverse<Severity>, bool) {
    (r.live != Some(Status::Live), !r.at_head, r.credentials > 1, std::cmp::Reverse(r.severity), !r.derived)
}

/// One identity's entry while its findings, in report order, are folded into it.
struct Group {
    entry: Entry,
    /// The last location seen: an identity's findings arrive in report order, so a
    /// location repeats only right after itself.
    last_location: String,
    /// The fingerprints listed, to tell a new one: at most [`MAX_FINGERPRINTS`].
    listed: BTreeSet<String>,
}

impl Group {
    fn new(first: Sighting) -> Self {
        let identity = &first.identity;
        let row = Row {
            id: identity.id.clone(),
            provider: identity.provider.clone(),
            kind: identity.kind.clone(),
            severity: first.severity,
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
            more_fingerprints: 0,
            rules: Vec::new(),
            locations: Vec::new(),
            more_locations: 0,
            worst_egress: None,
        };
        let mut group = Self {
            entry: Entry { row, findings: 0, egress: Vec::new() },
            last_location: String::new(),
            listed: BTreeSet::new(),
        };
        group.add(first);
        group
    }

    /// Fold one finding of the identity in.
    fn add(&mut self, s: Sighting) {
        self.entry.findings += 1;
        for e in s.egress {
            if let Err(at) = self.entry.egress.binary_search_by(|x| x.order(&e)) {
                self.entry.egress.insert(at, e);
            }
        }
        let row = &mut self.entry.row;
        row.severity = row.severity.max(s.severity);
        for (k, v) in s.identity.fields {
            row.fields.entry(k).or_insert(v);
        }
        for (k, v) in s.identity.live {
            row.live_facts.entry(k).or_insert(v);
        }
        if let Some(live) = s.live {
            row.live = Some(row.live.map_or(live, |l| l.min(live)));
            row.revoked_at = row.revoked_at.take().max(s.revoked_at);
        }
        for o in s.identity.owners {
            if !row.owners.iter().any(|x| x.who == o.who && x.source == o.source) {
                row.owners.push(o);
            }
        }
        // A lookup in a bounded set, not a scan of the list (quadratic in its length).
        if row.fingerprints.len() < MAX_FINGERPRINTS && self.listed.insert(s.fingerprint.clone()) {
            row.fingerprints.push(s.fingerprint);
        }
        push_unique(&mut row.rules, &s.rule);
        if s.location != self.last_location {
            if row.locations.len() < MAX_LOCATIONS {
                row.locations.push(s.location.clone());
            } else {
                row.more_locations += 1;
            }
            self.last_location = s.location;
        }
        row.at_head |= s.at_head;
        if let Some(seen) = s.first_seen {
            if row.first_seen.as_ref().is_none_or(|f| (&seen.date, &seen.commit) < (&f.date, &f.commit)) {
                row.first_seen = Some(seen);
            }
        }
        if let Some(seen) = s.last_seen {
            if row.last_seen.as_ref().is_none_or(|l| (&seen.date, &seen.commit) > (&l.date, &l.commit)) {
                row.last_seen = Some(seen);
            }
        }
    }

    /// The entry, its credentials counted from `prints`: the identity's, in [`Print::order`].
    fn finish(mut self, prints: impl Iterator<Item = Print>) -> Entry {
        let row = &mut self.entry.row;
        let mut distinct = 0;
        // Distinct fingerprints per rule: one entry per rule that found the identity.
        let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
        let mut last: Option<Print> = None;
        for p in prints {
            let same_print = last.as_ref().is_some_and(|l| l.fingerprint == p.fingerprint);
            distinct += usize::from(!same_print);
            if !(same_print && last.as_ref().is_some_and(|l| l.rule == p.rule)) {
                match per_rule.get_mut(&p.rule) {
                    Some(n) => *n += 1,
                    None => {
                        per_rule.insert(p.rule.clone(), 1);
                    }
                }
            }
            last = Some(p);
        }
        row.credentials = per_rule.into_values().max().unwrap_or(0);
        row.more_fingerprints = distinct.saturating_sub(row.fingerprints.len());
        row.locations.sort();
        row.worst_egress = self.entry.egress.first().cloned();
        self.entry
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
