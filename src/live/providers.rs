//! What to ask each provider, and how to read its answer. Every host here is a constant:
//! a request never goes to a host taken from the scanned content or its configuration.
//! Every request is a read of the caller's own identity or token (a "who am I"), which
//! changes nothing on the provider's side.
use serde_json::Value;

use crate::finding::Status;

use super::http::{Answer, Method, Request};

/// One provider's check.
pub struct Check {
    pub provider: &'static str,
    /// The rule ids whose secrets it checks.
    pub rules: &'static [&'static str],
    /// Hosts tried in order (a provider's regions); a credential is revoked only when every
    /// one refuses it.
    pub hosts: &'static [&'static str],
    pub method: Method,
    /// `{secret}` is replaced by the credential (Telegram's bot API, Mapbox's query).
    pub path: &'static str,
    pub auth: Auth,
    pub headers: &'static [(&'static str, &'static str)],
    pub body: Option<&'static str>,
    /// Statuses that mean the provider refused the credential (401 for most).
    pub refused: &'static [u16],
    /// What a 403 means, when it is not a refusal: the credential is valid but may not read
    /// this (a restricted key), or it says nothing.
    pub forbidden: Status,
    /// A JSON boolean that must be true in a 2xx answer (Slack's `ok`); when false, the
    /// provider refused the credential, in the words at `/error` if any.
    pub ok_field: Option<&'static str>,
    /// Facts of the identity to read from a live answer: (name, where).
    pub facts: &'static [(&'static str, Fact)],
    /// What the README's table says the answer reveals.
    pub reveals: &'static str,
}

