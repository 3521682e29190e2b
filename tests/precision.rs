//! Shapes measured on other scanners' suites and on real histories (2026-12-05), on real files
//! scanned by the built binary: credentials that were missed are found by the rule meant for
//! them, and the code, routes, stand-ins and fixtures that were reported stay quiet.
use std::path::Path;

use base64::Engine;

use crate::common::{run_in, write};

/// `sprawl dir` on the tree: (path, rule) of every finding, sorted.
fn scan(dir: &Path) -> Vec<(String, String)> {
    let run = run_in(dir, &["dir", "--format", "jsonl", "."]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let mut out: Vec<_> = run
        .findings()
        .iter()
        .map(|f| {
            let s = |k: &str| f.pointer(k).and_then(|v| v.as_str()).expect("string").to_string();
            (s("/location/path"), s("/rule"))
        })
        .collect();
    out.sort();
    out
}

/// Lower-case hex of `n` bytes counted from `seed`: a value nobody would pick for a fixture.
fn hex(seed: u8, n: usize) -> String {
    (0..n)
        .map(|i| format!("{:02x}", seed.wrapping_mul(31).wrapping_add((i as u8).wrapping_mul(97))))
        .collect()
}

#[test]
fn leftover_shapes_are_found_by_their_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pw = ["Zq8w", "Lm3v", "R7tY", "1pXn"].concat();
    write(d, "settings.py", format!("hostname = '10.0.0.7'\npassword = '`{pw}'\n"));
    write(
        d,
        "config/newrelic.yml",
        format!(
            "common: &default_settings\n  # Required license key associated with your New Relic account.\n  license_key: {}\n",
            hex(7, 20)
        ),
    );
    write(
        d,
        "scripts/token.sh",
        format!(
            "curl -X POST 'https://auth.example.net/oauth2/token?grant_type=client_credentials&client_id=app&client_secret={pw}{pw}'\n"
        ),
    );
    write(
        d,
        "scripts/build.sh",
        format!("curl -X POST -u release-bot:11{} https://ci.example.org/job/deploy/build\n", hex(3, 16)),
    );
    write(
        d,
        "logs/jenkins.log",
        format!(
            "Please use the following password to proceed to installation:\n\n{}\n\nThis may also be found at: /var/jenkins_home/secrets/initialAdminPassword\n",
            hex(9, 16)
        ),
    );
    write(d, "ci/Trigger.cs", "// Jenkins query token\nreadonly static string jenkinsToken = \"3f6c1a2e-9b7d-4e50-8a1c-d2f4b6e8a0c9\";\n");
    // A PEM private key base64-encoded and cut short: it does not decode whole.
    let pem = format!("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA{}\n", pw.repeat(8));
    let encoded = base64::engine::general_purpose::STANDARD.encode(pem);
    write(d, "deploy/.env", format!("PRIVATE_KEY_B64={}\n", &encoded[..encoded.len() - 3]));
    let all = scan(d);
    let expect = [
        ("ci/Trigger.cs", "jenkins.trigger-token"),
        ("config/newrelic.yml", "newrelic.license-key.legacy"),
        ("deploy/.env", "private-key.base64-partial"),
        ("logs/jenkins.log", "jenkins.initial-admin-password"),
        ("scripts/build.sh", "jenkins.api-token.basic-auth"),
        ("scripts/token.sh", "url.query-credential"),
        ("settings.py", "generic.password"),
    ];
    assert_eq!(all, expect.map(|(p, r)| (p.to_string(), r.to_string())).to_vec());
}

/// A base64 PEM key that decodes whole is found once, by the key's own rule on the decoded text.
#[test]
fn a_whole_base64_key_is_found_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let body = ["Zq8w", "Lm3v", "R7tY", "1pXn"].concat().repeat(6);
    let pem = format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n{body}\n-----END RSA PRIVATE KEY-----\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(pem);
    write(d, "deploy/.env", format!("PRIVATE_KEY_B64={encoded}\n"));
    assert_eq!(scan(d), vec![("deploy/.env".to_string(), "private-key.rsa".to_string())]);
}

