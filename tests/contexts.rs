//! Credentials in their contexts, on real files scanned by the built binary: command lines
//! and HTTP headers (with the login they name), and what documentation and test suites
//! write in the same places that must stay quiet.
use std::path::Path;

use base64::Engine;
use serde_json::Value;

use crate::common::{run_in, write};

/// `sprawl dir` on the tree: findings as (path, rule, identity id).
fn scan(dir: &Path) -> Vec<(String, String, String)> {
    let run = run_in(dir, &["dir", "--format", "jsonl", "."]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let mut out: Vec<_> = run
        .findings()
        .iter()
        .map(|f: &Value| {
            let s = |v: &Value| v.as_str().expect("string").to_string();
            (s(&f["location"]["path"]), s(&f["rule"]), s(&f["identity"]["id"]))
        })
        .collect();
    out.sort();
    out
}

fn found(all: &[(String, String, String)], path: &str) -> Vec<(String, String)> {
    all.iter().filter(|(p, ..)| p == path).map(|(_, r, i)| (r.clone(), i.clone())).collect()
}

/// A password nobody would pick for a fixture, built here so that no scanner sees it in the
/// source: `Zq8wLm3vR7tY1pXn`.
fn pw() -> String {
    ["Zq8w", "Lm3v", "R7tY", "1pXn"].concat()
}

#[test]
fn command_lines_and_headers_name_their_login() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pw = pw();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("ci-bot:{pw}"));
    write(
        d,
        "deploy.sh",
        format!(
            "#!/bin/sh\ncurl -fsS \\\n  --user 'deploy:{pw}' \\\n  https://artifacts.example.com/upload\n"
        ),
    );
    write(
        d,
        "docs/api.md",
        format!("```\ncurl -H 'Authorization: Basic {basic}' https://api.example.com/v1/me\n```\n"),
    );
    write(d, "ci/login.sh", format!("docker login -u ci-bot -p {pw} registry.example.com\n"));
    write(d, "ops/db.sh", format!("mysql -h db.example.com -u app -p{pw} orders < dump.sql\n"));
    write(d, "ops/copy.sh", format!("sshpass -p '{pw}' scp app.tgz ops@build.example.com:/srv/\n"));
    write(d, "ops/helm.sh", format!("helm install db ./chart --set auth.username=app,auth.password={pw}\n"));
    write(d, "ops/push.ps1", format!("$pw = ConvertTo-SecureString '{pw}' -AsPlainText -Force\n"));
    write(d, "web/client.js", format!("fetch(u, {{ headers: {{ 'Authorization': 'Bearer {pw}' }} }});\n"));
    let all = scan(d);
    let one = |path: &str, rule: &str, id: &str| {
        assert_eq!(found(&all, path), vec![(rule.to_string(), id.to_string())], "{path}: {all:?}");
    };
    one("deploy.sh", "cmdline.curl-user", "login:deploy@artifacts.example.com");
    one("docs/api.md", "http.authorization-basic", "login:ci-bot@api.example.com");
    one("ci/login.sh", "cmdline.docker-login", "login:ci-bot@registry.example.com");
    one("ops/db.sh", "cmdline.mysql-password", "login:app@db.example.com");
    one("ops/copy.sh", "cmdline.sshpass", "login:ops@build.example.com");
    assert_eq!(found(&all, "ops/helm.sh").len(), 1, "{all:?}");
    assert_eq!(found(&all, "ops/push.ps1").len(), 1, "{all:?}");
    assert_eq!(found(&all, "web/client.js")[0].0, "http.authorization-token");
    // The password never reaches the output.
    let run = run_in(d, &["dir", "--format", "json", "."]);
    assert!(!run.stdout.contains(&pw) && !run.stderr.contains(&pw));
}

/// What curl's own test suite and the RFCs write: trivial logins, references and the
/// documented example values.
#[test]
fn documentation_logins_are_not_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let lines = [
        "curl -u user:secret http://127.0.0.1:%HTTPPORT/%TESTNUMBER".to_string(),
        "curl -u testuser:testpass --anyauth http://example.com/".to_string(),
        "curl -u kurt:xipj3plmq ftp://ftp.example.com/".to_string(),
        "curl -u \"$USER:$PASSWORD\" https://example.com/".to_string(),
        format!("Authorization: Basic {}", b64("Aladdin:open sesame")),
        format!("Authorization: Basic {}", b64("user:secret")),
        format!("Authorization: Basic {}", b64("testuser:testpass")),
        "Authorization: Bearer mF_9.B5f-4.1JqM".to_string(),
        "Authorization: Bearer ${ACCESS_TOKEN}".to_string(),
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request"
            .to_string(),
        "mysql -u root -p orders".to_string(),
        "docker login -u ci --password-stdin registry.example.com".to_string(),
        "sshpass -p \"$SSH_PASS\" ssh deploy@build.example.com".to_string(),
    ];
    write(d, "tests/data/test1.txt", lines.join("\n"));
    assert_eq!(scan(d), vec![]);
}