/// How the credential is presented.
#[derive(Debug, Clone, Copy)]
pub enum Auth {
    /// `Authorization: Bearer SECRET`
    Bearer,
    /// A header holding `PREFIX` followed by the secret.
    Header(&'static str, &'static str),
    /// HTTP Basic with a fixed user name and the secret as password (Mailgun's `api`).
    BasicUser(&'static str),
    /// HTTP Basic with the paired identifier as user and the secret as password.
    BasicPair,
    /// In the path (`{secret}`).
    InPath,
    /// AWS Signature Version 4 with the paired key id.
    AwsSigV4,
    /// A Google service-account key: a JWT signed with the paired private key, exchanged for
    /// an access token (`gcp.rs`; two requests, so not built by [`Check::request`]).
    GcpServiceAccount,
}

/// Where a fact is in an answer.
#[derive(Debug, Clone, Copy)]
pub enum Fact {
    /// A JSON pointer; arrays of strings are joined with `, `.
    Json(&'static str),
    /// A response header (lower-case name).
    Header(&'static str),
    /// The text of the first `<tag>` element (AWS answers in XML).
    Xml(&'static str),
}

const JSON: (&str, &str) = ("Accept", "application/json");
const R401: &[u16] = &[401];

/// The checks, one per provider family.
pub static CHECKS: &[Check] = &[
    Check {
        provider: "github",
        rules: &[
            "github.pat.classic",
            "github.pat.fine-grained",
            "github.oauth-token",
            "github.user-to-server-token",
        ],
        hosts: &["api.github.com"],
        method: Method::Get,
        path: "/user",
        auth: Auth::Bearer,
        headers: &[("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[
            ("login", Fact::Json("/login")),
            ("user_id", Fact::Json("/id")),
            ("type", Fact::Json("/type")),
            ("scopes", Fact::Header("x-oauth-scopes")),
            ("expires", Fact::Header("github-authentication-token-expiration")),
        ],
        reveals: "login, user id, account type, OAuth scopes (`X-OAuth-Scopes`), expiry",
    },
    Check {
        provider: "github",
        rules: &["github.app-installation-token", "github.app-installation-token.stateless"],
        hosts: &["api.github.com"],
        method: Method::Get,
        path: "/installation/repositories?per_page=1",
        auth: Auth::Bearer,
        headers: &[("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("repositories", Fact::Json("/total_count"))],
        reveals: "how many repositories the app installation can reach",
    },
    Check {
        provider: "gcp",
        rules: &["gcp.service-account-key"],
        hosts: &["oauth2.googleapis.com"],
        method: Method::Post,
        path: "/token",
        auth: Auth::GcpServiceAccount,
        headers: &[],
        body: None,
        refused: &[],
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[],
        reveals: "a JWT signed with the key (RS256, with the file's `client_email` and key id) exchanged for a 10-minute read-only token, then `tokeninfo`: the service account's email and the token's scopes",
    },
    Check {
        provider: "gitlab",
        rules: &["gitlab.pat", "gitlab.pat.routable"],
        hosts: &["gitlab.com"],
        method: Method::Get,
        path: "/api/v4/personal_access_tokens/self",
        auth: Auth::Header("PRIVATE-TOKEN", ""),
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[
            ("token_name", Fact::Json("/name")),
            ("user_id", Fact::Json("/user_id")),
            ("scopes", Fact::Json("/scopes")),
            ("expires", Fact::Json("/expires_at")),
        ],
        reveals:
            "token name, user id, scopes, expiry (gitlab.com only: a self-managed instance is never asked)",
    },
    Check {
        provider: "aws",
        rules: &["aws.secret-access-key"],
        hosts: &[super::aws::STS_HOST],
        method: Method::Post,
        path: "/",
        auth: Auth::AwsSigV4,
        headers: &[],
        body: None,
        refused: &[401, 403],
        forbidden: Status::Revoked,
        ok_field: None,
        facts: &[
            ("arn", Fact::Xml("Arn")),
            ("account", Fact::Xml("Account")),
            ("user_id", Fact::Xml("UserId")),
        ],
        reveals: "STS `GetCallerIdentity` (SigV4, with the paired key id): ARN, account, user id",
    },
    Check {
        provider: "slack",
        rules: &["slack.bot-token", "slack.user-token", "slack.workspace-token"],
        hosts: &["slack.com"],
        method: Method::Post,
        path: "/api/auth.test",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: Some("/ok"),
        facts: &[
            ("team", Fact::Json("/team")),
            ("team_id", Fact::Json("/team_id")),
            ("user", Fact::Json("/user")),
            ("user_id", Fact::Json("/user_id")),
            ("bot_id", Fact::Json("/bot_id")),
        ],
        reveals: "`auth.test`: workspace, user, bot id",
    },
    Check {
        provider: "stripe",
        rules: &["stripe.secret-key.live", "stripe.secret-key.test", "stripe.restricted-key.live"],
        hosts: &["api.stripe.com"],
        method: Method::Get,
        path: "/v1/account",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        // A restricted key without the permission to read the account is still a key.
        forbidden: Status::Live,
        ok_field: None,
        facts: &[
            ("account", Fact::Json("/id")),
            ("email", Fact::Json("/email")),
            ("country", Fact::Json("/country")),
            ("business", Fact::Json("/business_profile/name")),
        ],
        reveals: "account id, email, country, business name",
    },
    Check {
        provider: "openai",
        rules: &["openai.project-key", "openai.service-account-key", "openai.api-key.legacy"],
        hosts: &["api.openai.com"],
        method: Method::Get,
        path: "/v1/models",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Live,
        ok_field: None,
        facts: &[
            ("organization", Fact::Header("openai-organization")),
            ("project", Fact::Header("openai-project")),
        ],
        reveals: "whether the key works; its organization and project when the answer names them",
    },
    Check {
        provider: "openai",
        rules: &["openai.admin-key"],
        hosts: &["api.openai.com"],
        method: Method::Get,
        path: "/v1/organization/projects?limit=1",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("project", Fact::Json("/data/0/name"))],
        reveals: "whether the admin key works; a project of its organization",
    },
    Check {
        provider: "anthropic",
        rules: &["anthropic.api-key"],
        hosts: &["api.anthropic.com"],
        method: Method::Get,
        path: "/v1/models",
        auth: Auth::Header("x-api-key", ""),
        headers: &[("anthropic-version", "2023-06-01")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[],
        reveals: "whether the key works",
    },
    Check {
        provider: "anthropic",
        rules: &["anthropic.admin-key"],
        hosts: &["api.anthropic.com"],
        method: Method::Get,
        path: "/v1/organizations/me",
        auth: Auth::Header("x-api-key", ""),
        headers: &[("anthropic-version", "2023-06-01")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("organization", Fact::Json("/name")), ("organization_id", Fact::Json("/id"))],
        reveals: "organization name and id",
    },
    Check {
        provider: "huggingface",
        rules: &["huggingface.access-token", "huggingface.org-token"],
        hosts: &["huggingface.co"],
        method: Method::Get,
        path: "/api/whoami-v2",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[
            ("name", Fact::Json("/name")),
            ("type", Fact::Json("/type")),
            ("role", Fact::Json("/auth/accessToken/role")),
            ("token_name", Fact::Json("/auth/accessToken/displayName")),
        ],
        reveals: "`whoami-v2`: user or organization, token name and role",
    },
    Check {
        provider: "npm",
        rules: &["npm.access-token", "npm.access-token.legacy"],
        hosts: &["registry.npmjs.org"],
        method: Method::Get,
        path: "/-/whoami",
        auth: Auth::Bearer,
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("username", Fact::Json("/username"))],
        reveals: "`whoami`: the npm user",
    },
    Check {
        provider: "twilio",
        rules: &["twilio.auth-token", "twilio.api-key-secret"],
        hosts: &["api.twilio.com"],
        method: Method::Get,
        path: "/2010-04-01/Accounts.json?PageSize=1",
        auth: Auth::BasicPair,
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[
            ("account", Fact::Json("/accounts/0/sid")),
            ("name", Fact::Json("/accounts/0/friendly_name")),
            ("status", Fact::Json("/accounts/0/status")),
        ],
        reveals: "account SID, name and status (with the paired SID)",
    },
    Check {
        provider: "sendgrid",
        rules: &["sendgrid.api-key"],
        hosts: &["api.sendgrid.com"],
        method: Method::Get,
        path: "/v3/scopes",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("scopes", Fact::Json("/scopes"))],
        reveals: "the key's scopes",
    },
    Check {
        provider: "datadog",
        rules: &["datadog.api-key"],
        hosts: &[
            "api.datadoghq.com",
            "api.datadoghq.eu",
            "api.us3.datadoghq.com",
            "api.us5.datadoghq.com",
            "api.ap1.datadoghq.com",
        ],
        method: Method::Get,
        path: "/api/v1/validate",
        auth: Auth::Header("DD-API-KEY", ""),
        headers: &[JSON],
        body: None,
        refused: &[401, 403],
        forbidden: Status::Revoked,
        ok_field: Some("/valid"),
        facts: &[],
        reveals: "whether the key is valid, and on which Datadog site",
    },
    Check {
        provider: "digitalocean",
        rules: &[
            "digitalocean.personal-access-token",
            "digitalocean.oauth-token",
            "digitalocean.access-token.legacy",
        ],
        hosts: &["api.digitalocean.com"],
        method: Method::Get,
        path: "/v2/account",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[
            ("email", Fact::Json("/account/email")),
            ("uuid", Fact::Json("/account/uuid")),
            ("status", Fact::Json("/account/status")),
            ("team", Fact::Json("/account/team/name")),
        ],
        reveals: "account email, uuid, status, team",
    },
    Check {
        provider: "heroku",
        rules: &["heroku.api-key", "heroku.api-key.v2"],
        hosts: &["api.heroku.com"],
        method: Method::Get,
        path: "/account",
        auth: Auth::Bearer,
        headers: &[("Accept", "application/vnd.heroku+json; version=3")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("email", Fact::Json("/email")), ("user_id", Fact::Json("/id"))],
        reveals: "account email and id",
    },
    Check {
        provider: "cloudflare",
        rules: &["cloudflare.api-token", "cloudflare.api-token.scannable"],
        hosts: &["api.cloudflare.com"],
        method: Method::Get,
        path: "/client/v4/user/tokens/verify",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: &[400, 401],
        forbidden: Status::Unknown,
        ok_field: Some("/success"),
        facts: &[
            ("token_id", Fact::Json("/result/id")),
            ("status", Fact::Json("/result/status")),
            ("expires", Fact::Json("/result/expires_on")),
        ],
        reveals: "token verify: token id, status, expiry (user-owned tokens)",
    },
    Check {
        provider: "telegram",
        rules: &["telegram.bot-token"],
        hosts: &["api.telegram.org"],
        method: Method::Get,
        path: "/bot{secret}/getMe",
        auth: Auth::InPath,
        headers: &[],
        body: None,
        refused: &[401, 404],
        forbidden: Status::Unknown,
        ok_field: Some("/ok"),
        facts: &[("username", Fact::Json("/result/username")), ("bot_id", Fact::Json("/result/id"))],
        reveals: "`getMe`: the bot's username and id",
    },
    Check {
        provider: "discord",
        rules: &["discord.bot-token"],
        hosts: &["discord.com"],
        method: Method::Get,
        path: "/api/v10/users/@me",
        auth: Auth::Header("Authorization", "Bot "),
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("username", Fact::Json("/username")), ("user_id", Fact::Json("/id"))],
        reveals: "the bot user's name and id",
    },
    Check {
        provider: "sentry",
        rules: &["sentry.org-auth-token", "sentry.user-auth-token"],
        hosts: &["sentry.io"],
        method: Method::Get,
        path: "/api/0/",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("user", Fact::Json("/user/username")), ("scopes", Fact::Json("/auth/scopes"))],
        reveals: "the user and the token's scopes (sentry.io only)",
    },
    Check {
        provider: "linear",
        rules: &["linear.api-key"],
        hosts: &["api.linear.app"],
        method: Method::Post,
        path: "/graphql",
        auth: Auth::Header("Authorization", ""),
        headers: &[("Content-Type", "application/json")],
        body: Some(r#"{"query":"{ viewer { id name email } }"}"#),
        refused: &[400, 401],
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("name", Fact::Json("/data/viewer/name")), ("email", Fact::Json("/data/viewer/email"))],
        reveals: "the viewer's name and email",
    },
    Check {
        provider: "postmark",
        rules: &["postmark.server-token"],
        hosts: &["api.postmarkapp.com"],
        method: Method::Get,
        path: "/server",
        auth: Auth::Header("X-Postmark-Server-Token", ""),
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("server", Fact::Json("/Name")), ("server_id", Fact::Json("/ID"))],
        reveals: "the server's name and id",
    },
    Check {
        provider: "mailgun",
        rules: &["mailgun.api-key", "mailgun.api-key.hex"],
        hosts: &["api.mailgun.net", "api.eu.mailgun.net"],
        method: Method::Get,
        path: "/v3/domains?limit=1",
        auth: Auth::BasicUser("api"),
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("domains", Fact::Json("/total_count"))],
        reveals: "how many sending domains the account has (US, then EU region)",
    },
    Check {
        provider: "notion",
        rules: &["notion.integration-token", "notion.api-token"],
        hosts: &["api.notion.com"],
        method: Method::Get,
        path: "/v1/users/me",
        auth: Auth::Bearer,
        headers: &[("Notion-Version", "2022-06-28")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("name", Fact::Json("/name")), ("workspace", Fact::Json("/bot/workspace_name"))],
        reveals: "the integration's name and workspace",
    },
    Check {
        provider: "figma",
        rules: &["figma.personal-access-token"],
        hosts: &["api.figma.com"],
        method: Method::Get,
        path: "/v1/me",
        auth: Auth::Header("X-Figma-Token", ""),
        headers: &[],
        body: None,
        refused: &[401, 403],
        forbidden: Status::Revoked,
        ok_field: None,
        facts: &[("handle", Fact::Json("/handle")), ("email", Fact::Json("/email"))],
        reveals: "the user's handle and email",
    },
    Check {
        provider: "replicate",
        rules: &["replicate.api-token"],
        hosts: &["api.replicate.com"],
        method: Method::Get,
        path: "/v1/account",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("username", Fact::Json("/username")), ("type", Fact::Json("/type"))],
        reveals: "the account's username and type",
    },
    Check {
        provider: "groq",
        rules: &["groq.api-key"],
        hosts: &["api.groq.com"],
        method: Method::Get,
        path: "/openai/v1/models",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[],
        reveals: "whether the key works",
    },
    Check {
        provider: "mistral",
        rules: &["mistral.api-key"],
        hosts: &["api.mistral.ai"],
        method: Method::Get,
        path: "/v1/models",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[],
        reveals: "whether the key works",
    },
    Check {
        provider: "xai",
        rules: &["xai.api-key"],
        hosts: &["api.x.ai"],
        method: Method::Get,
        path: "/v1/api-key",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: &[400, 401],
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("name", Fact::Json("/name")), ("team_id", Fact::Json("/team_id"))],
        reveals: "the key's name and team",
    },
    Check {
        provider: "openrouter",
        rules: &["openrouter.api-key"],
        hosts: &["openrouter.ai"],
        method: Method::Get,
        path: "/api/v1/key",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("label", Fact::Json("/data/label"))],
        reveals: "the key's label",
    },
    Check {
        provider: "elevenlabs",
        rules: &["elevenlabs.api-key"],
        hosts: &["api.elevenlabs.io"],
        method: Method::Get,
        path: "/v1/user",
        auth: Auth::Header("xi-api-key", ""),
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("user_id", Fact::Json("/user_id")), ("tier", Fact::Json("/subscription/tier"))],
        reveals: "user id and subscription tier",
    },
    Check {
        provider: "vercel",
        rules: &["vercel.access-token", "vercel.token"],
        hosts: &["api.vercel.com"],
        method: Method::Get,
        path: "/v2/user",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: &[401, 403],
        forbidden: Status::Revoked,
        ok_field: None,
        facts: &[("username", Fact::Json("/user/username")), ("email", Fact::Json("/user/email"))],
        reveals: "the user's name and email",
    },
    Check {
        provider: "netlify",
        rules: &["netlify.personal-access-token", "netlify.access-token.legacy"],
        hosts: &["api.netlify.com"],
        method: Method::Get,
        path: "/api/v1/user",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("email", Fact::Json("/email")), ("name", Fact::Json("/full_name"))],
        reveals: "the user's email and name",
    },
    Check {
        provider: "terraform",
        rules: &["terraform.api-token"],
        hosts: &["app.terraform.io"],
        method: Method::Get,
        path: "/api/v2/account/details",
        auth: Auth::Bearer,
        headers: &[("Accept", "application/vnd.api+json")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[
            ("username", Fact::Json("/data/attributes/username")),
            ("email", Fact::Json("/data/attributes/email")),
        ],
        reveals: "the HCP Terraform user's name and email",
    },
    Check {
        provider: "doppler",
        rules: &[
            "doppler.personal-token",
            "doppler.cli-token",
            "doppler.service-account-token",
            "doppler.service-token",
            "doppler.scim-token",
            "doppler.audit-token",
        ],
        hosts: &["api.doppler.com"],
        method: Method::Get,
        path: "/v3/me",
        auth: Auth::Bearer,
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[
            ("name", Fact::Json("/name")),
            ("workplace", Fact::Json("/workplace/name")),
            ("type", Fact::Json("/type")),
        ],
        reveals: "token name, workplace and token type",
    },
    Check {
        provider: "postman",
        rules: &["postman.api-key"],
        hosts: &["api.getpostman.com"],
        method: Method::Get,
        path: "/me",
        auth: Auth::Header("X-API-Key", ""),
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("username", Fact::Json("/user/username")), ("email", Fact::Json("/user/email"))],
        reveals: "the user's name and email",
    },
    Check {
        provider: "circleci",
        rules: &["circleci.personal-token"],
        hosts: &["circleci.com"],
        method: Method::Get,
        path: "/api/v2/me",
        auth: Auth::Header("Circle-Token", ""),
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("login", Fact::Json("/login")), ("name", Fact::Json("/name"))],
        reveals: "the user's login and name",
    },
    Check {
        provider: "snyk",
        rules: &["snyk.api-token"],
        hosts: &["api.snyk.io"],
        method: Method::Get,
        path: "/v1/user/me",
        auth: Auth::Header("Authorization", "token "),
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("username", Fact::Json("/username")), ("email", Fact::Json("/email"))],
        reveals: "the user's name and email",
    },
    Check {
        provider: "buildkite",
        rules: &["buildkite.api-token"],
        hosts: &["api.buildkite.com"],
        method: Method::Get,
        path: "/v2/access-token",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("scopes", Fact::Json("/scopes"))],
        reveals: "the token's scopes",
    },
    Check {
        provider: "mapbox",
        rules: &["mapbox.secret-token"],
        hosts: &["api.mapbox.com"],
        method: Method::Get,
        path: "/tokens/v2?access_token={secret}",
        auth: Auth::InPath,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("user", Fact::Json("/token/user"))],
        reveals: "the account the token belongs to",
    },
    Check {
        provider: "pagerduty",
        rules: &["pagerduty.api-key"],
        hosts: &["api.pagerduty.com"],
        method: Method::Get,
        path: "/abilities",
        auth: Auth::Header("Authorization", "Token token="),
        headers: &[("Accept", "application/vnd.pagerduty+json;version=2")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[],
        reveals: "whether the key works",
    },
    Check {
        provider: "intercom",
        rules: &["intercom.access-token"],
        hosts: &["api.intercom.io"],
        method: Method::Get,
        path: "/me",
        auth: Auth::Bearer,
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("app", Fact::Json("/app/name")), ("email", Fact::Json("/email"))],
        reveals: "the workspace and admin email",
    },
    Check {
        provider: "asana",
        rules: &["asana.personal-access-token"],
        hosts: &["app.asana.com"],
        method: Method::Get,
        path: "/api/1.0/users/me",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("name", Fact::Json("/data/name")), ("email", Fact::Json("/data/email"))],
        reveals: "the user's name and email",
    },
    Check {
        provider: "dropbox",
        rules: &["dropbox.long-lived-token", "dropbox.short-lived-token"],
        hosts: &["api.dropboxapi.com"],
        method: Method::Post,
        path: "/2/users/get_current_account",
        auth: Auth::Bearer,
        headers: &[("Content-Type", "application/json")],
        body: Some("null"),
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("email", Fact::Json("/email")), ("account_id", Fact::Json("/account_id"))],
        reveals: "the account's email and id",
    },
    Check {
        provider: "honeycomb",
        rules: &["honeycomb.api-key", "honeycomb.api-key.legacy"],
        hosts: &["api.honeycomb.io", "api.eu1.honeycomb.io"],
        method: Method::Get,
        path: "/1/auth",
        auth: Auth::Header("X-Honeycomb-Team", ""),
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("team", Fact::Json("/team/name")), ("environment", Fact::Json("/environment/name"))],
        reveals: "team and environment (US, then EU)",
    },
    Check {
        provider: "fastly",
        rules: &["fastly.api-token"],
        hosts: &["api.fastly.com"],
        method: Method::Get,
        path: "/tokens/self",
        auth: Auth::Header("Fastly-Key", ""),
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[
            ("token_name", Fact::Json("/name")),
            ("scope", Fact::Json("/scope")),
            ("expires", Fact::Json("/expires_at")),
        ],
        reveals: "token name, scope, expiry",
    },
    Check {
        provider: "linode",
        rules: &["linode.personal-access-token"],
        hosts: &["api.linode.com"],
        method: Method::Get,
        path: "/v4/profile",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("username", Fact::Json("/username")), ("email", Fact::Json("/email"))],
        reveals: "the user's name and email",
    },
    Check {
        provider: "vultr",
        rules: &["vultr.api-key"],
        hosts: &["api.vultr.com"],
        method: Method::Get,
        path: "/v2/account",
        auth: Auth::Bearer,
        headers: &[],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("name", Fact::Json("/account/name")), ("email", Fact::Json("/account/email"))],
        reveals: "the account's name and email",
    },
    Check {
        provider: "pulumi",
        rules: &["pulumi.access-token"],
        hosts: &["api.pulumi.com"],
        method: Method::Get,
        path: "/api/user",
        auth: Auth::Header("Authorization", "token "),
        headers: &[("Accept", "application/vnd.pulumi+8")],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("login", Fact::Json("/githubLogin")), ("name", Fact::Json("/name"))],
        reveals: "the user's login and name",
    },
    Check {
        provider: "brevo",
        rules: &["brevo.api-key"],
        hosts: &["api.brevo.com"],
        method: Method::Get,
        path: "/v3/account",
        auth: Auth::Header("api-key", ""),
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: None,
        facts: &[("email", Fact::Json("/email")), ("company", Fact::Json("/companyName"))],
        reveals: "the account's email and company",
    },
    Check {
        provider: "cohere",
        rules: &["cohere.api-key"],
        hosts: &["api.cohere.com"],
        method: Method::Post,
        path: "/v1/check-api-key",
        auth: Auth::Bearer,
        headers: &[JSON],
        body: None,
        refused: R401,
        forbidden: Status::Unknown,
        ok_field: Some("/valid"),
        facts: &[],
        reveals: "whether the key is valid",
    },
];

