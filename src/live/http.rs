//! The one way live validation talks to the network: HTTPS only, to hosts built into
//! sprawl, through the system trust store and the standard proxy variables, with timeouts,
//! retries on 429 and 5xx, and errors described in words of our own so that no URL (which
//! may hold a token) or server text ever reaches a report.
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::{Agent, Proxy};

/// Longest wait for one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per request when the provider answers 429 or 5xx.
const ATTEMPTS: u32 = 3;
/// Longest `Retry-After` honoured; a longer one gives up (the budget is shared).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);
/// Largest answer read; identity endpoints answer in a few kilobytes.
const MAX_BODY: u64 = 1 << 20;

/// One request to a provider. The URL is `https://{host}{path}`; `host` is always one of
/// the constants in `providers`.
pub struct Request {
    pub method: Method,
    pub host: &'static str,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// A provider's answer.
pub struct Answer {
    pub status: u16,
    /// The headers a check reads facts from, lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// An HTTPS client for the provider hosts: one agent through the proxy the environment
/// names, one direct for hosts `NO_PROXY` exempts.
pub struct Client {
    proxied: Option<Agent>,
    direct: Agent,
    no_proxy: NoProxy,
}

impl Client {
    /// A client trusting the system's certificates (`SSL_CERT_FILE` and `SSL_CERT_DIR`
    /// replace them, as in OpenSSL). Fails when no trusted certificate can be loaded or the
    /// proxy variable is not a URL.
    pub fn from_env() -> anyhow::Result<Self> {
        let loaded = rustls_native_certs::load_native_certs();
        let roots: Vec<Certificate<'static>> =
            loaded.certs.iter().map(|c| Certificate::from_der(c.as_ref()).to_owned()).collect();
        if roots.is_empty() {
            anyhow::bail!(
                "--validate: no trusted certificate found (system store, SSL_CERT_FILE, SSL_CERT_DIR)"
            );
        }
        let roots = Arc::new(roots);
        let proxy =
            match proxy_variable() {
                Some(url) => Some(Proxy::new(&url).map_err(|_| {
                    anyhow::anyhow!("--validate: HTTPS_PROXY (or ALL_PROXY) is not a proxy URL")
                })?),
                None => None,
            };
        let agent = |proxy: Option<Proxy>| -> Agent {
            let tls = TlsConfig::builder()
                .provider(TlsProvider::Rustls)
                .root_certs(RootCerts::Specific(roots.clone()))
                .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .build();
            Agent::config_builder()
                .tls_config(tls)
                .proxy(proxy)
                .http_status_as_error(false)
                // A redirect could carry the credential to another host: never follow one.
                .max_redirects(0)
                .timeout_global(Some(REQUEST_TIMEOUT))
                .user_agent(concat!("sprawl/", env!("CARGO_PKG_VERSION"), " (credential validation)"))
                .build()
                .new_agent()
        };
        Ok(Self {
            proxied: proxy.map(|p| agent(Some(p))),
            direct: agent(None),
            no_proxy: NoProxy::from_env(),
        })
    }

    /// Send `req`, retrying on 429 and 5xx while `deadline` allows. `Err` is a reason in
    /// sprawl's words, for an `unknown` status.
    pub fn send(&self, req: &Request, deadline: Instant) -> Result<Answer, String> {
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(if last.is_empty() { "time budget exhausted".into() } else { last });
            }
            let answer = self.once(req, left.min(REQUEST_TIMEOUT))?;
            if answer.status != 429 && answer.status < 500 {
                return Ok(answer);
            }
            last = if answer.status == 429 {
                "rate limited (429)".to_string()
            } else {
                format!("provider error ({})", answer.status)
            };
            let backoff = answer
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .unwrap_or(Duration::from_millis(500 << attempt));
            if backoff > MAX_RETRY_AFTER || Instant::now() + backoff >= deadline || attempt + 1 == ATTEMPTS {
                break;
            }
            std::thread::sleep(backoff);
        }
        Err(last)
    }

    fn once(&self, req: &Request, timeout: Duration) -> Result<Answer, String> {
        let agent = match &self.proxied {
            Some(proxied) if !self.no_proxy.exempts(req.host) => proxied,
            _ => &self.direct,
        };
        let url = format!("https://{}{}", req.host, req.path);
        let result = match req.method {
            Method::Get => {
                let mut r = agent.get(&url).config().timeout_global(Some(timeout)).build();
                for (name, value) in &req.headers {
                    r = r.header(*name, value);
                }
                r.call()
            }
            Method::Post => {
                let mut r = agent.post(&url).config().timeout_global(Some(timeout)).build();
                for (name, value) in &req.headers {
                    r = r.header(*name, value);
                }
                match &req.body {
                    Some(body) => r.send(body.as_bytes()),
                    None => r.send_empty(),
                }
            }
        };
        let mut response = result.map_err(describe)?;
        let headers = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_string())))
            .collect();
        let status = response.status().as_u16();
        let body = response.body_mut().with_config().limit(MAX_BODY).read_to_string().map_err(describe)?;
        Ok(Answer { status, headers, body })
    }
}

/// A request error in sprawl's words. `ureq`'s own messages can quote the URL, and a URL
/// can hold a token (Telegram's does), so none of them is passed on.
fn describe(e: ureq::Error) -> String {
    use ureq::Error as E;
    match e {
        E::Timeout(_) => "timed out",
        E::HostNotFound => "host not found",
        E::ConnectionFailed => "connection failed",
        E::ConnectProxyFailed(_) => "the proxy refused the connection",
        E::Rustls(rustls::Error::InvalidCertificate(_)) => "TLS: certificate not trusted",
        E::Tls(_) | E::Rustls(_) => "TLS handshake failed",
        E::Io(io) => match io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(rustls::Error::InvalidCertificate(_)) => "TLS: certificate not trusted",
            Some(_) => "TLS handshake failed",
            None => "connection error",
        },
        E::BodyExceedsLimit(_) => "answer too large",
        _ => "request failed",
    }
    .to_string()
}

/// The proxy for HTTPS requests: `HTTPS_PROXY`, else `ALL_PROXY` (either case).
fn proxy_variable() -> Option<String> {
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
}

/// Hosts `NO_PROXY` sends direct: `*`, an exact host, or a domain and its subdomains
/// (`example.com` and `.example.com` both cover `api.example.com`).
struct NoProxy(Vec<String>);

impl NoProxy {
    fn from_env() -> Self {
        let value = std::env::var("NO_PROXY").or_else(|_| std::env::var("no_proxy")).unwrap_or_default();
        Self::parse(&value)
    }

    fn parse(value: &str) -> Self {
        Self(
            value
                .split([',', ' '])
                .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
                .map(|s| {
                    s.rsplit_once(':')
                        .filter(|(_, p)| p.parse::<u16>().is_ok())
                        .map_or(s.clone(), |(h, _)| h.into())
                })
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }

    fn exempts(&self, host: &str) -> bool {
        self.0.iter().any(|d| {
            d == "*" || host == d || host.strip_suffix(d.as_str()).is_some_and(|rest| rest.ends_with('.'))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::NoProxy;

    #[test]
    fn no_proxy_matches_hosts_and_their_subdomains() {
        let n = NoProxy::parse("localhost, .github.com,slack.com:443");
        assert!(n.exempts("api.github.com"));
        assert!(n.exempts("slack.com"));
        assert!(!n.exempts("notslack.com"));
        assert!(!n.exempts("api.openai.com"));
        assert!(NoProxy::parse("*").exempts("anything.example"));
        assert!(!NoProxy::parse("").exempts("api.github.com"));
    }
}
