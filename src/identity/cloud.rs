//! Cloud accounts: GCP service-account keys, Azure storage accounts, Entra applications.
use regex::bytes::Regex;
use std::sync::LazyLock;

use super::{Derived, Evidence};

/// A service-account JSON key: the rule matches its `private_key_id`; the `client_email`
/// that names the account is usually a few lines further on.
pub(crate) fn gcp_service_account(ev: &Evidence) -> Option<Derived> {
    let key_id = ev.secret_str()?;
    let email = ev.json_field("client_email");
    let project = ev.group("account").map(str::to_string).or_else(|| ev.json_field("project_id"));
    let mut d = match (email, &project) {
        (Some(email), _) => {
            Derived::new(format!("gcp:serviceaccount/{email}"), "service-account").with("client_email", email)
        }
        (None, Some(project)) => {
            Derived::new(format!("gcp:project/{project}:key/{key_id}"), "service-account-key")
        }
        (None, None) => return None,
    };
    d = d.with("private_key_id", key_id);
    if let Some(project) = project {
        d = d.with("project_id", project);
    }
    if let Some(client) = ev.json_field("client_id") {
        d = d.with("client_id", client);
    }
    Some(d)
}

static ENDPOINT_SUFFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)EndpointSuffix\s*=\s*([A-Za-z0-9.-]{3,100})").expect("valid regex"));
static ACCOUNT_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)AccountName\s*=\s*([a-z0-9]{3,24})\b").expect("valid regex"));

/// Which Azure cloud an endpoint suffix belongs to.
fn azure_cloud(suffix: &str) -> &'static str {
    match suffix.to_ascii_lowercase().as_str() {
        "core.chinacloudapi.cn" => "AzureChinaCloud",
        "core.usgovcloudapi.net" => "AzureUSGovernment",
        "core.cloudapi.de" => "AzureGermanCloud",
        _ => "AzureCloud",
    }
}

/// An account key, connection string or SAS: the storage account it opens, and which cloud.
pub(crate) fn azure_storage(ev: &Evidence) -> Option<Derived> {
    let line_start = ev.before().iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let near = &ev.context[line_start..];
    let account = ev.group("account").map(str::to_string).or_else(|| {
        let caps = ACCOUNT_NAME.captures(near)?;
        Some(String::from_utf8_lossy(caps.get(1)?.as_bytes()).into_owned())
    })?;
    let suffix = ENDPOINT_SUFFIX.captures(near).and_then(|c| c.get(1)).map_or_else(
        || "core.windows.net".to_string(),
        |m| String::from_utf8_lossy(m.as_bytes()).into_owned(),
    );
    let kind = if ev.rule.contains("sas") { "shared-access-signature" } else { "storage-account-key" };
    Some(
        Derived::new(format!("azure:storage/{account}"), kind)
            .with("account", account)
            .with("cloud", azure_cloud(&suffix))
            .with("endpoint_suffix", suffix),
    )
}

static GUID: &str = r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})";
static CLIENT_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r#"(?i)(?:client|app|application)[_.-]?id\\?["']?\s*[:=]\s*\\?["']?{GUID}"#))
        .expect("valid regex")
});
static TENANT_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)(?:tenant[_.-]?id\\?["']?\s*[:=]\s*\\?["']?|login\.microsoftonline\.com/){GUID}"#
    ))
    .expect("valid regex")
});

/// An Entra (Azure AD) client secret names nothing by itself; the application (client) id
/// and tenant id configured next to it do.
pub(crate) fn azure_entra(ev: &Evidence) -> Option<Derived> {
    let find = |re: &Regex| {
        re.captures(ev.context)
            .and_then(|c| c.get(1))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).to_lowercase())
    };
    let client = find(&CLIENT_ID)?;
    let tenant = find(&TENANT_ID);
    let id = match &tenant {
        Some(t) => format!("azure:tenant/{t}:app/{client}"),
        None => format!("azure:app/{client}"),
    };
    let mut d = Derived::new(id, "app-registration-secret").with("client_id", client);
    if let Some(t) = tenant {
        d = d.with("tenant_id", t);
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::evidence_in;

    #[test]
    fn gcp_key_names_its_service_account() {
        let json = r#"{"type": "service_account", "project_id": "example-proj-123",
  "private_key_id": "0123456789abcdef0123456789abcdef01234567",
  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n",
  "client_email": "ci-deployer@example-proj-123.iam.gserviceaccount.com", "client_id": "100000000000000000001"}"#;
        let groups: &[(&str, &[u8])] = &[("account", b"example-proj-123")];
        let ev =
            evidence_in("gcp.service-account-key", json, "0123456789abcdef0123456789abcdef01234567", groups);
        let d = gcp_service_account(&ev).expect("identity");
        assert_eq!(d.id, "gcp:serviceaccount/ci-deployer@example-proj-123.iam.gserviceaccount.com");
        assert_eq!(d.fields["project_id"], "example-proj-123");
        assert_eq!(d.fields["client_id"], "100000000000000000001");
        assert_eq!(d.fields["private_key_id"], "0123456789abcdef0123456789abcdef01234567");
    }

    #[test]
    fn azure_connection_string_names_account_and_cloud() {
        let key = format!("{}==", "A".repeat(86));
        let line = format!(
            "conn=DefaultEndpointsProtocol=https;AccountName=examplestore01;AccountKey={key};EndpointSuffix=core.chinacloudapi.cn"
        );
        let groups: &[(&str, &[u8])] = &[("account", b"examplestore01")];
        let d = azure_storage(&evidence_in("azure.storage.connection-string", &line, &key, groups))
            .expect("identity");
        assert_eq!(d.id, "azure:storage/examplestore01");
        assert_eq!(d.fields["cloud"], "AzureChinaCloud");
        let plain = format!("AccountName=other01;AccountKey={key}");
        let d =
            azure_storage(&evidence_in("azure.storage.account-key", &plain, &key, &[])).expect("identity");
        assert_eq!((d.id.as_str(), d.fields["cloud"].as_str()), ("azure:storage/other01", "AzureCloud"));
    }

    #[test]
    fn entra_secret_needs_its_client_id() {
        let secret = "abc8Q~EXAMPLEfakeEXAMPLEfakeEXAMPLEfake12";
        let cfg = format!(
            "AZURE_CLIENT_ID=11111111-2222-3333-4444-555555555555\nAZURE_TENANT_ID=AAAAAAAA-bbbb-cccc-dddd-eeeeeeeeeeee\nAZURE_CLIENT_SECRET={secret}\n"
        );
        let d = azure_entra(&evidence_in("azure.entra.client-secret", &cfg, secret, &[])).expect("identity");
        assert_eq!(
            d.id,
            "azure:tenant/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee:app/11111111-2222-3333-4444-555555555555"
        );
        let alone = format!("secret={secret}");
        assert_eq!(azure_entra(&evidence_in("azure.entra.client-secret", &alone, secret, &[])), None);
    }
}
