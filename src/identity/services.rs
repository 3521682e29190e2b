//! SaaS accounts named by their credentials: Slack workspaces and integrations, Twilio
//! accounts, Stripe modes.
use regex::bytes::Regex;
use std::sync::LazyLock;

use super::{Derived, Evidence};
use crate::secret::short_of;

/// Slack: a webhook URL names its team and integration; a token only its kind.
pub(crate) fn slack(ev: &Evidence) -> Option<Derived> {
    if let (Some(team), true) = (ev.group("account"), ev.rule.contains("webhook")) {
        let kind = if ev.rule.contains("workflow") { "workflow-webhook" } else { "incoming-webhook" };
        let mut d = Derived::new(format!("slack:team/{team}"), kind).with("team_id", team);
        if let Some(integration) = ev.group("key_id") {
            d.id.push_str(&format!(":integration/{integration}"));
            d = d.with("integration_id", integration);
        }
        return Some(d);
    }
    let token = ev.secret_str()?;
    let prefix = token.split(['-', '.']).next()?;
    let kind = match prefix {
        "xoxb" => "bot-token",
        "xoxp" => "user-token",
        "xoxa" | "xoxr" => "workspace-token",
        "xapp" => "app-token",
        "xoxe" => "configuration-token",
        _ => return None,
    };
    let mut d =
        Derived::new(format!("slack:{kind}:{}", short_of(ev.secret)), kind).with("token_type", prefix);
    // xapp-<n>-<APP ID>-…: the second segment is the app id.
    if prefix == "xapp" {
        if let Some(app) = token.split('-').nth(2).filter(|s| s.starts_with('A')) {
            d = d.with("app_id", app);
        }
    }
    Some(d)
}

static ACCOUNT_SID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(AC[0-9a-f]{32})\b").expect("valid regex"));

/// Twilio: the account SID (`AC…`) is the account; auth tokens and API keys belong to the
/// account whose SID sits next to them.
pub(crate) fn twilio(ev: &Evidence) -> Option<Derived> {
    let secret = ev.secret_str()?;
    let account = if secret.starts_with("AC") && secret.len() == 34 {
        Some(secret.to_string())
    } else {
        ACCOUNT_SID
            .captures(ev.context)
            .and_then(|c| c.get(1))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into())
    };
    let api_key = (secret.starts_with("SK") && secret.len() == 34).then_some(secret);
    let kind = match (api_key, ev.rule) {
        (Some(_), _) => "api-key",
        (None, r) if r.ends_with("account-sid") => "account",
        (None, r) if r.ends_with("api-key-secret") => "api-key-secret",
        _ => "auth-token",
    };
    let mut id = match &account {
        Some(a) => format!("twilio:account/{a}"),
        None => format!("twilio:{kind}:{}", short_of(ev.secret)),
    };
    if let Some(key) = api_key {
        id.push_str(&format!(":key/{key}"));
    }
    let mut d = Derived::new(id, kind);
    if let Some(a) = account {
        d = d.with("account_sid", a);
    }
    Some(d)
}

/// Stripe: live or test mode and the key's kind; nothing names the account offline.
pub(crate) fn stripe(ev: &Evidence) -> Option<Derived> {
    let secret = ev.secret_str()?;
    let (kind, mode) = match secret.split('_').take(2).collect::<Vec<_>>()[..] {
        ["sk", mode] => ("secret-key", mode),
        ["rk", mode] => ("restricted-key", mode),
        ["pk", mode] => ("publishable-key", mode),
        ["whsec", _] => ("webhook-secret", "unknown"),
        _ => return None,
    };
    let mode = if matches!(mode, "live" | "test") { mode } else { "unknown" };
    Some(Derived::new(format!("stripe:{mode}:{kind}:{}", short_of(ev.secret)), kind).with("mode", mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::evidence_in;

    #[test]
    fn slack_webhook_names_team_and_integration() {
        let url = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";
        let groups: &[(&str, &[u8])] = &[("account", b"T00000000"), ("key_id", b"B00000000")];
        let d =
            slack(&evidence_in("slack.webhook", url, "XXXXXXXXXXXXXXXXXXXXXXXX", groups)).expect("identity");
        assert_eq!(d.id, "slack:team/T00000000:integration/B00000000");
        assert_eq!(d.kind, "incoming-webhook");
    }

    #[test]
    fn slack_token_kinds() {
        let tok = "xoxb-000000000000-0000000000000-EXAMPLEexampleEXAMPLExxxx";
        let d = slack(&evidence_in("slack.bot-token", tok, tok, &[])).expect("identity");
        assert_eq!(d.kind, "bot-token");
        assert!(d.id.starts_with("slack:bot-token:") && !d.id.contains("EXAMPLE"));
        let app = "xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef0123456789";
        assert_eq!(
            slack(&evidence_in("slack.app-token", app, app, &[])).expect("id").fields["app_id"],
            "A0123456789"
        );
    }

    #[test]
    fn twilio_tokens_belong_to_the_nearby_account() {
        let ctx = "TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef\nTWILIO_AUTH_TOKEN=fedcba9876543210fedcba9876543210\n";
        let d = twilio(&evidence_in("twilio.auth-token", ctx, "fedcba9876543210fedcba9876543210", &[]))
            .expect("id");
        assert_eq!(d.id, "twilio:account/AC0123456789abcdef0123456789abcdef");
        assert_eq!(d.kind, "auth-token");
        let sid = "AC0123456789abcdef0123456789abcdef";
        assert_eq!(twilio(&evidence_in("twilio.account-sid", ctx, sid, &[])).expect("id").kind, "account");
    }

    #[test]
    fn stripe_mode_and_kind() {
        let key = "sk_test_EXAMPLEexampleEXAMPLE0000";
        let d = stripe(&evidence_in("stripe.secret-key.test", key, key, &[])).expect("identity");
        assert_eq!((d.kind.as_str(), d.fields["mode"].as_str()), ("secret-key", "test"));
        assert!(!d.id.contains("EXAMPLE"));
    }
}
