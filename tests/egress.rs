//! CI egress (issue #5): `sprawl dir` and `sprawl git` on a copy of `testdata/egress`, a
//! repository with GitHub Actions, GitLab CI, a Dockerfile, docker-compose, a Jenkinsfile,
//! CircleCI, Azure and Bitbucket pipelines, and secret-bearing files the CI flows reference.
//! Each planted case is asserted as exact egress paths.
use std::fs;

use serde_json::Value;

use crate::common::{copy_dir, git, root, run_in};

/// The fake secrets planted in the fixture: never printed.
const PLANTED: &[&str] = &["Dz9-Qv2mLp7wXk4R8t", "Gl7-Rt4wQz9pXm2Vb8k", "Pw4-Hs8nLq2xVt6Z"];

/// A fresh copy of the fixture repository.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("testdata/egress"), dir.path());
    dir
}

fn s(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `sink link ci file:line job step severity` for each egress path of a finding.
fn paths(f: &Value) -> Vec<String> {
    f["egress"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    format!(
                        "{} {} {} {}:{} {} {} {}",
                        s(&e["sink"]),
                        s(&e["link"]),
                        s(&e["ci"]),
                        s(&e["file"]),
                        e["line"],
                        s(&e["job"]),
                        s(&e["step"]),
                        s(&e["severity"])
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn find<'a>(findings: &'a [Value], path: &str, line: u64, rule: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["location"]["path"] == path && f["location"]["line"] == line && f["rule"] == rule)
        .unwrap_or_else(|| panic!("no {rule} at {path}:{line}"))
}

fn chain(e: &Value) -> Vec<String> {
    e["chain"]
        .as_array()
        .expect("chain")
        .iter()
        .map(|h| format!("{} @{}:{}", s(&h["what"]), s(&h["file"]), h["line"]))
        .collect()
}

/// Every finding of the fixture, in output order: the three planted hits and one
/// `egress.*` finding per CI secret reference and sink.
#[test]
fn fixture_findings_exact() {
    let dir = fixture();
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--sort"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got: Vec<String> = run
        .findings()
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {} {}",
                s(&f["location"]["path"]),
                f["location"]["line"],
                s(&f["rule"]),
                s(&f["severity"]),
                s(&f["secret"]["redacted"])
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ".circleci/config.yml:10 egress.transformed-print high $NPM_AUTH_TOKEN",
            ".github/actions/publish/action.yml:13 egress.network-send critical secrets.REGISTRY_PASSWORD",
            ".github/workflows/ci.yml:13 egress.log-print medium secrets.DEPLOY_BOT_TOKEN",
            ".github/workflows/ci.yml:15 egress.transformed-print high secrets.NPM_TOKEN",
            ".github/workflows/ci.yml:17 egress.env-propagation medium secrets.API_KEY",
            ".github/workflows/ci.yml:23 egress.unpinned-action high secrets.API_KEY",
            ".github/workflows/ci.yml:23 egress.unpinned-action high secrets.DEPLOY_BOT_TOKEN",
            ".github/workflows/ci.yml:23 egress.unpinned-action high secrets.SLACK_BOT_TOKEN",
            ".github/workflows/image.yml:10 egress.unpinned-action high secrets.NPM_TOKEN",
            ".github/workflows/image.yml:16 egress.image-build-arg critical secrets.NPM_TOKEN",
            ".github/workflows/pr-preview.yml:14 egress.untrusted-checkout high github.token",
            ".github/workflows/pr-preview.yml:14 egress.untrusted-checkout critical secrets.PREVIEW_TOKEN",
            ".github/workflows/pr-preview.yml:15 egress.unpinned-action critical secrets.PREVIEW_TOKEN",
            ".gitlab-ci.yml:4 generic.token high Gl7…k",
            ".gitlab-ci.yml:5 egress.debug-trace critical CI_DEBUG_TRACE: true",
            "Jenkinsfile:9 egress.groovy-interpolation high credentials('registry-creds')",
            "Jenkinsfile:10 egress.log-print medium credentials('registry-creds')",
            "azure-pipelines.yml:4 egress.step-debug low system.debug: true",
            "azure-pipelines.yml:6 egress.env-propagation medium $(AZURE_DEPLOY_TOKEN)",
            "azure-pipelines.yml:6 egress.log-print medium $(AZURE_DEPLOY_TOKEN)",
            "bitbucket-pipelines.yml:7 egress.network-send critical $BB_DEPLOY_KEY",
            "ci/deploy.yml:5 egress.network-send critical $PROD_DEPLOY_TOKEN",
            "config/.env:2 generic.token high Dz9…t",
            "docker-compose.yml:8 generic.password high Pw…Z",
        ]
    );
}

