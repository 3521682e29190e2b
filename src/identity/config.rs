//! Credentials in configuration: database and service URLs, docker registry auths,
//! kubeconfig users, npm registries.
use base64::Engine;
use regex::bytes::Regex;
use std::sync::LazyLock;

use super::{jwt, Derived, Evidence};
use crate::secret::short_of;

/// Schemes of database and message-broker URLs, normalised.
fn scheme_kind(scheme: &str) -> (&str, &'static str) {
    let s = scheme.to_ascii_lowercase();
    let name = match s.as_str() {
        "postgresql" | "postgres" | "pgsql" => "postgres",
        "mysql" | "mariadb" | "mysql2" => "mysql",
        "mongodb" | "mongodb+srv" => "mongodb",
        "redis" | "rediss" => "redis",
        "amqp" | "amqps" => "amqp",
        "sqlserver" | "mssql" => "sqlserver",
        _ => "",
    };
    if name.is_empty() {
        (scheme, "url-credentials")
    } else {
        (name, "database-user")
    }
}

static URL_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^@(?P<host>[A-Za-z0-9._-]{1,253})(?::(?P<port>[0-9]{1,5}))?(?:/(?P<db>[A-Za-z0-9._-]{1,128}))?",
    )
    .expect("valid regex")
});
static SCHEME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([A-Za-z][A-Za-z0-9+.-]{1,30})://[^\s:/@]*:$").expect("valid regex"));

/// `scheme://user:password@host:port/db`, JDBC and ADO.NET strings: the service user at
/// its host, which is what a DBA would rotate. The password is never part of the id.
pub(crate) fn database_url(ev: &Evidence) -> Option<Derived> {
    let after = ev.after().get(ev.secret.len()..).unwrap_or_default();
    let tail = URL_TAIL.captures(after);
    let text = |name: &str| -> Option<String> {
        ev.group(name)
            .map(str::to_string)
            .or_else(|| tail.as_ref()?.name(name).map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned()))
    };
    let before = ev.before();
    let scheme_at = before.len().saturating_sub(200);
    let scheme = SCHEME
        .captures(&before[scheme_at..])
        .and_then(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
        .or_else(|| ev.rule.contains("jdbc").then(|| "jdbc".to_string()))
        .or_else(|| (ev.rule.contains("pgpass") || ev.rule.contains("libpq")).then(|| "postgres".to_string()))
        .unwrap_or_else(|| "db".to_string());
    let (scheme, kind) = scheme_kind(&scheme);
    let host = text("host")?;
    let user = text("user").unwrap_or_default();
    let mut id = format!("{scheme}://");
    if !user.is_empty() {
        id.push_str(&format!("{user}@"));
    }
    id.push_str(&host.to_ascii_lowercase());
    let mut d =
        Derived::new(String::new(), kind).with("scheme", scheme).with("host", host.to_ascii_lowercase());
    if let Some(port) = text("port") {
        id.push_str(&format!(":{port}"));
        d = d.with("port", port);
    }
    if let Some(db) = text("db") {
        id.push_str(&format!("/{db}"));
        d = d.with("database", db);
    }
    if !user.is_empty() {
        d = d.with("user", user);
    }
    d.id = id;
    Some(d)
}

/// Docker `auths`: the registry and the user, decoded from `base64(user:password)`.
pub(crate) fn docker_auth(ev: &Evidence) -> Option<Derived> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (registry, user) = if ev.rule == "docker.config-json-base64" {
        let json = b64.decode(ev.secret).ok()?;
        let config: serde_json::Value = serde_json::from_slice(&json).ok()?;
        let (registry, entry) = config.get("auths")?.as_object()?.iter().next()?;
        let auth = b64.decode(entry.get("auth")?.as_str()?).ok()?;
        (registry.clone(), user_of(&auth)?)
    } else if let Some(registry) = ev.group("registry") {
        let registry = if ev.rule.starts_with("azure.") {
            format!("{registry}.azurecr.io")
        } else {
            registry.to_string()
        };
        let user = b64.decode(ev.secret).ok().and_then(|a| user_of(&a)).unwrap_or_default();
        (registry, user)
    } else {
        return None;
    };
    let registry =
        registry.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/');
    let mut d =
        Derived::new(format!("docker:{registry}/{user}"), "registry-credentials").with("registry", registry);
    if !user.is_empty() {
        d = d.with("user", user);
    }
    Some(d)
}

