//! SARIF 2.1.0 for GitHub code scanning: one run for secrets and one for CI egress, each
//! with its own `automationDetails` category so they upload and dismiss independently.
//!
//! Fingerprints: results carry sprawl's own content keys in `partialFingerprints`
//! (`sprawlSecret/v1`: rule, secret fingerprint and path; `sprawlIdentity/v1`), which do not
//! move when lines do. `primaryLocationLineHash` is left out on purpose: GitHub's
//! `upload-sarif` action computes it from the file contents, and a value computed any other
//! way would disagree with it and be kept anyway, splitting alerts.
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::finding::{Finding, Kind, SuppressionKind};
use crate::paths::RepoPaths;
use crate::rules::{RuleSet, Severity};
use crate::validate::Validation;

/// GitHub keeps at most this many results per run.
const MAX_RESULTS: usize = 25_000;
/// GitHub refuses uploads over 10 MB gzipped.
const MAX_GZIPPED: u64 = 10_000_000;

/// Write the SARIF log of `findings`, given in report order; truncation to GitHub's limits
/// is announced through `warn`. Each run keeps at most [`MAX_RESULTS`] findings as they
/// pass, the most severe, so memory does not grow with the findings beyond that.
pub fn write(
    findings: impl Iterator<Item = Finding>,
    rules: &RuleSet,
    paths: &RepoPaths,
    warn: &dyn Fn(String),
    w: &mut dyn Write,
) -> anyhow::Result<()> {
    let (mut secrets, mut egress) = (Selection::default(), Selection::default());
    for f in findings {
        match f.kind {
            Kind::CiEgress => egress.add(f),
            _ => secrets.add(f),
        }
    }
    let [secrets, egress] = [("secrets", secrets), ("egress", egress)].map(|(category, s)| {
        if s.seen > MAX_RESULTS {
            warn(format!(
                "SARIF: {} {category} results, over GitHub's limit of {MAX_RESULTS} per run; keeping the most severe",
                s.seen
            ));
        }
        s.into_findings()
    });
    let secrets: Vec<&Finding> = secrets.iter().collect();
    let egress: Vec<&Finding> = egress.iter().collect();
    let mut keep = MAX_RESULTS;
    loop {
        let log =
            Log::new([("secrets", limit(&secrets, keep)), ("egress", limit(&egress, keep))], rules, paths)?;
        let mut z = gix::zlib::stream::deflate::Write::new(Count(0), gix::zlib::Compression::DEFAULT);
        log.write(&mut z)?;
        z.flush()?;
        // gzip adds 18 bytes of header and trailer where zlib has 6.
        let gzipped = z.into_inner().0 + 12;
        if gzipped <= MAX_GZIPPED || keep == 0 {
            return log.write(w);
        }
        keep = keep.min(secrets.len().max(egress.len())) * 9 / 10;
        warn(format!(
            "SARIF: {gzipped} bytes gzipped is over GitHub's 10 MB limit; keeping the {keep} most severe results per run"
        ));
    }
}

/// The log, written without building it whole: everything but the results is one JSON
/// value, pretty-printed with `"results": null` in each run; the results are rendered one
/// by one in their place, indented as the whole would be. A raw `"` is always structural in
/// JSON (one inside a string is escaped), so `"results": null` marks only those places.
struct Log<'a> {
    /// The log's text around the two runs' results.
    around: Vec<Vec<u8>>,
    runs: [Run<'a>; 2],
    paths: &'a RepoPaths,
}

struct Run<'a> {
    found: Vec<&'a Finding>,
    /// The index of each rule's descriptor in the run's rules table.
    index: BTreeMap<&'a str, usize>,
}

/// How deep a result sits in the log: log, runs, run, results.
const RESULT_INDENT: &[u8] = b"        ";
const PLACE: &[u8] = b"\"results\": null";

impl<'a> Log<'a> {
    fn new(
        runs: [(&str, Vec<&'a Finding>); 2],
        rules: &RuleSet,
        paths: &'a RepoPaths,
    ) -> anyhow::Result<Self> {
        let mut skeletons = Vec::new();
        let runs = runs.map(|(category, found)| {
            let (skeleton, index) = run(category, &found, rules, paths);
            skeletons.push(skeleton);
            Run { found, index }
        });
        let log = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": skeletons,
        });
        let text = serde_json::to_vec_pretty(&log)?;
        let mut around = Vec::new();
        let mut rest = &text[..];
        while let Some(at) = rest.windows(PLACE.len()).position(|w| w == PLACE) {
            around.push(rest[..at + PLACE.len() - b"null".len()].to_vec());
            rest = &rest[at + PLACE.len()..];
        }
        around.push(rest.to_vec());
        anyhow::ensure!(around.len() == 3, "SARIF: the log does not have one place for each run's results");
        Ok(Self { around, runs, paths })
    }