/// `config/.env` holds DEPLOY_BOT_TOKEN: baked into the pushed image by `COPY . .` (no
/// `.dockerignore`), uploaded as an artifact by four CI systems, printed and handed to a
/// tag-pinned action under the same name, and loaded into a container.
#[test]
fn secret_file_reaches_every_sink_that_reads_it() {
    let dir = fixture();
    let findings = run_in(dir.path(), &["dir", "--format", "jsonl"]).findings();
    let hit = find(&findings, "config/.env", 2, "generic.token");
    assert_eq!(
        paths(hit),
        [
            "image-copy file-flow dockerfile Dockerfile:4 - - critical",
            "artifact-upload file-flow circleci .circleci/config.yml:12 test - high",
            "artifact-upload file-flow github-actions .github/workflows/ci.yml:22 build Upload config high",
            "unpinned-action name-match github-actions .github/workflows/ci.yml:23 build Notify high",
            "artifact-upload file-flow gitlab-ci .gitlab-ci.yml:18 build - high",
            "artifact-upload file-flow jenkins Jenkinsfile:11 Publish - high",
            "artifact-upload file-flow bitbucket-pipelines bitbucket-pipelines.yml:9 Deploy - high",
            "log-print name-match github-actions .github/workflows/ci.yml:13 build Show token medium",
            "container-env name-match docker-compose docker-compose.yml:9 api - low",
            "container-env file-flow docker-compose docker-compose.yml:11 api - low",
        ]
    );
    assert_eq!(
        chain(&hit["egress"][0]),
        [
            "hit DEPLOY_BOT_TOKEN @config/.env:2",
            "build context . @Dockerfile:4",
            "COPY . (no .dockerignore) @Dockerfile:4",
            "docker/build-push-action push: true @.github/workflows/image.yml:14",
        ]
    );
    assert_eq!(
        chain(&hit["egress"][7]),
        [
            "hit DEPLOY_BOT_TOKEN @config/.env:2",
            "secrets.DEPLOY_BOT_TOKEN @.github/workflows/ci.yml:6",
            "env.DEPLOY_BOT_TOKEN @.github/workflows/ci.yml:6",
            "echo $DEPLOY_BOT_TOKEN @.github/workflows/ci.yml:13",
        ]
    );
}

/// Literal secrets in CI files: a GitLab variable dumped by `CI_DEBUG_TRACE` and written to
/// an uploaded file; a compose `environment` value.
#[test]
fn literals_in_ci_files_follow_their_uses() {
    let dir = fixture();
    let findings = run_in(dir.path(), &["dir", "--format", "jsonl"]).findings();
    let gitlab = find(&findings, ".gitlab-ci.yml", 4, "generic.token");
    assert_eq!(
        paths(gitlab),
        [
            "debug-trace literal-in-ci gitlab-ci .gitlab-ci.yml:5 - - critical",
            "image-copy file-flow dockerfile Dockerfile:4 - - critical",
            "ci-literal literal-in-ci gitlab-ci .gitlab-ci.yml:4 - - high",
            "artifact-upload literal-in-ci gitlab-ci .gitlab-ci.yml:17 build - high",
        ]
    );
    assert_eq!(
        chain(&gitlab["egress"][3]),
        [
            "variables.DEPLOY_API_TOKEN @.gitlab-ci.yml:4",
            "> deploy-token.txt @.gitlab-ci.yml:14",
            "deploy-token.txt @.gitlab-ci.yml:17",
            "artifacts path @.gitlab-ci.yml:17",
        ]
    );
    let compose = find(&findings, "docker-compose.yml", 8, "generic.password");
    assert_eq!(
        paths(compose),
        [
            "image-copy file-flow dockerfile Dockerfile:4 - - critical",
            "ci-literal literal-in-ci docker-compose docker-compose.yml:8 api - high",
            "container-env literal-in-ci docker-compose docker-compose.yml:8 api - low",
        ]
    );
}