/// What a Django jump server's and a Rails map site's histories had in the places generic
/// rules look: selectors, endpoints, routes, stand-ins, values signed for a fake fixture,
/// option and type names compared with a password.
#[test]
fn code_routes_and_stand_ins_stay_quiet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let b64 = |t: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t);
    // The JWS form and Django's `payload:timestamp:signature`, each signing a lorem word.
    let jws =
        |word: &str| format!("{}.{}.{}", b64(r#"{"alg":"HS256"}"#), b64(&format!("\"{word}\"")), hex(5, 16));
    let django = |word: &str| format!("{}:1bwVUl:{}", b64(&format!("\"{word}\"")), hex(6, 14));
    write(
        d,
        "apps/fixtures/fake.json",
        format!(
            "[{{\"model\": \"assets.adminuser\", \"fields\": {{\"username\": \"mary\", \"_password\": \"{}\"}}}},\n {{\"model\": \"assets.adminuser\", \"fields\": {{\"username\": \"joe\", \"_password\": \"{}\"}}}}]\n",
            jws("sit"),
            django("aliquam")
        ),
    );
    write(d, "apps/assets/const/protocol.py", "    'password_selector': 'name=password',\n");
    write(
        d,
        "apps/assets/playbooks/example/manifest.yml",
        "vars:\n  account:\n    username: test\n    password: teset123\n    public_key: test\n",
    );
    write(
        d,
        "apps/im/dingtalk.py",
        "GET_USER_ACCESSTOKEN = 'https://api.corp-chat.net/v1.0/oauth2/userAccessToken'\n",
    );
    write(
        d,
        "apps/conf.py",
        "CONFIG = {\n    'AUTH_OPENID_PROVIDER_TOKEN_ENDPOINT': '/realms/{}/protocol/openid-connect/token',\n}\n",
    );
    write(d, "iac/README.md", "```\nBOOTSTRAP_TOKEN=YourBootstrapToken24Chars\n```\n");
    write(d, "jasset/views.py", "    add_asset(name,\n              password_common=j_password)\n");
    write(d, "modules/user.py", "if password is None and update_password == 'always':\n    pass\n");
    write(d, "static/encrypt.js", "if (typeof password === 'number') {\n  password = String(password);\n}\n");
    write(
        d,
        "config/routes.rb",
        "  match \"/user/reset-password\" => \"users#reset_password\", :via => [:get, :post]\n  get \"forgot-password\" => \"passwords#new\"\n  match \"/oauth/access_token\" => \"oauth#access_token\", :via => [:get, :post]\n",
    );
    write(
        d,
        "test/helper.rb",
        "  @access_token_string=\"oauth_token=access_token&oauth_token_secret=access_secret\"\n",
    );
    assert_eq!(scan(d), vec![]);
}

/// A name holding two generic keywords (`API_KEY_SECRET`: `api_key` and `secret`) is one
/// credential: reported once, not once per generic rule.
#[test]
fn a_value_under_two_generic_names_is_one_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    write(
        d,
        "app.env",
        "API_KEY_SECRET = \"q8Vr2LmX9tKp4WzN7bHc\"\nSECRET_TOKEN = \"Zt5mQ1xW8kR3vB6nL0pY\"\n",
    );
    let found = scan(d);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|(_, rule)| rule.starts_with("generic.")), "{found:?}");
}

/// Hex of a digest's length and UUIDs (2026-12-04, fifth session): the credential under a
/// credential's name (Rails' `secret_key_base`, a Keycloak client secret, a 64-hex relay
/// token), a digest or an identifier under a name that says so, typed by hand in mixed
/// case, or the digest of nothing. With them: a Dockerfile `ARG` default, a Vault token
/// that reads like a member access, a Telegram token under a Telegram name.
#[test]
fn digest_shaped_values_under_credential_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let h = hex(11, 16);
    let uuid = format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]);
    let pw = ["Zq8w", "Lm3v", "R7tY", "1pXn"].concat();
    write(d, "config/secrets.yml", format!("production:\n  secret_key_base: {}\n", hex(5, 64)));
    write(d, "relay/main.go", format!("var relayToken = \"{}\"\n", hex(13, 32)));
    write(d, "auth/settings.py", format!("OIDC_RP_CLIENT_SECRET = '{uuid}'\n"));
    write(d, "Dockerfile", format!("FROM alpine\nARG deploy_token={pw}\n"));
    write(d, "ci/vault.yml", format!("token: s.{pw}Hb1F2kQ9\n"));
    write(d, "bot/.env", format!("TELEGRAM_TOKEN=7310928465:{pw}-{pw}_a\n"));
    let mixed: String = hex(17, 20)
        .chars()
        .enumerate()
        .map(|(i, c)| if i % 3 == 0 { c.to_ascii_uppercase() } else { c })
        .collect();
    write(
        d,
        "quiet/lock.yml",
        format!(
            "token_sha256: {}\ncommitToken: {}\ntokenId: {uuid}\napi_key: {mixed}\nsecret: da39a3ee5e6b4b0d3255bfef95601890afd80709\n",
            hex(19, 32),
            hex(23, 20)
        ),
    );
    let expect = [
        ("Dockerfile", "generic.token"),
        ("auth/settings.py", "generic.secret"),
        ("bot/.env", "telegram.bot-token.named"),
        ("ci/vault.yml", "generic.token"),
        ("config/secrets.yml", "generic.secret"),
        ("relay/main.go", "generic.token"),
    ];
    assert_eq!(scan(d), expect.map(|(p, r)| (p.to_string(), r.to_string())).to_vec());
}
