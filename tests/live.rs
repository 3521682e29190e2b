//! `--validate`: the built binary asks fake providers, reached by their real host names
//! through a CONNECT proxy named by `HTTPS_PROXY` and trusted through `SSL_CERT_FILE`.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::common::tls::{stranger_ca, Reply, World};
use crate::common::{valid_github_token, Run};

/// `n` characters of [A-Za-z0-9] that look random, from `seed` (made at test time so that
/// no credential-shaped literal is committed).
fn noise(seed: &str, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x: u64 =
        seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

fn upper(seed: &str, n: usize) -> String {
    noise(seed, n * 3).chars().filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit()).take(n).collect()
}

struct Secrets {
    github_live: String,
    github_revoked: String,
    slack: String,
    telegram: String,
    aws_id: String,
    aws_secret: String,
    stripe: String,
}

impl Secrets {
    fn new() -> Self {
        Self {
            github_live: valid_github_token("live-github-token-seed-aZ9"),
            github_revoked: valid_github_token("revoked-github-token-seed-Qx7"),
            slack: format!("xoxb-{}-{}-{}", "4815162342", "5829301746152", noise("slack", 24)),
            telegram: format!("{}:AA{}", "7719384625", noise("telegram", 33)),
            aws_id: format!("AKIA{}", upper("aws-id", 16)),
            aws_secret: noise("aws-secret", 40),
            stripe: format!("sk_live_{}", noise("stripe", 32)),
        }
    }

    fn all(&self) -> [&str; 7] {
        [
            &self.github_live,
            &self.github_revoked,
            &self.slack,
            &self.telegram,
            &self.aws_id,
            &self.aws_secret,
            &self.stripe,
        ]
    }

    fn write(&self, dir: &std::path::Path) {
        let config = format!(
            "GITHUB_TOKEN={}\nOLD_GITHUB_TOKEN={}\nSLACK_BOT_TOKEN={}\nTELEGRAM_BOT_TOKEN={}\n\
             aws_access_key_id = {}\naws_secret_access_key = {}\nSTRIPE_KEY={}\n",
            self.github_live,
            self.github_revoked,
            self.slack,
            self.telegram,
            self.aws_id,
            self.aws_secret,
            self.stripe
        );
        std::fs::write(dir.join("settings.env"), config).unwrap();
        // The same live token again: one request per distinct secret.
        std::fs::write(dir.join("deploy.sh"), format!("export GH_TOKEN={}\n", self.github_live)).unwrap();
    }
}

const HOSTS: &[&str] =
    &["api.github.com", "slack.com", "api.telegram.org", "sts.amazonaws.com", "api.stripe.com"];