/// The check for a rule, if its provider has one.
pub fn for_rule(rule: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.rules.contains(&rule))
}

/// A secret and, for a multi-part credential, its paired part and the account it names.
pub struct Credential<'a> {
    pub secret: &'a str,
    pub pair: Option<&'a str>,
    /// The account the credential file names (a service account's `client_email`).
    pub account: Option<&'a str>,
}

impl Check {
    /// The request to `host` for `cred`, or why none can be made.
    pub fn request(&self, host: &'static str, cred: &Credential, now: i64) -> Result<Request, &'static str> {
        let secret = cred.secret;
        if matches!(self.auth, Auth::GcpServiceAccount) {
            return Err("a service-account key is asked through its token exchange");
        }
        if matches!(self.auth, Auth::AwsSigV4) {
            let id = cred.pair.ok_or("no paired access key id nearby")?;
            if id.starts_with("ASIA") {
                return Err("a temporary key needs its session token");
            }
            return Ok(super::aws::caller_identity(id, secret, now));
        }
        // A secret that could break out of a header or the path is not sent.
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the secret has characters a request cannot carry");
        }
        let mut headers: Vec<(&'static str, String)> =
            self.headers.iter().map(|&(n, v)| (n, v.to_string())).collect();
        let path = match self.auth {
            Auth::InPath => {
                if !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b)) {
                    return Err("the secret has characters a URL cannot carry");
                }
                self.path.replace("{secret}", secret)
            }
            _ => self.path.to_string(),
        };
        match self.auth {
            Auth::Bearer => headers.push(("Authorization", format!("Bearer {secret}"))),
            Auth::Header(name, prefix) => headers.push((name, format!("{prefix}{secret}"))),
            Auth::BasicUser(user) => headers.push(("Authorization", basic(user, secret))),
            Auth::BasicPair => {
                let user = cred.pair.ok_or("no paired identifier nearby")?;
                headers.push(("Authorization", basic(user, secret)));
            }
            Auth::InPath | Auth::AwsSigV4 | Auth::GcpServiceAccount => {}
        }
        Ok(Request { method: self.method, host, path, headers, body: self.body.map(str::to_string) })
    }

    /// What an answer says: the status, a reason when not live, and the identity facts of a
    /// live answer.
    pub fn judge(&self, answer: &Answer) -> Judgement {
        let status = answer.status;
        if self.refused.contains(&status) {
            return Judgement::refused(format!("refused ({status})"));
        }
        if status == 403 {
            return match self.forbidden {
                Status::Live => Judgement::live(self.facts(answer)),
                Status::Revoked => Judgement::refused("refused (403)".into()),
                Status::Unknown => {
                    Judgement::unknown("forbidden (403): valid or not, it may not read this".into())
                }
            };
        }
        if !(200..300).contains(&status) {
            return Judgement::unknown(if (300..400).contains(&status) {
                format!("redirected ({status}), not followed")
            } else {
                format!("unexpected answer ({status})")
            });
        }
        if let Some(pointer) = self.ok_field {
            let json: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
            match json.pointer(pointer).and_then(Value::as_bool) {
                Some(true) => {}
                Some(false) => {
                    let word = json.pointer("/error").and_then(Value::as_str).map(provider_word);
                    return Judgement::refused(word.unwrap_or_else(|| "refused".into()));
                }
                None => return Judgement::unknown("unexpected answer (no verdict in it)".into()),
            }
        }
        Judgement::live(self.facts(answer))
    }

    fn facts(&self, answer: &Answer) -> Vec<(String, String)> {
        let json: Option<Value> = serde_json::from_str(&answer.body).ok();
        self.facts
            .iter()
            .filter_map(|&(name, fact)| {
                let value = match fact {
                    Fact::Json(pointer) => json.as_ref()?.pointer(pointer).and_then(shown)?,
                    Fact::Header(h) => answer.header(h)?.to_string(),
                    Fact::Xml(tag) => xml_text(&answer.body, tag)?,
                };
                let value = clean(&value);
                (!value.is_empty()).then(|| (name.to_string(), value))
            })
            .collect()
    }
}