    fn write(&self, w: &mut dyn Write) -> anyhow::Result<()> {
        let mut one = Vec::new();
        for (i, text) in self.around.iter().enumerate() {
            w.write_all(text)?;
            let Some(run) = self.runs.get(i) else { break };
            if run.found.is_empty() {
                w.write_all(b"[]")?;
                continue;
            }
            w.write_all(b"[")?;
            for (n, f) in run.found.iter().enumerate() {
                w.write_all(if n == 0 { b"\n" } else { b",\n" })?;
                let result = result(f, run.index[f.rule.as_str()], self.paths);
                super::write_indented(&result, RESULT_INDENT, &mut one, w)?;
            }
            w.write_all(b"\n      ]")?;
        }
        writeln!(w)?;
        Ok(())
    }
}

/// The [`MAX_RESULTS`] most severe findings of one run seen so far, earlier before later
/// among equals, and how many were seen.
#[derive(Default)]
struct Selection {
    seen: usize,
    /// The worst ranked on top, to be dropped first.
    kept: BinaryHeap<Ranked>,
}

struct Ranked {
    rank: (std::cmp::Reverse<Severity>, usize),
    finding: Finding,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.rank == other.rank
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank.cmp(&other.rank)
    }
}

impl Selection {
    fn add(&mut self, finding: Finding) {
        self.kept.push(Ranked { rank: (std::cmp::Reverse(finding.severity), self.seen), finding });
        self.seen += 1;
        if self.kept.len() > MAX_RESULTS {
            self.kept.pop();
        }
    }

    /// What was kept, in the order it came.
    fn into_findings(self) -> Vec<Finding> {
        let mut kept = self.kept.into_vec();
        kept.sort_by_key(|r| r.rank.1);
        kept.into_iter().map(|r| r.finding).collect()
    }
}

/// The `keep` most severe findings, in report order.
fn limit<'a>(found: &[&'a Finding], keep: usize) -> Vec<&'a Finding> {
    if found.len() <= keep {
        return found.to_vec();
    }
    let mut ranked: Vec<(usize, &Finding)> = found.iter().copied().enumerate().collect();
    ranked.sort_by_key(|(i, f)| (std::cmp::Reverse(f.severity), *i));
    ranked.truncate(keep);
    ranked.sort_by_key(|(i, _)| *i);
    ranked.into_iter().map(|(_, f)| f).collect()
}