/// CI secret references that reach a sink are findings of their own, with the sink's path.
#[test]
fn ci_secrets_are_findings_with_their_paths() {
    let dir = fixture();
    let findings = run_in(dir.path(), &["dir", "--format", "jsonl"]).findings();
    let cases = [
        (".github/workflows/pr-preview.yml", 14, "egress.untrusted-checkout",
         "untrusted-checkout ci-secret github-actions .github/workflows/pr-preview.yml:14 preview Check out the pull request high"),
        (".github/workflows/ci.yml", 13, "egress.log-print",
         "log-print ci-secret github-actions .github/workflows/ci.yml:13 build Show token medium"),
        (".github/workflows/ci.yml", 15, "egress.transformed-print",
         "transformed-print ci-secret github-actions .github/workflows/ci.yml:15 build Encode token high"),
        (".github/workflows/ci.yml", 17, "egress.env-propagation",
         "env-propagation ci-secret github-actions .github/workflows/ci.yml:17 build Export API key medium"),
        (".github/workflows/image.yml", 16, "egress.image-build-arg",
         "image-build-arg ci-secret github-actions .github/workflows/image.yml:16 image Build and push critical"),
        (".github/actions/publish/action.yml", 13, "egress.network-send",
         "network-send ci-secret github-actions .github/actions/publish/action.yml:13 publish Upload critical"),
        (".gitlab-ci.yml", 5, "egress.debug-trace", "debug-trace ci-secret gitlab-ci .gitlab-ci.yml:5 - - critical"),
        ("ci/deploy.yml", 5, "egress.network-send", "network-send ci-secret gitlab-ci ci/deploy.yml:5 deploy - critical"),
        ("Jenkinsfile", 9, "egress.groovy-interpolation",
         "groovy-interpolation ci-secret jenkins Jenkinsfile:9 Publish - high"),
    ];
    for (path, line, rule, path_line) in cases {
        let f = find(&findings, path, line, rule);
        assert_eq!(paths(f), [path_line], "{rule} at {path}:{line}");
        assert_eq!(f["provider"], "ci");
        assert_eq!(f["identity"]["kind"], "ci-secret");
    }
    let build_arg = find(&findings, ".github/workflows/image.yml", 16, "egress.image-build-arg");
    assert_eq!(build_arg["identity"]["id"], "ci:github-actions:secret/NPM_TOKEN");
    assert_eq!(
        build_arg["secret"]["fingerprint"],
        sprawl::secret::fingerprint(b"ci:github-actions:secrets.NPM_TOKEN")
    );
    assert_eq!(
        chain(&build_arg["egress"][0]),
        [
            "secrets.NPM_TOKEN @.github/workflows/image.yml:16",
            "build-args NPM_TOKEN @.github/workflows/image.yml:16",
            "ARG NPM_TOKEN @Dockerfile:2",
            "docker/build-push-action push: true @.github/workflows/image.yml:14",
        ]
    );
    let composite = find(&findings, ".github/actions/publish/action.yml", 13, "egress.network-send");
    assert_eq!(
        chain(&composite["egress"][0]),
        [
            "secrets.REGISTRY_PASSWORD @.github/workflows/ci.yml:29",
            "secrets: inherit @.github/workflows/ci.yml:29",
            "secrets.REGISTRY_PASSWORD @.github/workflows/release.yml:12",
            "with.registry-password @.github/workflows/release.yml:12",
            "curl ${{ inputs.registry-password }} → artifacts.example.net @.github/actions/publish/action.yml:13",
        ]
    );
    let groovy = find(&findings, "Jenkinsfile", 9, "egress.groovy-interpolation");
    assert_eq!(groovy["identity"]["id"], "ci:jenkins:secret/REGISTRY_CREDS");
}