/// A judged answer.
pub struct Judgement {
    pub status: Status,
    pub reason: Option<String>,
    pub facts: Vec<(String, String)>,
}

impl Judgement {
    pub(super) fn live(facts: Vec<(String, String)>) -> Self {
        Self { status: Status::Live, reason: None, facts }
    }
    pub(super) fn refused(reason: String) -> Self {
        Self { status: Status::Revoked, reason: Some(reason), facts: Vec::new() }
    }
    pub fn unknown(reason: String) -> Self {
        Self { status: Status::Unknown, reason: Some(reason), facts: Vec::new() }
    }
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// A JSON value as a fact: strings, numbers and booleans as written, arrays of them joined.
fn shown(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(items.iter().filter_map(shown).collect::<Vec<_>>().join(", ")),
        _ => None,
    }
}

/// The text of the first `<tag>…</tag>`.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = start + body[start..].find(&format!("</{tag}>"))?;
    Some(body[start..end].to_string())
}

/// A provider's answer is text from the network: no control characters, bounded length.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(200).collect::<String>().trim().to_string()
}

/// A provider's error code (`invalid_auth`), kept only if it looks like one.
fn provider_word(s: &str) -> String {
    let word: String =
        s.chars().take(40).filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    if word.is_empty() {
        "refused".into()
    } else {
        word
    }
}