#[test]
fn credential_files_name_user_and_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pw = pw();
    write(
        d,
        "build.gradle",
        format!("repositories {{\n  maven {{\n    url \"https://nexus.example.com/repository/releases/\"\n    credentials {{\n      username 'deploy'\n      password '{pw}'\n    }}\n  }}\n}}\n"),
    );
    write(d, "home/.pgpass", format!("db.example.com:5432:orders:app:{pw}\n"));
    write(d, "home/.cargo/credentials.toml", format!("[registries.internal]\ntoken = \"{pw}{pw}\"\n"));
    write(d, "auth.json", format!("{{\n  \"bearer\": {{\n    \"repo.example.com\": \"{pw}\"\n  }}\n}}\n"));
    write(
        d,
        "placeholder.gradle",
        "credentials {\n    username \"SOME_USERNAME\"\n    password \"SOME_PASSWORD\"\n}\n",
    );
    let all = scan(d);
    let one = |path: &str, rule: &str, id: &str| {
        assert_eq!(found(&all, path), vec![(rule.to_string(), id.to_string())], "{path}: {all:?}");
    };
    one("build.gradle", "gradle.repository-credentials", "login:deploy@nexus.example.com");
    one("home/.pgpass", "postgres.pgpass", "postgres://app@db.example.com:5432/orders");
    one("home/.cargo/credentials.toml", "cargo.registry-token", "login:@internal");
    one("auth.json", "composer.auth-token", "login:@repo.example.com");
    assert_eq!(found(&all, "placeholder.gradle"), vec![]);
}

/// Connection strings as code writes them: split across literals, the password first, ODBC
/// DSNs, libpq keyword strings; one finding each, never two for the same password.
#[test]
fn connection_strings_in_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pw = pw();
    write(d, "Db.cs", format!("var a = new SqlConnection(\"Server=tcp:sql01.example.com,1433;Database=orders;User Id=svc;Password={pw};\");\n"));
    write(d, "Crm.cs", format!("string cs = \"Data Source=sql02.example.com;Initial Catalog=crm;\" +\n    \"User ID=crm_app;Password={pw};\";\n"));
    write(d, "old.vbs", format!("conn.Open(\"Provider=SQLOLEDB.1;User ID=billing; \" & \"Password ={pw};Data Source=uszdba01;\")\n"));
    write(d, "etl.py", format!("dsn = \"DSN=Warehouse;UID=report;PWD={pw}\"\n"));
    write(d, "db.go", format!("cs := \"host=pg.example.com port=5432 user=app password={pw} dbname=app\"\n"));
    write(
        d,
        "docs.md",
        "Server=myServerAddress;Database=myDataBase;User Id=myUsername;Password=myPassword;\n",
    );
    let all = scan(d);
    let one = |path: &str, rule: &str, id: &str| {
        assert_eq!(found(&all, path), vec![(rule.to_string(), id.to_string())], "{path}: {all:?}");
    };
    one("Db.cs", "connection-string.joined", "db://svc@sql01.example.com:1433");
    one("Crm.cs", "connection-string.joined", "db://crm_app@sql02.example.com");
    one("old.vbs", "connection-string.password-first", "db://billing@uszdba01");
    one("etl.py", "connection-string.joined", "db://report@warehouse");
    one("db.go", "connection-string.libpq", "postgres://app@pg.example.com:5432");
    assert_eq!(found(&all, "docs.md"), vec![]);
}

/// A fake PEM private key of the given kind, made here: four lines of made-up base64.
fn pem(kind: &str) -> String {
    let body = [
        "FAKEKEYDATAFAKEKEYDATAFAKEKEYDATAFAKEKEYDATAFAKEKEYDATAFAKEKEYDA",
        "Zq8wLm3vR7tY1pXnK4sD2fG6hJ9kL0Zq8wLm3vR7tY1pXnK4sD2fG6hJ9kL0abcd",
    ];
    format!(
        "-----BEGIN {kind}PRIVATE KEY-----\n{}\n{}\n{}\n-----END {kind}PRIVATE KEY-----\n",
        body[0], body[1], body[0]
    )
}

/// Keys in code: base64-encoded PEM (one finding per key, also where a kubeconfig decoder
/// decodes the same value) and PEM split into string literals.
#[test]
fn embedded_private_keys_once_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let b64 = base64::engine::general_purpose::STANDARD.encode(pem("RSA "));
    write(d, "deploy/.env", format!("APP_NAME=shop\nPRIVATE_KEY_B64={b64}\n"));
    write(d, "kube/config", format!("users:\n- name: admin\n  user:\n    client-key-data: {b64}\n"));
    let joined: Vec<String> = pem("").lines().map(|l| format!("    \"{l}\\n\" +")).collect();
    write(
        d,
        "src/Keys.java",
        format!("class Keys {{\n  static final String KEY =\n{}\n    \"\";\n}}\n", joined.join("\n")),
    );
    let all = scan(d);
    assert_eq!(
        found(&all, "deploy/.env").iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        ["private-key.rsa"]
    );
    let kube: Vec<_> =
        found(&all, "kube/config").into_iter().filter(|(r, _)| r == "private-key.rsa").collect();
    assert_eq!(kube.len(), 1, "{all:?}");
    assert_eq!(
        found(&all, "src/Keys.java").iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        ["private-key.concatenated"]
    );
}

