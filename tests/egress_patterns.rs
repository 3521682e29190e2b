//! CI egress patterns (issue #15): each directory of `testdata/egress-patterns/` is a small
//! repository holding one pattern and its safe twin. The test runs `sprawl dir` on a copy and
//! asserts every finding with its egress paths, so that the safe twin stays silent.
use serde_json::Value;

use crate::common::{copy_dir, root, run_in};

/// `path:line rule severity reference` for each finding, each followed by its egress paths
/// (`  sink file:line severity (chain)`).
fn scan(pattern: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("testdata/egress-patterns").join(pattern), dir.path());
    let run = run_in(dir.path(), &["dir", "--format", "jsonl", "--sort"]);
    assert!(run.code <= 1, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let mut out = Vec::new();
    for f in run.findings() {
        out.push(format!(
            "{}:{} {} {} {}",
            text(&f["location"]["path"]),
            f["location"]["line"],
            text(&f["rule"]),
            text(&f["severity"]),
            text(&f["secret"]["redacted"]),
        ));
        for e in f["egress"].as_array().into_iter().flatten() {
            let chain: Vec<String> =
                e["chain"].as_array().expect("chain").iter().map(|h| text(&h["what"])).collect();
            out.push(format!(
                "  {} {}:{} {} ({})",
                text(&e["sink"]),
                text(&e["file"]),
                e["line"],
                text(&e["severity"]),
                chain.join(" → ")
            ));
        }
    }
    out
}

/// Tokens sent to their own service (GitLab, GitHub, Gemfury, a Jenkins, Slack, quay.io)
/// are used, not leaked; the same token sent elsewhere is egress: critical to an unknown
/// host, medium to another provider the rules know.
#[test]
fn a_token_sent_to_its_own_service_is_not_egress() {
    assert_eq!(
        scan("own-service"),
        [
            ".github/workflows/leak.yml:8 egress.network-send critical secrets.NPM_TOKEN",
            "  network-send .github/workflows/leak.yml:8 critical (secrets.NPM_TOKEN → curl ${{ secrets.NPM_TOKEN }} → collector.example.net)",
            ".github/workflows/leak.yml:10 egress.network-send medium secrets.NPM_TOKEN",
            "  network-send .github/workflows/leak.yml:10 medium (secrets.NPM_TOKEN → curl ${{ secrets.NPM_TOKEN }} → api.github.com)",
        ]
    );
}

/// A webhook URL secret is the request's destination (a URL in the JSON body is not); a
/// different secret in the body of a webhook post still leaves.
#[test]
fn a_webhook_url_secret_is_the_destination() {
    assert_eq!(
        scan("webhook"),
        [
            ".github/workflows/leak.yml:7 egress.network-send critical secrets.DEPLOY_KEY",
            "  network-send .github/workflows/leak.yml:7 critical (secrets.DEPLOY_KEY → curl ${{ secrets.DEPLOY_KEY }})",
        ]
    );
}

/// Multi-stage builds: the build stage's `COPY . .` does not reach an image that takes only
/// the built binary; a final stage that copies the build stage's directory whole does.
#[test]
fn only_what_reaches_the_final_stage_is_in_the_image() {
    assert_eq!(
        scan("multi-stage"),
        [
            "build/.env:2 generic.token high Vb3…R",
            "single/.env:2 generic.token high Xn5…Z",
            "  image-copy single/Dockerfile:8 high (hit SHIP_API_TOKEN → build context single → COPY . (no .dockerignore) → COPY --from=deps)",
        ]
    );
}

/// After a registry login, the tag-pinned actions of the job are one path per credential
/// (the first action that gets it); the user name is not a credential.
#[test]
fn fan_out_is_one_path_per_credential_and_sink() {
    assert_eq!(
        scan("fan-out"),
        [
            ".github/workflows/image.yml:8 egress.unpinned-action high secrets.DOCKERHUB_TOKEN",
            "  unpinned-action .github/workflows/image.yml:8 high (secrets.DOCKERHUB_TOKEN → with.password → uses docker/login-action@v3)",
        ]
    );
}

/// `actions/checkout` leaves the job token in `.git/config`: uploading the workspace ships
/// it; with `persist-credentials: false` nothing is shipped.
#[test]
fn the_job_token_persisted_by_checkout_ships_with_the_workspace() {
    assert_eq!(
        scan("artipacked"),
        [
            ".github/workflows/site.yml:14 egress.artifact-upload high github.token",
            "  artifact-upload .github/workflows/site.yml:14 high (github.token → job token (contents: write) → persisted in .git/config by actions/checkout → . → actions/upload-artifact path)",
        ]
    );
}

