//! SARIF: every log the suite produces validates against the SARIF 2.1.0 schema and carries
//! what GitHub code scanning needs; no output format ever holds a planted secret.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{git_at, root, run_in, valid_github_token};

/// The published schema, vendored (with its notice) so that a fresh clone has it.
fn schema() -> PathBuf {
    root().join("testdata/sarif-schema-2.1.0.json")
}

/// Validate with the reference `jsonschema` implementation (in the tests' Python environment).
fn assert_valid(sarif: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("out.sarif");
    fs::write(&file, sarif).expect("write");
    let out = Command::new(crate::common::python::python())
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             jsonschema.Draft7Validator(schema).validate(json.load(open(sys.argv[2])))\n",
        ])
        .arg(schema())
        .arg(&file)
        .output()
        .expect("the environment's python runs");
    assert!(out.status.success(), "SARIF does not validate: {}", String::from_utf8_lossy(&out.stderr));
}

/// What GitHub reads: driver name and rules with help and security-severity; results with
/// ruleId, message, a relative location with a 1-based region, fingerprints of our own.
fn assert_github_ready(log: &Value) {
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    let categories: Vec<&str> = runs.iter().filter_map(|r| r["automationDetails"]["id"].as_str()).collect();
    assert_eq!(categories, ["sprawl/secrets/", "sprawl/egress/"]);
    for run in runs {
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "sprawl");
        let rules = driver["rules"].as_array().expect("rules");
        for r in rules {
            for field in ["id", "name"] {
                assert!(r[field].is_string(), "rule lacks {field}: {r}");
            }
            for field in ["shortDescription", "fullDescription"] {
                assert!(r[field]["text"].is_string(), "rule lacks {field}: {r}");
            }
            assert!(r["help"]["text"].is_string() && r["help"]["markdown"].is_string(), "{r}");
            assert!(["error", "warning", "note"]
                .contains(&r["defaultConfiguration"]["level"].as_str().expect("level")));
            let score: f64 =
                r["properties"]["security-severity"].as_str().expect("score").parse().expect("number");
            assert!((0.1..=10.0).contains(&score));
            assert!(r["properties"]["tags"].as_array().expect("tags").iter().any(|t| t == "security"));
        }
        for result in run["results"].as_array().expect("results") {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            assert!(result["message"]["text"].as_str().is_some_and(|m| !m.is_empty()));
            let loc = &result["locations"][0]["physicalLocation"];
            let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
            assert!(!uri.starts_with('/') && !uri.contains("://"), "relative URI expected: {uri}");
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert!(loc["region"]["startLine"].as_u64().expect("line") >= 1);
            assert!(loc["region"]["startColumn"].as_u64().expect("column") >= 1);
            let fps = result["partialFingerprints"].as_object().expect("fingerprints");
            assert!(fps.contains_key("sprawlSecret/v1"));
            assert!(!fps.contains_key("primaryLocationLineHash"), "left to upload-sarif");
        }
    }
}

fn sarif_of(dir: &Path, args: &[&str]) -> (String, Value) {
    let run = run_in(dir, args);
    assert!(run.code <= 1, "{}", run.stderr);
    let log: Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
    (run.stdout, log)
}

#[test]
fn fixture_tree_sarif_validates() {
    let (text, log) = sarif_of(&root(), &["dir", "--no-config", "testdata/fs", "--format", "sarif"]);
    assert_valid(&text);
    assert_github_ready(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let expected = fs::read_to_string(root().join("testdata/fs.expected")).expect("expected");
    assert_eq!(results.len(), expected.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).count());
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "testdata/fs/.env");
}