/// The pwn-request job authenticates as a GCP service account: a leaked key of that account
/// reaches the untrusted checkout through identity-match. The key is generated here.
#[test]
fn identity_match_links_a_service_account_key_to_the_pwn_request() {
    let dir = fixture();
    let key_id: String = "5e1f0c4a9b".repeat(4);
    let json = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"example-project\",\n  \"private_key_id\": \"{key_id}\",\n  \"client_email\": \"release-bot@example-project.iam.gserviceaccount.com\"\n}}\n"
    );
    fs::create_dir_all(dir.path().join("deploy")).expect("mkdir");
    fs::write(dir.path().join("deploy/gcp-key.json"), json).expect("write key");
    let findings = run_in(dir.path(), &["dir", "--format", "jsonl"]).findings();
    let key = find(&findings, "deploy/gcp-key.json", 4, "gcp.service-account-key");
    assert_eq!(
        paths(key),
        [
            "untrusted-checkout identity-match github-actions .github/workflows/pr-preview.yml:14 preview Check out the pull request critical",
            "image-copy file-flow dockerfile Dockerfile:4 - - critical",
        ]
    );
    assert_eq!(
        chain(&key["egress"][0]),
        [
            "hit gcp.service-account-key @deploy/gcp-key.json:4",
            "authenticate as release-bot@example-project.iam.gserviceaccount.com @.github/workflows/pr-preview.yml:18",
            "env GOOGLE_APPLICATION_CREDENTIALS @.github/workflows/pr-preview.yml:15",
            "checkout of pull request code @.github/workflows/pr-preview.yml:14",
        ]
    );
}

/// The terminal shows one egress line per path; the inventory the worst path per identity.
#[test]
fn human_and_inventory_formats_show_egress() {
    let dir = fixture();
    let run = run_in(dir.path(), &["dir", "--format", "human"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("config/.env:2:")).expect("the .env hit");
    assert_eq!(
        lines[at + 1],
        "    egress critical image-copy dockerfile Dockerfile:4 (file-flow: hit DEPLOY_BOT_TOKEN → build context . → COPY . (no .dockerignore) → docker/build-push-action push: true)"
    );
    assert_eq!(lines[at + 1..].iter().take_while(|l| l.starts_with("    egress ")).count(), 10);
    let run = run_in(dir.path(), &["dir", "--format", "inventory"]);
    let rows: Vec<Value> = serde_json::from_str(&run.stdout).expect("inventory JSON");
    let row = rows.iter().find(|r| r["id"] == "ci:github-actions:secret/NPM_TOKEN").expect("NPM_TOKEN row");
    assert_eq!(row["worst_egress"]["sink"], "image-build-arg");
    assert_eq!(row["worst_egress"]["severity"], "critical");
}

#[test]
fn planted_values_are_never_printed() {
    let dir = fixture();
    for format in ["human", "json", "jsonl", "inventory"] {
        let run = run_in(dir.path(), &["dir", "--format", format]);
        for raw in PLANTED {
            assert!(!run.stdout.contains(raw) && !run.stderr.contains(raw), "{format} leaked {raw}");
        }
    }
}

#[test]
fn output_is_deterministic() {
    let dir = fixture();
    let one = run_in(dir.path(), &["dir", "--format", "json", "--threads", "1"]);
    let four = run_in(dir.path(), &["dir", "--format", "json", "--threads", "4"]);
    assert_eq!(one.stdout, four.stdout);
}

/// `sprawl dir SUBDIR`: paths (findings, egress files and chains) are shown under SUBDIR.
#[test]
fn paths_are_shown_under_the_scanned_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("testdata/egress"), &dir.path().join("repo"));
    let findings = run_in(dir.path(), &["dir", "repo", "--format", "jsonl"]).findings();
    let hit = find(&findings, "repo/config/.env", 2, "generic.token");
    assert_eq!(paths(hit)[0], "image-copy file-flow dockerfile repo/Dockerfile:4 - - critical");
    find(&findings, "repo/.github/workflows/ci.yml", 13, "egress.log-print");
}