/// Providers as they answer: one live GitHub token, one revoked, Slack's own refusal,
/// Telegram rate-limiting once, AWS accepting a correctly signed request, Stripe failing.
fn providers(s: &Secrets) -> impl Fn(&crate::common::tls::Seen) -> Reply + Send + Sync + 'static {
    let (gh_live, gh_revoked) = (s.github_live.clone(), s.github_revoked.clone());
    let (telegram, aws_id) = (s.telegram.clone(), s.aws_id.clone());
    let telegram_calls = AtomicUsize::new(0);
    move |req| match req.host.as_str() {
        "api.github.com" => match req.header("Authorization") {
            Some(a) if a == format!("Bearer {gh_live}") => {
                let mut r = Reply::json(200, r#"{"login":"deploy-bot","id":4242,"type":"User"}"#);
                r.headers.push(("X-OAuth-Scopes", "repo, workflow".into()));
                r
            }
            Some(a) if a == format!("Bearer {gh_revoked}") => {
                Reply::json(401, r#"{"message":"Bad credentials"}"#)
            }
            _ => Reply::json(400, "{}"),
        },
        "slack.com" => Reply::json(200, r#"{"ok":false,"error":"invalid_auth"}"#),
        "api.telegram.org" if req.path == format!("/bot{telegram}/getMe") => {
            if telegram_calls.fetch_add(1, Ordering::SeqCst) == 0 {
                let mut r = Reply::json(429, r#"{"ok":false}"#);
                r.headers.push(("Retry-After", "1".into()));
                r
            } else {
                Reply::json(200, r#"{"ok":true,"result":{"id":7712345678,"username":"release_bot"}}"#)
            }
        }
        "sts.amazonaws.com" => {
            let signed = req.header("Authorization").is_some_and(|a| {
                a.starts_with(&format!("AWS4-HMAC-SHA256 Credential={aws_id}/"))
                    && a.contains("/us-east-1/sts/aws4_request")
            });
            if signed && req.body == "Action=GetCallerIdentity&Version=2011-06-15" {
                Reply::json(
                    200,
                    "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::210987654321:user/ci-deployer</Arn>\
                     <UserId>AIDAEXAMPLEUSERID</UserId><Account>210987654321</Account></GetCallerIdentityResult></GetCallerIdentityResponse>",
                )
            } else {
                Reply::json(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>")
            }
        }
        "api.stripe.com" => Reply::json(503, r#"{"error":"down"}"#),
        _ => Reply::json(404, "{}"),
    }
}

fn liveness_by_rule(run: &Run) -> Vec<(String, String, Value)> {
    run.findings()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["location"]["path"].as_str().unwrap_or_default().to_string(),
                f["secret"]["liveness"].clone(),
            )
        })
        .collect()
}

/// `sprawl dir --format jsonl --validate DIR` in `world`.
fn validate_dir(world: &World, dir: &std::path::Path) -> Run {
    Run::from(world.sprawl().args(["dir", "--format", "jsonl", "--validate"]).arg(dir).output().unwrap())
}

fn status_of<'a>(found: &'a [(String, String, Value)], rule: &str) -> &'a Value {
    &found.iter().find(|(r, ..)| r == rule).unwrap_or_else(|| panic!("no {rule} finding in {found:?}")).2
}

#[test]
fn providers_say_live_revoked_or_unknown() {
    let s = Secrets::new();
    let world = World::start(HOSTS, providers(&s));
    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path());
    let run = validate_dir(&world, dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = liveness_by_rule(&run);

    let github: Vec<&(String, String, Value)> =
        found.iter().filter(|(r, ..)| r == "github.pat.classic").collect();
    assert_eq!(github.len(), 3, "{found:?}");
    let live: Vec<_> = github.iter().filter(|(.., l)| l["status"] == "live").collect();
    assert_eq!(live.len(), 2, "the live token in both files: {github:?}");
    assert!(
        github.iter().any(|(.., l)| l["status"] == "revoked" && l["reason"] == "refused (401)"),
        "{github:?}"
    );
    assert_eq!(live[0].2["host"], "api.github.com");
    assert!(live[0].2["checked_at"].as_str().is_some_and(|t| t.ends_with('Z')));

    assert_eq!(status_of(&found, "slack.bot-token")["status"], "revoked");
    assert_eq!(status_of(&found, "slack.bot-token")["reason"], "invalid_auth");
    assert_eq!(status_of(&found, "telegram.bot-token")["status"], "live", "retried after 429");
    assert_eq!(status_of(&found, "aws.secret-access-key")["status"], "live");
    assert_eq!(
        status_of(&found, "aws.access-key-id")["status"],
        "live",
        "the key id shares its pair's answer"
    );
    let stripe = status_of(&found, "stripe.secret-key.live");
    assert_eq!(stripe["status"], "unknown");
    assert!(stripe["reason"].as_str().unwrap().contains("503"), "{stripe}");

    // Live facts are merged into the identity.
    let findings = run.findings();
    let gh = findings
        .iter()
        .find(|f| f["rule"] == "github.pat.classic" && f["secret"]["liveness"]["status"] == "live")
        .unwrap();
    assert_eq!(gh["identity"]["live"]["login"], "deploy-bot");
    assert_eq!(gh["identity"]["live"]["scopes"], "repo, workflow");
    let aws = findings.iter().find(|f| f["rule"] == "aws.secret-access-key").unwrap();
    assert_eq!(aws["identity"]["live"]["arn"], "arn:aws:iam::210987654321:user/ci-deployer");

    // One request per distinct secret (Telegram twice: the 429, then the retry), and only
    // to the built-in hosts.
    let requests = world.requests();
    let to = |host: &str| requests.iter().filter(|r| r.host == host).count();
    assert_eq!(to("api.github.com"), 2, "{requests:?}");
    assert_eq!(to("api.telegram.org"), 2);
    assert_eq!(to("sts.amazonaws.com"), 1);
    assert_eq!(to("api.stripe.com"), 3, "three attempts on 503");
    assert!(world.connects().iter().all(|h| HOSTS.contains(&h.as_str())), "{:?}", world.connects());

    // The secrets never reach the output or the log (the AWS key id is an identifier, shown
    // as the identity; its secret key is not).
    for secret in s.all().into_iter().filter(|x| *x != s.aws_id) {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "a raw secret was printed");
    }
}