fn user_of(auth: &[u8]) -> Option<String> {
    let auth = std::str::from_utf8(auth).ok()?;
    auth.split_once(':').map(|(u, _)| u.to_string()).filter(|u| !u.is_empty())
}

static URL_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Za-z][A-Za-z0-9+.-]{1,30}://(?:[^\s/@'\x22]{1,256}@)?([A-Za-z0-9][A-Za-z0-9.-]{0,252})")
        .expect("valid regex")
});

/// The command around a secret: its line, continued across lines ending in `\`.
fn command_after(after: &[u8]) -> &[u8] {
    let mut end = 0;
    while let Some(nl) = memchr::memchr(b'\n', &after[end..]) {
        let line = after[..end + nl].trim_ascii_end();
        if !line.ends_with(b"\\") && !line.ends_with(b"`") {
            return &after[..end + nl];
        }
        end += nl + 1;
    }
    after
}

/// A login on a command line, in an HTTP header or a client's credential file: the user
/// (a group, or decoded from the `base64(user:password)` of a Basic header) at its host or
/// registry (a group, or the first URL later in the same command).
pub(crate) fn login(ev: &Evidence) -> Option<Derived> {
    let user = ev.group("user").map(str::to_string).or_else(|| {
        let raw = base64::engine::general_purpose::STANDARD.decode(ev.secret).ok()?;
        ev.rule.contains("basic").then(|| user_of(&raw)).flatten()
    });
    let url_host = |text: &[u8], last: bool| {
        let mut hosts = URL_HOST.captures_iter(text).filter_map(|c| c.get(1));
        let m = if last { hosts.last() } else { hosts.next() }?;
        Some(String::from_utf8_lossy(m.as_bytes()).into_owned())
    };
    let host = ev.group("host").or(ev.group("registry")).map(str::to_string).or_else(|| {
        let before = ev.before();
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        url_host(command_after(ev.after()), false).or_else(|| url_host(&before[line_start..], true))
    });
    // `https://api.nuget.org/v3/index.json` names the host api.nuget.org.
    let host = host.map(|h| {
        let h = h.split_once("://").map_or(h.as_str(), |(_, rest)| rest);
        h.split('/').next().unwrap_or(h).to_ascii_lowercase()
    });
    if user.is_none() && host.is_none() {
        return None;
    }
    let id = format!("login:{}@{}", user.as_deref().unwrap_or(""), host.as_deref().unwrap_or(""));
    let mut d = Derived::new(id, "login");
    if let Some(user) = user {
        d = d.with("user", user);
    }
    if let Some(host) = host {
        d = d.with("host", host);
    }
    Some(d)
}