/// A `pull_request_target` job that runs the fork's code holds the persisted job token, a
/// push credential with `contents: write` (critical); under the repository's default
/// permissions the path is high; the base checkout without it stays silent.
#[test]
fn a_fork_checkout_holds_the_persisted_job_token_as_dangerous_as_its_permissions() {
    assert_eq!(
        scan("pwn-request"),
        [
            ".github/workflows/preview.yml:12 egress.untrusted-checkout critical github.token",
            "  untrusted-checkout .github/workflows/preview.yml:12 critical (github.token → job token (contents: write, pull-requests: write) → persisted in .git/config by actions/checkout → checkout of pull request code)",
            ".github/workflows/storybook.yml:10 egress.untrusted-checkout high github.token",
            "  untrusted-checkout .github/workflows/storybook.yml:10 high (github.token → job token (repository default permissions) → persisted in .git/config by actions/checkout → checkout of pull request code)",
        ]
    );
}

/// A comment body pasted into a script of an `issue_comment` job runs the commenter's code
/// with the job's secrets; a title passed through `env:` does not.
#[test]
fn expression_injection_runs_untrusted_code_with_secrets() {
    assert_eq!(
        scan("injection"),
        [
            ".github/workflows/comment.yml:10 egress.untrusted-code critical secrets.DEPLOY_TOKEN",
            "  untrusted-code .github/workflows/comment.yml:10 critical (secrets.DEPLOY_TOKEN → env.DEPLOY_TOKEN → ${{ github.event.comment.body }} pasted into the script)",
        ]
    );
}

/// A `workflow_run` job that downloads the triggering run's artifact into the workspace and
/// runs a script there runs the pull request's output with its secrets; an artifact read
/// from a directory of its own does not.
#[test]
fn a_workflow_run_artifact_executed_is_untrusted_code() {
    assert_eq!(
        scan("workflow-run"),
        [
            ".github/workflows/report.yml:17 egress.untrusted-code critical secrets.CODECOV_TOKEN",
            "  untrusted-code .github/workflows/report.yml:17 critical (secrets.CODECOV_TOKEN → artifact coverage of the triggering run, run from the workspace)",
            ".github/workflows/report.yml:17 egress.untrusted-code high secrets.GITHUB_TOKEN",
            "  untrusted-code .github/workflows/report.yml:17 high (secrets.GITHUB_TOKEN → artifact coverage of the triggering run, run from the workspace)",
        ]
    );
}

/// A release job that restores a cache other workflows write and then publishes holds its
/// publishing secret next to what the cache brings; a test job without secrets is silent.
#[test]
fn a_cache_restored_in_a_publishing_job_is_untrusted_code() {
    assert_eq!(
        scan("cache-poisoning"),
        [
            ".github/workflows/release.yml:12 egress.untrusted-code high secrets.NPM_PUBLISH_TOKEN",
            "  untrusted-code .github/workflows/release.yml:12 high (secrets.NPM_PUBLISH_TOKEN → cache restored by actions/setup-node@v4 in a publishing job)",
        ]
    );
}

/// `secrets: inherit` to another repository's reusable workflow hands over every secret; to
/// one of this repository's workflows it is followed, not reported.
#[test]
fn inherited_secrets_leave_only_for_another_repository() {
    assert_eq!(
        scan("inherit"),
        [
            ".github/workflows/deploy.yml:7 egress.all-secrets medium secrets: inherit",
            "  all-secrets .github/workflows/deploy.yml:7 medium (secrets: inherit → uses acme/shared-workflows/.github/workflows/deploy.yml@v1)",
        ]
    );
}

/// Files in the home directory are not the repository's, but what the job wrote there (an
/// `.npmrc` with a token, `docker login`'s config) ships with an upload of `~/` or `$HOME/`
/// paths; npm's download cache does not hold it.
#[test]
fn home_directory_uploads_carry_what_the_job_wrote_there() {
    assert_eq!(
        scan("home-paths"),
        [
            ".github/workflows/publish.yml:16 egress.artifact-upload high secrets.NPM_TOKEN",
            "  artifact-upload .github/workflows/publish.yml:16 high (secrets.NPM_TOKEN → > ~/.npmrc → $HOME/.npmrc → actions/upload-artifact path)",
            ".github/workflows/publish.yml:17 egress.artifact-upload high secrets.REGISTRY_TOKEN",
            "  artifact-upload .github/workflows/publish.yml:17 high (secrets.REGISTRY_TOKEN → with.password → ~/.docker/config.json → ~/.docker → actions/upload-artifact path)",
        ]
    );
}