#[test]
fn every_format_shows_what_the_provider_said() {
    let s = Secrets::new();
    let world = World::start(HOSTS, providers(&s));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ci.env"), format!("GITHUB_TOKEN={}\n", s.github_live)).unwrap();
    std::fs::write(dir.path().join("old.env"), format!("GITHUB_TOKEN={}\n", s.github_revoked)).unwrap();
    let run = |format: &str| {
        Run::from(
            world
                .sprawl()
                .args(["dir", "--color", "never", "--validate", "--format", format])
                .arg(dir.path())
                .output()
                .unwrap(),
        )
    };
    let human = run("human");
    assert!(
        human.stdout.contains("[live: login=deploy-bot, scopes=repo, workflow, type=User, user_id=4242]"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("[revoked: refused (401)]"), "{}", human.stdout);

    let sarif: Value = serde_json::from_str(&run("sarif").stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let live =
        results.iter().find(|r| r["properties"]["liveness"]["status"] == "live").expect("a live result");
    assert!(live["message"]["text"].as_str().unwrap().contains("Checked with api.github.com at "), "{live}");

    let inventory: Value = serde_json::from_str(&run("inventory").stdout).unwrap();
    let rows = inventory.as_array().expect("inventory rows");
    assert_eq!(rows[0]["live"], "live", "live identities first: {inventory}");
    assert_eq!(rows[0]["live_facts"]["login"], "deploy-bot");
    assert!(rows.iter().any(|r| r["live"] == "revoked"));
}

#[test]
fn without_validate_no_socket_is_opened() {
    let s = Secrets::new();
    let world = World::start(HOSTS, providers(&s));
    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path());
    let run = Run::from(world.sprawl().args(["dir", "--format", "jsonl"]).arg(dir.path()).output().unwrap());
    assert_eq!(run.code, 1);
    assert!(run.findings().iter().all(|f| f["secret"].get("liveness").is_none()));
    std::thread::sleep(Duration::from_millis(200));
    assert!(world.connects().is_empty(), "{:?}", world.connects());
}

#[test]
fn an_untrusted_certificate_is_never_sent_a_secret() {
    let s = Secrets::new();
    let world = World::start(HOSTS, providers(&s));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ci.env"), format!("GITHUB_TOKEN={}\n", s.github_live)).unwrap();
    let ca = stranger_ca(dir.path());
    let out = world
        .sprawl()
        .env("SSL_CERT_FILE", &ca)
        .args(["dir", "--format", "jsonl", "--validate"])
        .arg(dir.path().join("ci.env"))
        .output()
        .unwrap();
    let run = Run::from(out);
    let found = liveness_by_rule(&run);
    let l = status_of(&found, "github.pat.classic");
    assert_eq!(l["status"], "unknown");
    assert_eq!(l["reason"], "TLS: certificate not trusted", "{l}");
    assert_eq!(world.connects(), vec!["api.github.com"]);
    assert!(world.requests().is_empty(), "the request must not pass an unverified handshake");
}

#[test]
fn a_slow_provider_is_cut_off_by_the_budget() {
    let s = Secrets::new();
    let world = World::start(HOSTS, |_| Reply { delay: Duration::from_secs(20), ..Reply::json(200, "{}") });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ci.env"), format!("GITHUB_TOKEN={}\n", s.github_live)).unwrap();
    let out = world
        .sprawl()
        .args(["dir", "--format", "jsonl", "--validate", "--validate-timeout", "2"])
        .arg(dir.path())
        .output()
        .unwrap();
    let run = Run::from(out);
    let found = liveness_by_rule(&run);
    let l = status_of(&found, "github.pat.classic");
    assert_eq!(l["status"], "unknown");
    assert_eq!(l["reason"], "timed out", "{l}");
}

#[test]
fn no_proxy_sends_a_host_direct() {
    // With the provider host exempted from the proxy, sprawl connects directly: here, to a
    // name that does not resolve, so the answer is unknown and the proxy sees nothing.
    let s = Secrets::new();
    let world = World::start(HOSTS, providers(&s));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ci.env"), format!("GITHUB_TOKEN={}\n", s.github_live)).unwrap();
    let out = world
        .sprawl()
        .env("NO_PROXY", ".github.com")
        .args(["dir", "--format", "jsonl", "--validate", "--validate-timeout", "5"])
        .arg(dir.path())
        .output()
        .unwrap();
    let run = Run::from(out);
    let found = liveness_by_rule(&run);
    assert_eq!(status_of(&found, "github.pat.classic")["status"], "unknown");
    assert!(world.connects().is_empty(), "{:?}", world.connects());
}

#[test]
fn history_stdin_and_sweeps_are_validated_once_per_secret() {
    use crate::common::git;
    let s = Secrets::new();
    let world = World::start(HOSTS, providers(&s));
    let root = tempfile::tempdir().unwrap();
    // Two repositories; each committed the live token and then removed it: a credential
    // gone from HEAD that still authenticates was never rotated.
    for name in ["billing", "infra"] {
        let repo = root.path().join("repos").join(name);
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        std::fs::write(repo.join("ci.env"), format!("GITHUB_TOKEN={}\n", s.github_live)).unwrap();
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-qm", "add"]);
        std::fs::write(repo.join("ci.env"), "GITHUB_TOKEN=${GITHUB_TOKEN}\n").unwrap();
        git(&repo, &["commit", "-qam", "remove"]);
    }

    let history = Run::from(
        world
            .sprawl()
            .args(["git", "--format", "jsonl", "--validate"])
            .arg(root.path().join("repos/infra"))
            .output()
            .unwrap(),
    );
    let f = &history.findings()[0];
    assert_eq!(f["git"]["at_head"], false);
    assert_eq!(f["secret"]["liveness"]["status"], "live", "{f}");
    // Hits spilled to the temporary file keep their raw values in memory: validated alike.
    let spilled = Run::from(
        world
            .sprawl()
            .env("SPRAWL_SPILL_BUDGET", "1")
            .args(["git", "--format", "jsonl", "--validate"])
            .arg(root.path().join("repos/infra"))
            .output()
            .unwrap(),
    );
    assert_eq!(spilled.findings()[0]["secret"]["liveness"]["status"], "live", "{}", spilled.stdout);

    let stdin = world
        .sprawl()
        .args(["stdin", "--format", "jsonl", "--validate"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(format!("token: {}\n", s.github_revoked).as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let stdin = Run::from(stdin);
    assert_eq!(stdin.findings()[0]["secret"]["liveness"]["status"], "revoked");

    let before = world.requests().len();
    let sweep = Run::from(
        world
            .sprawl()
            .args(["sweep", "--format", "jsonl", "--validate"])
            .arg(root.path().join("repos"))
            .output()
            .unwrap(),
    );
    let found: Vec<Value> = sweep.findings().into_iter().filter(|f| f["type"] == "finding").collect();
    assert_eq!(found.len(), 2, "{}", sweep.stdout);
    assert!(found.iter().all(|f| f["secret"]["liveness"]["status"] == "live"), "{}", sweep.stdout);
    assert_eq!(world.requests().len() - before, 1, "one request for the secret both repositories hold");
}

/// Answers a provider should never give: HTML where JSON belongs, truncated JSON, JSON
/// without the verdict, a body over the 1 MiB read limit. Each secret gets a status, the
/// undecidable ones `unknown` with a reason; nothing panics and no secret is printed.
#[test]
fn malformed_answers_are_unknown_with_a_reason() {
    let s = Secrets::new();
    let world = World::start(HOSTS, |req: &crate::common::tls::Seen| match req.host.as_str() {
        "api.github.com" => Reply::json(200, "<html><body>Service Unavailable</body>"),
        "slack.com" => Reply::json(200, r#"{"ok":"#),
        "api.telegram.org" => Reply::json(200, &format!(r#"{{"ok":true,"pad":"{}"}}"#, "a".repeat(2 << 20))),
        "api.stripe.com" => Reply::json(200, r#"{"object":"balance"}"#),
        "sts.amazonaws.com" => Reply::json(200, "not xml at all"),
        _ => Reply::json(404, "{}"),
    });
    let dir = tempfile::tempdir().unwrap();
    s.write(dir.path());
    let run = validate_dir(&world, dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let found = liveness_by_rule(&run);
    let slack = status_of(&found, "slack.bot-token");
    assert_eq!(slack["status"], "unknown", "{slack}");
    assert!(slack["reason"].as_str().is_some_and(|r| r.contains("no verdict")), "{slack}");
    let telegram = status_of(&found, "telegram.bot-token");
    assert_eq!(telegram["status"], "unknown", "a body over the limit is not read whole: {telegram}");
    assert!(telegram["reason"].as_str().is_some_and(|r| !r.is_empty()), "{telegram}");
    // A 200 from an endpoint that answers only to valid credentials is their verdict, even
    // when the body tells nothing more: live, with no identity facts made up.
    let findings = run.findings();
    let gh = findings.iter().find(|f| f["rule"] == "github.pat.classic").unwrap();
    assert_eq!(gh["secret"]["liveness"]["status"], "live");
    assert!(gh["identity"]["live"].get("login").is_none(), "{}", gh["identity"]);
    let aws = findings.iter().find(|f| f["rule"] == "aws.secret-access-key").unwrap();
    assert!(aws["identity"]["live"].get("arn").is_none(), "{}", aws["identity"]);
    for secret in s.all().into_iter().filter(|x| *x != s.aws_id) {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "a raw secret was printed");
    }
}

/// A sweep with `--state` asks again about the open findings on every run, even when no ref
/// moved, and records when a credential it had found live stopped working: `revoked_at`, in
/// the finding and in the inventory, kept on later runs.
#[test]
fn sweeps_record_when_a_live_credential_was_revoked() {
    use crate::common::git;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let token = valid_github_token("rotated-github-token-seed-Lm4");
    let rotated = Arc::new(AtomicBool::new(false));
    let world = {
        let (token, rotated) = (token.clone(), rotated.clone());
        World::start(&["api.github.com"], move |req: &crate::common::tls::Seen| {
            let ours = req.header("Authorization") == Some(format!("Bearer {token}").as_str());
            match (ours, rotated.load(Ordering::SeqCst)) {
                (true, false) => Reply::json(200, r#"{"login":"release-bot","id":77,"type":"User"}"#),
                _ => Reply::json(401, r#"{"message":"Bad credentials"}"#),
            }
        })
    };
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("repos/payments");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("deploy.env"), format!("GITHUB_TOKEN={token}\n")).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "deploy settings"]);
    let state = root.path().join("state");
    let sweep = |format: &str| {
        Run::from(
            world
                .sprawl()
                .args(["sweep", "--format", format, "--validate", "--state"])
                .arg(&state)
                .arg(root.path().join("repos"))
                .output()
                .unwrap(),
        )
    };
    let liveness = |run: &Run| -> Value {
        let found: Vec<Value> = run.findings().into_iter().filter(|f| f["type"] == "finding").collect();
        assert_eq!(found.len(), 1, "{}", run.stdout);
        found[0]["secret"]["liveness"].clone()
    };

    let first = liveness(&sweep("jsonl"));
    assert_eq!(first["status"], "live", "{first}");
    assert!(first.get("revoked_at").is_none(), "{first}");

    rotated.store(true, Ordering::SeqCst);
    let asked = world.requests().len();
    let second = liveness(&sweep("jsonl"));
    assert_eq!(world.requests().len() - asked, 1, "nothing moved, yet the open finding is asked about again");
    assert_eq!(second["status"], "revoked", "{second}");
    assert_eq!(second["last_live_at"], first["checked_at"], "{second}");
    assert_eq!(second["revoked_at"], second["checked_at"], "{second}");

    let third = liveness(&sweep("jsonl"));
    assert_eq!(third["revoked_at"], second["revoked_at"], "the first revoked check is kept: {third}");
    // The inventory (JSON when not on a terminal) dates the identity's revocation.
    let inventory = sweep("inventory");
    let rows: Value = serde_json::from_str(&inventory.stdout).unwrap();
    assert_eq!(rows[0]["live"], "revoked", "{}", inventory.stdout);
    assert_eq!(rows[0]["revoked_at"], second["revoked_at"], "{}", inventory.stdout);
    assert!(!inventory.stdout.contains(&token) && !inventory.stderr.contains(&token));
    // On a terminal, the LIVE column says since when.
    let mut table = world.sprawl();
    table
        .args(["sweep", "--format", "inventory", "-q", "--state"])
        .arg(&state)
        .arg(root.path().join("repos"));
    let day = second["revoked_at"].as_str().unwrap().get(..10).unwrap().to_string();
    let shown = crate::common::on_terminal(&table, 120);
    assert!(shown.contains(&format!("revoked {day}")), "{shown}");
}

/// An RSA key made by `openssl` for this test: (PEM PKCS#8, public key as PKCS#1 DER).
fn rsa_key(dir: &std::path::Path, name: &str) -> (String, Vec<u8>) {
    let pem = dir.join(format!("{name}.pem"));
    let der = dir.join(format!("{name}.der"));
    let run = |args: &[&std::ffi::OsStr]| {
        let ok = std::process::Command::new("openssl").args(args).output().unwrap().status.success();
        assert!(ok, "openssl {args:?}");
    };
    run(&["genpkey".as_ref(), "-algorithm".as_ref(), "RSA".as_ref(), "-out".as_ref(), pem.as_os_str()]);
    run(&[
        "rsa".as_ref(),
        "-in".as_ref(),
        pem.as_os_str(),
        "-RSAPublicKey_out".as_ref(),
        "-outform".as_ref(),
        "DER".as_ref(),
        "-out".as_ref(),
        der.as_os_str(),
    ]);
    (std::fs::read_to_string(pem).unwrap(), std::fs::read(der).unwrap())
}

/// A service-account key file as Google generates it.
fn service_account_file(key_id: &str, email: &str, pem: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "type": "service_account",
        "project_id": "ledger-prod-4821",
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": email,
        "client_id": "104857392019283746501",
        "token_uri": "https://oauth2.googleapis.com/token",
    }))
    .unwrap()
}

/// A GCP service-account key is live when Google's token endpoint accepts a JWT signed with
/// it (checked here with the key's public half) for the account the file names; the token's
/// introspection gives the account and scopes. A deleted key is refused: revoked.
#[test]
fn gcp_service_account_keys_are_exchanged_for_a_token() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let keys = tempfile::tempdir().unwrap();
    let (live_pem, live_public) = rsa_key(keys.path(), "live");
    let (deleted_pem, _) = rsa_key(keys.path(), "deleted");
    let email = "ledger-deployer@ledger-prod-4821.iam.gserviceaccount.com";
    let live_id: String =
        noise("gcp-live-key-id", 200).chars().filter(char::is_ascii_hexdigit).take(40).collect();
    let deleted_id: String = noise("gcp-deleted-key-id", 200)
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(40)
        .collect::<String>()
        .to_lowercase();
    let live_id = live_id.to_lowercase();
    let access = format!("ya29.{}", noise("gcp-access-token", 60));

    let world = {
        let (access, email, live_id) = (access.clone(), email.to_string(), live_id.clone());
        World::start(&["oauth2.googleapis.com"], move |req: &crate::common::tls::Seen| {
            if req.method == "GET" && req.path == format!("/tokeninfo?access_token={access}") {
                return Reply::json(
                    200,
                    &format!(
                        r#"{{"email":"{email}","scope":"https://www.googleapis.com/auth/cloud-platform.read-only https://www.googleapis.com/auth/userinfo.email","expires_in":"598"}}"#
                    ),
                );
            }
            let refused =
                Reply::json(400, r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#);
            let Some(jwt) = req
                .body
                .strip_prefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=")
            else {
                return Reply::json(400, r#"{"error":"unsupported_grant_type"}"#);
            };
            let parts: Vec<&str> = jwt.split('.').collect();
            let json = |i: usize| -> Value {
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[i]).unwrap()).unwrap()
            };
            let (header, claims) = (json(0), json(1));
            let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
            let verified = ring::signature::UnparsedPublicKey::new(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                &live_public,
            )
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .is_ok();
            let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
            let well_formed = header["alg"] == "RS256"
                && claims["iss"] == email.as_str()
                && claims["aud"] == "https://oauth2.googleapis.com/token"
                && claims["scope"].as_str().is_some_and(|s| s.contains("cloud-platform.read-only"))
                && (1..=3600).contains(&lifetime);
            if verified && well_formed && header["kid"] == live_id.as_str() {
                Reply::json(
                    200,
                    &format!(r#"{{"access_token":"{access}","expires_in":599,"token_type":"Bearer"}}"#),
                )
            } else {
                refused
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deployer.json"), service_account_file(&live_id, email, &live_pem))
        .unwrap();
    std::fs::write(
        dir.path().join("old-deployer.json"),
        service_account_file(&deleted_id, email, &deleted_pem),
    )
    .unwrap();
    let run = validate_dir(&world, dir.path());
    let findings = run.findings();
    let find = |file: &str, rule: &str| {
        findings
            .iter()
            .find(|f| f["location"]["path"].as_str().is_some_and(|p| p.ends_with(file)) && f["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} in {file}: {}", run.stdout))
    };
    let live = find("/deployer.json", "gcp.service-account-key");
    assert_eq!(live["secret"]["liveness"]["status"], "live", "{live}");
    assert_eq!(live["secret"]["liveness"]["host"], "oauth2.googleapis.com");
    assert_eq!(live["identity"]["live"]["email"], email, "{}", live["identity"]);
    assert!(live["identity"]["live"]["scopes"].as_str().unwrap().contains("cloud-platform.read-only"));
    let key = find("/deployer.json", "private-key.pkcs8");
    assert_eq!(key["secret"]["liveness"]["status"], "live", "the key gets its pair's answer: {key}");
    let deleted = find("/old-deployer.json", "gcp.service-account-key");
    assert_eq!(deleted["secret"]["liveness"]["status"], "revoked", "{deleted}");
    assert_eq!(deleted["secret"]["liveness"]["reason"], "invalid_grant");
    let asked: Vec<String> = world.requests().iter().map(|r| format!("{} {}", r.method, r.host)).collect();
    assert_eq!(asked.len(), 3, "two exchanges and one introspection: {asked:?}");
    let body_line = live_pem.lines().nth(3).unwrap();
    for secret in [access.as_str(), body_line] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "a secret was printed");
    }
}