/// A history scan: owners link to the CODEOWNERS line, history-only findings say so, and no
/// planted secret appears in any output format.
#[test]
fn history_sarif_and_no_secret_in_any_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let at = |args: &[&str], day: u32| {
        git_at(d, args, &format!("2024-03-{day:02}T10:00:00Z"), "Ann", "ann@example.com");
    };
    at(&["init", "-q"], 1);
    fs::create_dir_all(d.join(".github")).expect("mkdir");
    fs::write(d.join(".github/CODEOWNERS"), "*.env @org/platform\n").expect("write");
    let token = valid_github_token("sarif-history-token");
    let password = "Pl4nted-S3cret-Pw";
    fs::write(d.join("app.env"), format!("GITHUB_TOKEN={token}\nDB_PASSWORD={password}\n")).expect("write");
    fs::write(d.join("my file.env"), format!("DB_PASSWORD={password}\n")).expect("write");
    at(&["add", "-A"], 2);
    at(&["commit", "-qm", "add"], 2);
    fs::write(d.join("app.env"), format!("DB_PASSWORD={password}\n")).expect("write");
    at(&["commit", "-qam", "drop token"], 3);

    let (text, log) = sarif_of(d, &["git", "--format", "sarif"]);
    assert_valid(&text);
    assert_github_ready(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let token_result = results.iter().find(|r| r["ruleId"] == "github.pat.classic").expect("token result");
    let message = token_result["message"]["text"].as_str().expect("message");
    assert!(message.contains("[@org/platform](1) (CODEOWNERS)"), "{message}");
    assert!(message.contains("removed from HEAD but still in history"), "{message}");
    assert_eq!(token_result["properties"]["historyOnly"], true);
    let related = &token_result["relatedLocations"][0];
    assert_eq!(related["id"], 1);
    assert_eq!(related["physicalLocation"]["artifactLocation"]["uri"], ".github/CODEOWNERS");
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 1);
    assert!(results
        .iter()
        .any(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20file.env"));

    for args in [
        vec!["git", "--format", "sarif"],
        vec!["git", "--format", "json"],
        vec!["git", "--format", "jsonl"],
        vec!["git", "--format", "human"],
        vec!["git", "--format", "inventory"],
        vec!["dir", "--format", "sarif"],
        vec!["dir", "--format", "human", "--show-suppressed"],
        vec!["baseline", "create"],
    ] {
        let run = run_in(d, &args);
        for secret in [token.as_str(), password] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "{args:?} printed a secret"
            );
        }
    }
    let revealed = run_in(d, &["git", "--format", "jsonl", "--no-redact"]);
    assert!(revealed.stdout.contains(&token), "--no-redact shows the value");
}

/// CI egress: the egress run holds the `egress.*` results, each with a code flow from the
/// CI secret reference through every hop to the sink; secrets with egress paths get them too.
#[test]
fn egress_sarif_has_code_flows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = Command::new("cp")
        .arg("-r")
        .arg(root().join("testdata/egress"))
        .arg(dir.path().join("repo"))
        .status()
        .expect("cp runs");
    assert!(copy.success());
    let (text, log) = sarif_of(&dir.path().join("repo"), &["dir", "--format", "sarif"]);
    assert_valid(&text);
    assert_github_ready(&log);
    let egress = log["runs"][1]["results"].as_array().expect("egress results");
    assert!(!egress.is_empty());
    for r in egress {
        assert!(r["ruleId"].as_str().expect("rule").starts_with("egress."));
        let hops = r["codeFlows"][0]["threadFlows"][0]["locations"].as_array().expect("a code flow");
        assert_eq!(hops.first().expect("source")["importance"], "essential");
        assert_eq!(hops.last().expect("sink")["importance"], "essential");
    }
    let secrets = log["runs"][0]["results"].as_array().expect("secret results");
    assert!(secrets.iter().any(|r| r["codeFlows"].is_array()
        && r["message"]["text"].as_str().is_some_and(|m| m.contains("Can leave the repository through"))));
}

/// An inline `sprawl:allow` is a suppression in the source (`inSource`); an allow entry of
/// `.sprawl.toml` and the baseline are `external`.
#[test]
fn suppression_kinds_in_sarif() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("inline.env"), "DB_PASSWORD=Inl1ne-Sw33t-Pw # sprawl:allow\n").expect("write");
    fs::write(dir.path().join("config.env"), "DB_PASSWORD=C0nfig-Sw33t-Pw\n").expect("write");
    fs::write(dir.path().join(".sprawl.toml"), "[[allow]]\npaths = [\"config.env\"]\n").expect("write");
    let (text, log) = sarif_of(dir.path(), &["dir", ".", "--format", "sarif", "--show-suppressed"]);
    assert_valid(&text);
    let kinds: Vec<(String, String)> = log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().expect("uri");
            (uri.to_string(), r["suppressions"][0]["kind"].as_str().expect("suppressed").to_string())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("config.env".to_string(), "external".to_string()),
            ("inline.env".to_string(), "inSource".to_string())
        ]
    );
}