static SERVER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bserver:[ \t]*["']?([^\s"']{4,300})"#).expect("valid regex"));

/// A kubeconfig user: its name and the cluster server of the file; a token that is a
/// service-account JWT says which service account.
pub(crate) fn kubeconfig(ev: &Evidence) -> Option<Derived> {
    let server = SERVER
        .captures(ev.context)
        .and_then(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned());
    let user = ev.group("user");
    let mut d = match jwt::extract(ev) {
        Some(token) => token,
        None => {
            let who = user.map_or_else(|| short_of(ev.secret), str::to_string);
            let at = server.as_deref().unwrap_or("cluster");
            Derived::new(format!("kubernetes:{at}:user/{who}"), "kubeconfig-user")
        }
    };
    if let Some(server) = server {
        d = d.with("server", server);
    }
    if let Some(user) = user {
        d = d.with("kubeconfig_user", user);
    }
    Some(d)
}

/// An npm token: the registry it was configured for (`//registry.npmjs.org/:_authToken=`).
pub(crate) fn npm(ev: &Evidence) -> Option<Derived> {
    let registry = ev.group("registry").map_or("registry.npmjs.org", |r| r.trim_matches('/'));
    let kind = if ev.secret.starts_with(b"npm_") { "access-token" } else { "registry-token" };
    Some(Derived::new(format!("npm:{registry}:{}", short_of(ev.secret)), kind).with("registry", registry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::evidence_in;

    #[test]
    fn database_urls_name_user_host_and_db() {
        let url =
            "DATABASE_URL=postgresql://svc_billing:EXAMPLEpassw0rd@DB.internal.example:5432/billing?ssl=1";
        let groups: &[(&str, &[u8])] = &[("user", b"svc_billing")];
        let d =
            database_url(&evidence_in("url.credentials", url, "EXAMPLEpassw0rd", groups)).expect("identity");
        assert_eq!(d.id, "postgres://svc_billing@db.internal.example:5432/billing");
        assert_eq!(d.kind, "database-user");
        assert!(!d.fields.values().any(|v| v.contains("EXAMPLEpassw0rd")));
        let amqp = "amqp://guest:Rabb1t-Pw-Example@mq:5672";
        let groups: &[(&str, &[u8])] = &[("user", b"guest")];
        let d = database_url(&evidence_in("url.credentials", amqp, "Rabb1t-Pw-Example", groups))
            .expect("identity");
        assert_eq!(d.id, "amqp://guest@mq:5672");
    }

    #[test]
    fn docker_auth_decodes_the_user() {
        // base64("deploy-bot:EXAMPLEpassw0rd")
        let auth = "ZGVwbG95LWJvdDpFWEFNUExFcGFzc3cwcmQ=";
        let cfg = format!(r#"{{"auths":{{"registry.example.com":{{"auth":"{auth}"}}}}}}"#);
        let groups: &[(&str, &[u8])] = &[("registry", b"registry.example.com")];
        let d = docker_auth(&evidence_in("docker.config-auth", &cfg, auth, groups)).expect("identity");
        assert_eq!(d.id, "docker:registry.example.com/deploy-bot");
        let whole = base64::engine::general_purpose::STANDARD.encode(&cfg);
        let d =
            docker_auth(&evidence_in("docker.config-json-base64", &whole, &whole, &[])).expect("identity");
        assert_eq!(d.id, "docker:registry.example.com/deploy-bot");
    }

    #[test]
    fn kubeconfig_user_and_server() {
        let cfg = "clusters:\n- cluster:\n    server: https://k8s.example:6443\n  name: prod\nusers:\n- name: ci-deployer\n  user:\n    token: abcdefEXAMPLEtokenvalue0123456789\n";
        let groups: &[(&str, &[u8])] = &[("user", b"ci-deployer")];
        let d = kubeconfig(&evidence_in(
            "kubernetes.kubeconfig-token",
            cfg,
            "abcdefEXAMPLEtokenvalue0123456789",
            groups,
        ))
        .expect("identity");
        assert_eq!(d.id, "kubernetes:https://k8s.example:6443:user/ci-deployer");
    }

    #[test]
    fn npm_registry() {
        let line = "//npm.pkg.example.com/:_authToken=EXAMPLEnpmTOKENvalue0123";
        let groups: &[(&str, &[u8])] = &[("registry", b"//npm.pkg.example.com/")];
        let d = npm(&evidence_in("npm.npmrc-auth-token", line, "EXAMPLEnpmTOKENvalue0123", groups))
            .expect("identity");
        assert!(d.id.starts_with("npm:npm.pkg.example.com:"));
        assert_eq!(d.fields["registry"], "npm.pkg.example.com");
    }
}