/// Counts the bytes written through it.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One run without its results (`null`), and the index of each rule in its rules table.
fn run<'a>(
    category: &str,
    found: &[&'a Finding],
    rules: &RuleSet,
    paths: &RepoPaths,
) -> (Value, BTreeMap<&'a str, usize>) {
    // One descriptor per rule that has results, in id order; results point at it by index.
    let mut used: BTreeMap<&str, &Finding> = BTreeMap::new();
    for f in found.iter().copied() {
        used.entry(f.rule.as_str()).or_insert(f);
    }
    let index: BTreeMap<&str, usize> = used.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let descriptors: Vec<Value> = used.values().map(|f| descriptor(f, rules)).collect();
    let driver = json!({
        "name": "sprawl",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        // Cargo.toml's `repository` (SARIF Multitool's SARIF2005 asks for it).
        "informationUri": env!("CARGO_PKG_REPOSITORY"),
        "rules": descriptors,
    });
    let mut run = json!({
        "tool": { "driver": driver },
        "automationDetails": { "id": format!("sprawl/{category}/") },
        "columnKind": "unicodeCodePoints",
        "results": null,
    });
    if let Some(root) = paths.root.as_ref().and_then(|r| file_uri(r)) {
        run["originalUriBaseIds"] = json!({ "%SRCROOT%": { "uri": root } });
    }
    (run, index)
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn descriptor(example: &Finding, rules: &RuleSet) -> Value {
    let rule = rules.rules.iter().find(|r| r.id == example.rule);
    let (name, provider, severity) = match rule {
        Some(r) => (r.name.as_str(), r.provider.as_str(), r.severity),
        None => (example.name.as_str(), example.provider.as_str(), example.severity),
    };
    let egress = example.kind == Kind::CiEgress;
    let precision = match rule {
        _ if egress => "high",
        Some(r) if r.checksum.is_some() => "very-high",
        Some(r) if r.generic => "medium",
        _ => "high",
    };
    let tags = if egress {
        json!(["security", "ci-egress", "nhi"])
    } else {
        json!(["security", "secret", "nhi", provider])
    };
    let references: Vec<&str> =
        rule.map(|r| r.references.iter().map(String::as_str).collect()).unwrap_or_default();
    let (help_text, mut help_md) = if egress {
        (
            format!("{name}. A CI secret, or the identity behind it, can leave the pipeline here. Remove the sink (print, upload, build argument, untrusted checkout), or pass the secret only where it is needed and masked."),
            format!("**{name}.** A CI secret, or the identity behind it, can leave the pipeline here.\n\nRemove the sink (print, upload, build argument, untrusted checkout), or pass the secret only where it is needed and masked."),
        )
    } else {
        (
            format!("{name}. Revoke or rotate this {provider} credential at the provider first: it is exposed from the moment it was committed, and deleting the line does not remove it from history. Then remove it from the repository, load it from a secret store, and mark any false positive with `sprawl:allow`."),
            format!("**{name}** ({provider}).\n\n1. Revoke or rotate the credential at the provider: it is exposed from the moment it was committed, and deleting the line does not remove it from git history.\n2. Remove it from the repository and load it from a secret store or CI secret.\n3. If it is not a real secret, add `sprawl:allow` on its line, or an allow entry in `.sprawl.toml`."),
        )
    };
    if !references.is_empty() {
        help_md.push_str("\n\nReferences:\n");
        for r in &references {
            help_md.push_str(&format!("- <{r}>\n"));
        }
    }
    let mut d = json!({
        "id": example.rule,
        "name": pascal(&example.rule),
        "shortDescription": { "text": name },
        "fullDescription": { "text": if egress {
            format!("{name}: a path by which a CI secret or its identity can be emitted outside the pipeline.")
        } else {
            format!("{name}: a {provider} credential of a non-human identity, committed to the repository or its history.")
        } },
        "help": { "text": help_text, "markdown": help_md },
        "defaultConfiguration": { "level": level(severity) },
        "properties": {
            "tags": tags,
            "precision": precision,
            "problem.severity": if level(severity) == "note" { "recommendation" } else { level(severity) },
            "security-severity": security_severity(severity),
        },
    });
    if let Some(first) = references.first() {
        d["helpUri"] = json!(first);
    }
    d
}

/// `github.pat.classic` → `GithubPatClassic`.
fn pascal(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn result(f: &Finding, rule_index: usize, paths: &RepoPaths) -> Value {
    let path = paths.relative(&f.location.path).unwrap_or_else(|| f.location.path.clone());
    let mut related = Vec::new();
    let message = message(f, &mut related);
    let loc = &f.location;
    let mut fingerprints = json!({
        "sprawlSecret/v1": digest(&format!("{}\0{}\0{path}", f.rule, f.secret.fingerprint)),
    });
    let mut properties = json!({
        "fingerprint": f.secret.fingerprint,
        "redacted": f.secret.redacted,
        "validation": f.secret.validation.as_str(),
    });
    if let Some(identity) = &f.identity {
        fingerprints["sprawlIdentity/v1"] = json!(digest(&identity.id));
        properties["identity"] = serde_json::to_value(identity).unwrap_or(Value::Null);
    }
    if let Some(live) = &f.secret.liveness {
        properties["liveness"] = serde_json::to_value(live).unwrap_or(Value::Null);
    }
    if let Some(g) = &f.git {
        properties["git"] = serde_json::to_value(g).unwrap_or(Value::Null);
        properties["historyOnly"] = json!(g.at_head == Some(false) || g.unreachable);
    }
    let mut r = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": message },
        "locations": [physical(&path, loc.line, loc.column, loc.end_line, loc.end_column, None)],
        "partialFingerprints": fingerprints,
        "properties": properties,
    });
    if !related.is_empty() {
        r["relatedLocations"] = Value::Array(related);
    }
    if !f.egress.is_empty() {
        r["codeFlows"] = Value::Array(f.egress.iter().take(MAX_FLOWS).map(code_flow).collect());
    }
    if let Some(s) = &f.suppressed {
        let kind = match s.kind {
            SuppressionKind::Inline => "inSource",
            SuppressionKind::Config | SuppressionKind::Baseline => "external",
        };
        r["suppressions"] = json!([{ "kind": kind, "justification": s.reason }]);
    }
    r
}

/// Code flows kept per result: the worst egress paths.
const MAX_FLOWS: usize = 10;