/// A workflow that is not YAML is named in a warning; the rest is analysed.
#[test]
fn bad_yaml_warns_and_the_scan_goes_on() {
    let dir = fixture();
    fs::write(dir.path().join(".github/workflows/broken.yml"), "on: [push\njobs: {x: }\n  - :\n")
        .expect("write");
    let run = run_in(dir.path(), &["dir", "--format", "jsonl"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains(".github/workflows/broken.yml: not valid YAML"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
    find(&run.findings(), "config/.env", 2, "generic.token");
}

/// A workflow with a key given twice is refused by GitHub Actions ("'env' is already
/// defined") and never runs: sprawl says so, follows none of its secrets, and still scans it
/// for literal secrets like any file.
#[test]
fn a_workflow_github_refuses_is_named_and_not_followed() {
    let dir = fixture();
    let twice = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    env:\n      TOKEN: ${{ secrets.TWICE_TOKEN }}\n    env:\n      X: y\n    steps:\n      - run: echo \"$TOKEN\" | base64\n";
    fs::write(dir.path().join(".github/workflows/twice.yml"), twice).expect("write");
    let run = run_in(dir.path(), &["dir", "--format", "jsonl"]);
    assert!(
        run.stderr.contains(".github/workflows/twice.yml: a key is given twice")
            && run.stderr.contains("never runs it"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("TWICE_TOKEN"), "no path from a workflow that never runs");
    find(&run.findings(), "config/.env", 2, "generic.token");
}

/// `sprawl git` builds the model from HEAD's tree.
#[test]
fn git_mode_uses_head_tree() {
    let dir = fixture();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "fixture"]);
    // Removed from the work tree but still in HEAD: the model reads HEAD, not the disk.
    fs::remove_file(dir.path().join("Dockerfile")).expect("remove");
    let findings = run_in(dir.path(), &["git", "--format", "jsonl"]).findings();
    let hit = find(&findings, "config/.env", 2, "generic.token");
    assert_eq!(paths(hit)[0], "image-copy file-flow dockerfile Dockerfile:4 - - critical");
    find(&findings, ".github/workflows/pr-preview.yml", 14, "egress.untrusted-checkout");
}

/// `sprawl git --staged` (the pre-commit hook) reports the staged hit with its egress paths,
/// not the CI secrets of the whole tree; with nothing staged, nothing at all.
#[test]
fn staged_scan_reports_only_the_change() {
    let dir = fixture();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "fixture"]);
    let run = run_in(dir.path(), &["git", "--staged", "--format", "jsonl"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    fs::write(dir.path().join("config/ci.env"), "NPM_TOKEN=Nq5-Wd8sLk3vTz7Y\n").expect("write");
    git(dir.path(), &["add", "config/ci.env"]);
    let run = run_in(dir.path(), &["git", "--staged", "--format", "jsonl"]);
    let findings = run.findings();
    assert_eq!(findings.len(), 1, "{}", run.stdout);
    assert_eq!(
        paths(&findings[0]),
        [
            "image-build-arg name-match github-actions .github/workflows/image.yml:16 image Build and push critical",
            "image-build-arg name-match dockerfile Dockerfile:2 - - critical",
            "image-copy file-flow dockerfile Dockerfile:4 - - critical",
            "image-build-arg name-match docker-compose docker-compose.yml:6 api - critical",
            "artifact-upload file-flow circleci .circleci/config.yml:12 test - high",
            "transformed-print name-match github-actions .github/workflows/ci.yml:15 build Encode token high",
            "artifact-upload file-flow github-actions .github/workflows/ci.yml:22 build Upload config high",
            "unpinned-action name-match github-actions .github/workflows/image.yml:10 image Build and push high",
            "artifact-upload file-flow gitlab-ci .gitlab-ci.yml:18 build - high",
            "artifact-upload file-flow bitbucket-pipelines bitbucket-pipelines.yml:9 Deploy - high",
        ]
    );
}

/// A reusable workflow's `secrets.X` is whatever its callers pass as X, and it runs with
/// their exposure: a `pull_request_target` caller makes the called workflow's echo of a
/// deploy token a fork-reachable print of the caller's secret.
#[test]
fn reusable_workflows_get_their_callers_secrets_and_exposure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workflows = dir.path().join(".github/workflows");
    fs::create_dir_all(&workflows).expect("mkdir");
    fs::write(
        workflows.join("preview.yml"),
        "on: pull_request_target\njobs:\n  deploy:\n    uses: ./.github/workflows/deploy.yml\n    secrets:\n      token: ${{ secrets.PROD_DEPLOY_TOKEN }}\n",
    )
    .expect("write caller");
    fs::write(
        workflows.join("deploy.yml"),
        "on:\n  workflow_call:\n    secrets:\n      token:\n        required: true\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n      - name: Show\n        run: echo ${{ secrets.token }}\n",
    )
    .expect("write called");
    let findings = run_in(dir.path(), &["dir", "--format", "jsonl"]).findings();
    let print = find(&findings, ".github/workflows/deploy.yml", 11, "egress.log-print");
    assert_eq!(print["identity"]["id"], "ci:github-actions:secret/PROD_DEPLOY_TOKEN");
    assert_eq!(
        paths(print),
        ["log-print ci-secret github-actions .github/workflows/deploy.yml:11 run Show high"]
    );
    assert_eq!(
        chain(&print["egress"][0]),
        [
            "secrets.PROD_DEPLOY_TOKEN @.github/workflows/preview.yml:6",
            "passed as secrets.token @.github/workflows/preview.yml:6",
            "secrets.token @.github/workflows/deploy.yml:11",
            "echo ${{ secrets.token }} @.github/workflows/deploy.yml:11",
        ]
    );
    assert!(
        !findings.iter().any(|f| f["identity"]["id"] == "ci:github-actions:secret/TOKEN"),
        "the called workflow's own name for the secret is not a secret of its own"
    );
}

/// A CI file over the 1 MiB limit is not read for the CI model, and that is said, naming
/// the file and never quoting it: in `dir` (on disk) and in `git` (HEAD's tree), once each
/// although several CI systems look at every YAML file.
#[test]
fn an_oversized_ci_file_is_named_not_skipped_in_silence() {
    let dir = fixture();
    let filler = "      - run: echo Zq8-oversized-workflow-line\n".repeat(25_000);
    let big = format!("on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{filler}");
    assert!(big.len() > 1 << 20);
    fs::write(dir.path().join(".github/workflows/huge.yml"), big).expect("write");
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "fixture"]);
    for command in ["dir", "git"] {
        let run = run_in(dir.path(), &[command, "--format", "jsonl", "."]);
        let said: Vec<&str> = run.stderr.lines().filter(|l| l.contains("huge.yml")).collect();
        assert_eq!(said.len(), 1, "{command}: {}", run.stderr);
        assert!(said[0].contains("over the 1 MiB limit for CI files"), "{command}: {}", said[0]);
        assert!(!run.stderr.contains("Zq8-oversized"), "{command} quoted the file");
        // The rest of the CI model is still built: the planted cases keep their paths.
        assert!(run.stdout.lines().any(|l| l.contains("\"egress\":[{")), "{command}: no egress left");
    }
}