/// Assignment shapes of Make, PHP, Go, Kotlin, R, .NET config, XML and env lines inside JSON
/// strings are read as assignments; code, translations and selectors are not values.
#[test]
fn generic_shapes_and_code_that_is_not_a_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pw = pw();
    let shapes = [
        ("Makefile", format!("DEPLOY_TOKEN ?= {pw}{pw}\n")),
        ("conf.php", format!("$dbPassword .= '{pw}';\n")),
        ("main.go", format!("var apiToken string = \"{pw}{pw}\"\n")),
        ("App.kt", format!("val smtpPassword: String = \"{pw}\"\n")),
        ("run.R", format!("db_password <- \"{pw}\"\n")),
        ("Web.config", format!("<add key=\"SmtpPassword\" value=\"{pw}\" />\n")),
        ("app.xml", format!("<serviceToken>\n    {pw}{pw}\n</serviceToken>\n")),
        ("fixtures.json", format!("{{\"config.ini\": \"DB_PASSWORD={pw}\\nDEBUG=false\"}}\n")),
        (
            "compose.yml",
            format!("services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {pw}*^~#!%&\n"),
        ),
    ];
    for (path, text) in &shapes {
        write(d, path, text);
    }
    let code = [
        ("six.py", "MovedAttribute(\"HTTPPasswordMgr\", \"urllib2\", \"urllib.request\"),\n"),
        ("lexer.py", "            statetokens = tokendefs[statestack[-1]]\n"),
        ("ssh.py", "    secret = keypair[:32]\n"),
        ("es.js", "  \"Password\":\"Contraseña\",\n"),
        ("ui.js", "  passwordInput: '.basic_auth__password'\n"),
        ("detectors.go", "\t\tSecretParts: map[string]string{\n"),
        ("prompt.py", "    print(f\"password={password!r}\")\n"),
    ];
    for (path, text) in code {
        write(d, &format!("code/{path}"), text);
    }
    let all = scan(d);
    for (path, _) in &shapes {
        assert_eq!(found(&all, path).len(), 1, "{path}: {all:?}");
    }
    assert!(all.iter().all(|(p, ..)| !p.starts_with("code/")), "{all:?}");
}

/// Where the syntax says "this is the password" (a tool's password flag, a comparison, a
/// credentials constructor, prose, a `REACT_APP_*` variable), a weak password is reported with
/// severity `low` (SARIF level `note`), a strong one keeps the rule's severity, and references
/// and stand-ins stay quiet.
#[test]
fn weak_passwords_in_strong_contexts_are_low() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // Weak passwords, built here so that no literal sits in the source.
    let weak = ["tern", "ops", "_lake"].concat();
    write(d, "deploy.cmd", format!("psexec \\\\build01 -u EXAMPLE\\ops -p {weak} cmd /c ver\n"));
    write(d, "login.py", format!("if user == 'ops' and password == '{weak}':\n    ok()\n"));
    write(d, "README.md", format!("The default password for the user \"ops\" is \"{weak}\".\n"));
    write(d, ".env", format!("REACT_APP_ADMIN_PASSWORD={weak}\n"));
    write(d, "strong.cmd", format!("psexec \\\\build01 -u EXAMPLE\\ops -p {} cmd\n", pw()));
    write(
        d,
        "stand-ins.txt",
        "psexec \\\\h -u ops -p $Password cmd\n\
         psexec \\\\h -u ops -p mypass cmd\n\
         if password == \"password\":\n\
         the password is '<your password>'\n\
         REACT_APP_SMTP_PASSWORD=smtp_password\n\
         psexec \\\\h -u ops -p ops cmd\n",
    );
    let run = run_in(d, &["dir", "--format", "jsonl", "."]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut got: Vec<(String, String, String)> = run
        .findings()
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().expect("string").to_string();
            (s(&f["location"]["path"]), s(&f["rule"]), s(&f["severity"]))
        })
        .collect();
    got.sort();
    let want = [
        (".env", "react-app.password", "low"),
        ("README.md", "prose.password-is", "low"),
        ("deploy.cmd", "cmdline.psexec", "low"),
        ("login.py", "code.password-comparison", "low"),
        ("strong.cmd", "cmdline.psexec", "high"),
    ]
    .map(|(p, r, s)| (p.to_string(), r.to_string(), s.to_string()));
    assert_eq!(got, want);
    let sarif = run_in(d, &["dir", "--format", "sarif", "deploy.cmd"]);
    let doc: Value = serde_json::from_str(&sarif.stdout).expect("sarif json");
    assert_eq!(doc["runs"][0]["results"][0]["level"], "note", "{}", sarif.stdout);
}