/// One egress path as a SARIF code flow: each hop of the chain, source and sink essential.
fn code_flow(e: &crate::finding::Egress) -> Value {
    let last = e.chain.len().saturating_sub(1);
    let hops: Vec<Value> = e
        .chain
        .iter()
        .enumerate()
        .map(|(i, hop)| {
            let essential = i == 0 || i == last;
            let mut step = json!({
                "location": physical(&hop.file, hop.line, 1, hop.line, 1, Some(&hop.what)),
                "importance": if essential { "essential" } else { "important" },
            });
            if essential {
                step["kinds"] = json!(["taint"]);
            }
            step
        })
        .collect();
    json!({
        "message": { "text": e.summary() },
        "threadFlows": [{ "locations": hops }],
    })
}

/// The alert text: what it is, whose, since when, and whether it is still at HEAD; owners
/// from CODEOWNERS link to the CODEOWNERS line.
fn message(f: &Finding, related: &mut Vec<Value>) -> String {
    let mut m = f.name.clone();
    match f.secret.validation {
        Validation::Unverified => {}
        v => m.push_str(&format!(" ({})", v.as_str())),
    }
    if let Some(identity) = f.identity.as_ref().filter(|i| i.derived) {
        m.push_str(&format!(" for {} `{}`", identity.kind, identity.id));
    }
    m.push('.');
    if let Some(live) = &f.secret.liveness {
        let facts = f.identity.as_ref().map(|i| i.live.clone()).unwrap_or_default();
        m.push_str(&format!(
            " Checked with {} at {}: {}.",
            live.host,
            live.checked_at,
            live.describe(&facts)
        ));
    }
    if let Some(identity) = &f.identity {
        let mut owners = Vec::new();
        for o in &identity.owners {
            let detail = o.detail.as_deref().unwrap_or_default();
            match (o.source.as_str(), detail.rsplit_once(':')) {
                ("codeowners", Some((file, line))) => {
                    let id = related.len() + 1;
                    let line: u64 = line.parse().unwrap_or(1);
                    let mut loc = physical(file, line, 1, line, 1, Some("CODEOWNERS entry"));
                    loc["id"] = json!(id);
                    related.push(loc);
                    owners.push(format!("[{}]({id}) (CODEOWNERS)", o.who));
                }
                ("commit-author", _) => owners.push(format!(
                    "{} (introduced it in {})",
                    o.who,
                    detail.get(..10).unwrap_or(detail)
                )),
                (source, _) => owners.push(format!("{} ({source})", o.who)),
            }
        }
        if !owners.is_empty() {
            m.push_str(&format!(" Owners: {}.", owners.join(", ")));
        }
    }
    if let Some(e) = f.egress.first() {
        m.push_str(&format!(
            " Can leave the repository through {} ({} in {}:{}){}.",
            e.sink.as_str(),
            e.ci.as_str(),
            e.file,
            e.line,
            if f.egress.len() > 1 {
                format!(" and {} more path(s)", f.egress.len() - 1)
            } else {
                String::new()
            }
        ));
    }
    if let Some(g) = &f.git {
        if g.unreachable {
            m.push_str(" Found in an unreachable git object: no ref points to it, but clones and forks may still hold it.");
        } else if let Some(date) = &g.date {
            m.push_str(&format!(" Exposed since {}", date.get(..10).unwrap_or(date)));
            match g.at_head {
                Some(false) => m.push_str("; removed from HEAD but still in history."),
                _ => m.push('.'),
            }
        }
    }
    m
}

fn physical(uri: &str, line: u64, col: u64, end_line: u64, end_col: u64, text: Option<&str>) -> Value {
    let mut v = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": escape_uri(uri), "uriBaseId": "%SRCROOT%" },
            "region": {
                "startLine": line.max(1),
                "startColumn": col.max(1),
                "endLine": end_line.max(line).max(1),
                "endColumn": end_col.max(1),
            },
        },
    });
    if let Some(text) = text {
        v["message"] = json!({ "text": text });
    }
    v
}

fn digest(s: &str) -> String {
    crate::units::hex(&Sha256::digest(s.as_bytes())[..16])
}

/// Percent-encode a relative path for a URI reference (RFC 3986 path characters kept).
fn escape_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `file:///abs/root/` for the run's `%SRCROOT%`.
fn file_uri(root: &std::path::Path) -> Option<String> {
    let s = root.to_str()?;
    let s = if s.ends_with('/') { s.to_string() } else { format!("{s}/") };
    Some(format!("file://{}", escape_uri(&s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal("github.pat.classic"), "GithubPatClassic");
        assert_eq!(escape_uri("a b/ü#.env"), "a%20b/%C3%BC%23.env");
    }
}