/// A field of a JSON secret is not masked: printed, it is high (as a transformed value);
/// passed through the environment it is not printed.
#[test]
fn a_json_secret_field_printed_is_unmasked() {
    assert_eq!(
        scan("json-secrets"),
        [
            ".github/workflows/deploy.yml:7 egress.transformed-print high secrets.DEPLOY_CONFIG",
            "  transformed-print .github/workflows/deploy.yml:7 high (secrets.DEPLOY_CONFIG → echo ${{ fromJSON(secrets.DEPLOY_CONFIG).api_key }})",
        ]
    );
}

/// `docker://image:tag` actions are pinned by a tag that can be pushed again; by digest
/// they are pinned.
#[test]
fn docker_actions_by_tag_are_unpinned() {
    assert_eq!(
        scan("docker-actions"),
        [
            ".github/workflows/deploy.yml:7 egress.unpinned-action high secrets.DEPLOY_TOKEN",
            "  unpinned-action .github/workflows/deploy.yml:7 high (secrets.DEPLOY_TOKEN → env.DEPLOY_TOKEN → uses docker://ghcr.io/acme/deployer:1.4)",
        ]
    );
}

/// A registry password written in `container.credentials` is a finding, whatever its entropy
/// (`pullonly`), with its egress entry as a literal in a CI file; one taken from the secret
/// store (`services.*.credentials`) is not a sink.
#[test]
fn container_credentials_written_in_the_workflow_are_literals() {
    assert_eq!(
        scan("container-credentials"),
        [
            ".github/workflows/test.yml:11 github-actions.registry-password high Rq7…8",
            "  ci-literal .github/workflows/test.yml:11 high (credentials.password → literal value in CI file)",
            ".github/workflows/test.yml:26 github-actions.registry-password high p…",
            "  ci-literal .github/workflows/test.yml:26 high (credentials.password → literal value in CI file)",
        ]
    );
}

/// A secret transformed into a step output, passed as a job output and printed by the job
/// that needs it, is not masked; an output without a secret stays silent.
#[test]
fn job_outputs_carry_secrets_across_jobs() {
    assert_eq!(
        scan("job-outputs"),
        [
            ".github/workflows/build.yml:20 egress.transformed-print high secrets.REGISTRY_TOKEN",
            "  transformed-print .github/workflows/build.yml:20 high (secrets.REGISTRY_TOKEN → env.REGISTRY_TOKEN → GITHUB_OUTPUT header → outputs.auth → echo ${{ needs.build.outputs.auth }})",
        ]
    );
}

/// `actions/github-script` printing a secret: transformed on the way (a variable holding its
/// base64) it escapes masking; verbatim it is masked (medium). A token used in a request and
/// only named inside a string is not printed.
#[test]
fn github_script_prints_are_log_sinks() {
    assert_eq!(
        scan("github-script"),
        [
            ".github/workflows/notify.yml:15 egress.transformed-print high secrets.DEPLOY_TOKEN",
            "  transformed-print .github/workflows/notify.yml:15 high (secrets.DEPLOY_TOKEN → env.DEPLOY_TOKEN → script token → script encoded → github-script core.info)",
            ".github/workflows/notify.yml:16 egress.log-print medium secrets.API_KEY",
            "  log-print .github/workflows/notify.yml:16 medium (secrets.API_KEY → github-script console.log)",
        ]
    );
}

/// A build that names its target stage (`docker/build-push-action` `target:`) pushes that
/// stage's image: the sources copied into the build stage do not reach it, though the last
/// stage starts from there. The twin, built without a target, pushes its last stage.
#[test]
fn the_build_target_stage_is_the_image() {
    assert_eq!(
        scan("build-target"),
        [
            "app/.env:2 generic.token high Kt4…R",
            "tools/.env:2 generic.token high Pm6…T",
            "  image-copy tools/Dockerfile:4 critical (hit TOOL_API_TOKEN → build context tools → COPY . (no .dockerignore) → docker push)",
        ]
    );
}
