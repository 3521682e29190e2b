//! Identity and owners on a generated repository: CODEOWNERS and commit authors per finding,
//! one identity for a key copied to three files, two credentials for a rotated key, and the
//! inventory that groups them.
use std::path::Path;

use serde_json::Value;

use crate::common::{git_at, run_in, write};

fn commit(dir: &Path, day: u32, who: &str) -> String {
    let date = format!("2024-02-{day:02}T09:00:00Z");
    let email = format!("{}@example.com", who.to_lowercase());
    git_at(dir, &["add", "-A"], &date, who, &email);
    git_at(dir, &["commit", "-qm", &format!("day {day}")], &date, who, &email);
    git_at(dir, &["rev-parse", "HEAD"], &date, who, &email)
}

/// A service-account key file with the given key id (the private key itself is left out:
/// the rule keys on `private_key_id`).
fn service_account(key_id: &str) -> String {
    format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"example-proj-123\",\n  \"private_key_id\": \"{key_id}\",\n  \"client_email\": \"ci-deployer@example-proj-123.iam.gserviceaccount.com\",\n  \"client_id\": \"100000000000000000001\"\n}}\n"
    )
}

fn owners(f: &Value) -> Vec<String> {
    f["identity"]["owners"]
        .as_array()
        .expect("owners")
        .iter()
        .map(|o| format!("{} ({})", o["who"].as_str().expect("who"), o["source"].as_str().expect("source")))
        .collect()
}

#[test]
fn identities_owners_and_inventory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    git_at(d, &["init", "-q"], "2024-02-01T00:00:00Z", "Init", "init@example.com");
    write(d, ".github/CODEOWNERS", "* @org/all\ndeploy/ @org/platform\n*.tfvars @org/infra\n");
    // A published AWS test vector (account 123456789012), split so no scanner sees it here.
    let key_id = format!("AKIA{}", "RZPUZDIKGB2VALC4");
    let secret_key = format!("{}{}", "wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "z9Rq2Lm8Xv");
    let aws = format!("aws_access_key_id = {key_id}\naws_secret_access_key = {secret_key}\n");
    write(d, "deploy/prod.env", &aws);
    let ann = commit(d, 2, "Ann");
    write(d, "terraform/prod.tfvars", &aws);
    write(d, "ci/vars.yml", format!("# copied\naws_access_key_id: {key_id}\n"));
    let bob = commit(d, 3, "Bob");
    let (k1, k2) = ("0123456789abcdef0123456789abcdef01234567", "fedcba9876543210fedcba9876543210fedcba98");
    write(d, "gcp/sa.json", service_account(k1));
    let cid = commit(d, 4, "Cid");
    write(d, "gcp/sa.json", service_account(k2));
    commit(d, 5, "Dan");

    let run = run_in(d, &["git", "--format", "jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.findings();
    let at = |path: &str, rule: &str| -> &Value {
        found
            .iter()
            .find(|f| f["location"]["path"] == path && f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} at {path}: {}", run.stdout))
    };

    // One identity for the key id wherever it is, and for its secret key.
    let aws_id = format!("aws:account/123456789012:key/{key_id}");
    for path in ["deploy/prod.env", "terraform/prod.tfvars", "ci/vars.yml"] {
        let f = at(path, "aws.access-key-id");
        assert_eq!(f["identity"]["id"], aws_id.as_str(), "{path}");
        assert_eq!(f["identity"]["fields"]["account_id"], "123456789012");
    }
    assert_eq!(at("deploy/prod.env", "aws.secret-access-key")["identity"]["id"], aws_id.as_str());

    // Owners: the CODEOWNERS entry for the path (last match wins), then the author of the
    // commit that introduced it there.
    assert_eq!(
        owners(at("deploy/prod.env", "aws.access-key-id")),
        ["@org/platform (codeowners)", "Ann <ann@example.com> (commit-author)"]
    );
    assert_eq!(
        owners(at("terraform/prod.tfvars", "aws.access-key-id")),
        ["@org/infra (codeowners)", "Bob <bob@example.com> (commit-author)"]
    );
    assert_eq!(
        owners(at("ci/vars.yml", "aws.access-key-id")),
        ["@org/all (codeowners)", "Bob <bob@example.com> (commit-author)"]
    );
    assert_eq!(at("deploy/prod.env", "aws.access-key-id")["git"]["first_commit"], ann.as_str());
    assert_eq!(at("ci/vars.yml", "aws.access-key-id")["git"]["first_commit"], bob.as_str());

    // The inventory: one row per identity.
    let inv = run_in(d, &["git", "--format", "inventory"]);
    let rows: Vec<Value> = serde_json::from_str(&inv.stdout).expect("inventory is JSON off a terminal");
    let row = |id: &str| -> &Value {
        rows.iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no row {id}: {}", inv.stdout))
    };
    let aws_row = row(&aws_id);
    assert_eq!(aws_row["credentials"], 1, "a key id and its secret are one credential");
    assert_eq!(aws_row["at_head"], true);
    let locations: Vec<&str> =
        aws_row["locations"].as_array().expect("locations").iter().filter_map(Value::as_str).collect();
    assert_eq!(
        locations,
        [
            "ci/vars.yml:2",
            "deploy/prod.env:1",
            "deploy/prod.env:2",
            "terraform/prod.tfvars:1",
            "terraform/prod.tfvars:2"
        ]
    );
    assert_eq!(aws_row["first_seen"]["commit"], ann.as_str());
    assert_eq!(aws_row["first_seen"]["author"], "Ann");

    // The service account was rotated: one identity, two credentials, first seen with Cid.
    let sa = row("gcp:serviceaccount/ci-deployer@example-proj-123.iam.gserviceaccount.com");
    assert_eq!(sa["credentials"], 2);
    assert_eq!(sa["at_head"], true);
    assert_eq!(sa["first_seen"]["commit"], cid.as_str());
    assert_eq!(sa["fields"]["project_id"], "example-proj-123");

    // Riskiest first: never-rotated identities at HEAD before rotated ones.
    let pos = |id: &str| rows.iter().position(|r| r["id"] == id).expect("row");
    assert!(pos(&aws_id) < pos("gcp:serviceaccount/ci-deployer@example-proj-123.iam.gserviceaccount.com"));
    assert!(!inv.stdout.contains(&secret_key));
}

/// `sprawl dir` gets CODEOWNERS from the work tree and the variable-name hint.
#[test]
fn dir_scan_owners_from_codeowners_and_variable_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(d, "CODEOWNERS", "*.env @org/platform\n");
    write(d, "svc/app.env", "DEPLOY_BOT_TOKEN=Dz9-Qv2mLp7wXk4R8t\n");
    let run = run_in(d, &["dir", "--format", "jsonl"]);
    let found = run.findings();
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(owners(&found[0]), ["@org/platform (codeowners)", "deploy-bot (variable-name)"]);
    assert_eq!(found[0]["identity"]["derived"], false);
    assert_eq!(found[0]["identity"]["fields"]["variable"], "DEPLOY_BOT_TOKEN");
}