/// The README's table of checks: provider, request, what the answer reveals.
pub fn table() -> String {
    let mut out = String::from("| provider | request | what the answer reveals |\n|---|---|---|\n");
    for c in CHECKS {
        let method = match c.method {
            Method::Get => "GET",
            Method::Post => "POST",
        };
        let path = c.path.replace("{secret}", "…");
        let hosts = c.hosts.join(", ");
        out.push_str(&format!("| {} | `{method} {path}` on {hosts} | {} |\n", c.provider, c.reveals));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn the_readme_lists_every_check() {
        let readme = include_str!("../../README.md");
        assert!(
            readme.contains(&table()),
            "README.md's table of live checks is stale; it should read:\n{}",
            table()
        );
    }

    #[test]
    fn every_check_names_builtin_rules_and_no_rule_twice() {
        let rules = RuleSet::load(true, &[] as &[&str]).expect("builtin rules");
        let mut seen = std::collections::HashSet::new();
        for check in CHECKS {
            for rule in check.rules {
                assert!(
                    rules.rules.iter().any(|r| r.id == *rule),
                    "{} names unknown rule {rule}",
                    check.provider
                );
                assert!(seen.insert(*rule), "{rule} has two checks");
            }
            assert!(!check.hosts.is_empty());
        }
        // A check asks only inside the domains its rules declare as the provider's own.
        for check in CHECKS {
            for rule in check.rules.iter().filter_map(|id| rules.rules.iter().find(|r| r.id == *id)) {
                for host in check.hosts {
                    let inside = rule.hosts.iter().any(|d| host == d || host.ends_with(&format!(".{d}")));
                    assert!(
                        rule.hosts.is_empty() || inside,
                        "{} asks {host}, outside {}'s hosts {:?}",
                        check.provider,
                        rule.id,
                        rule.hosts
                    );
                }
            }
        }
        let providers: std::collections::BTreeSet<_> = CHECKS.iter().map(|c| c.provider).collect();
        assert!(providers.len() >= 25, "{} providers", providers.len());
    }

    #[test]
    fn slack_says_no_in_its_own_words() {
        let check = for_rule("slack.bot-token").unwrap();
        let answer =
            Answer { status: 200, headers: vec![], body: r#"{"ok":false,"error":"invalid_auth"}"#.into() };
        let j = check.judge(&answer);
        assert_eq!((j.status, j.reason.as_deref()), (Status::Revoked, Some("invalid_auth")));
    }

    #[test]
    fn facts_come_from_json_headers_and_xml() {
        let gh = for_rule("github.pat.classic").unwrap();
        let answer = Answer {
            status: 200,
            headers: vec![("x-oauth-scopes".into(), "repo, workflow".into())],
            body: r#"{"login":"deploy-bot","id":42,"type":"User"}"#.into(),
        };
        let j = gh.judge(&answer);
        assert_eq!(j.status, Status::Live);
        assert!(j.facts.contains(&("login".into(), "deploy-bot".into())));
        assert!(j.facts.contains(&("scopes".into(), "repo, workflow".into())));
        let aws = for_rule("aws.secret-access-key").unwrap();
        let xml = "<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><Account>123456789012</Account></GetCallerIdentityResult>";
        let j = aws.judge(&Answer { status: 200, headers: vec![], body: xml.into() });
        assert!(j.facts.contains(&("arn".into(), "arn:aws:iam::123456789012:user/ci".into())));
    }

    #[test]
    fn a_secret_that_would_break_a_header_is_not_sent() {
        let gh = for_rule("github.pat.classic").unwrap();
        let cred = Credential { secret: "abc\r\nX-Evil: 1", pair: None, account: None };
        assert!(gh.request("api.github.com", &cred, 0).is_err());
    }
}
