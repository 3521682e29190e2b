//! Fake providers for `--validate`: a certificate authority made at test time, an HTTP
//! CONNECT proxy (what `HTTPS_PROXY` names) that tunnels every provider host to a local TLS
//! server holding a certificate for those hosts, and a handler that answers as the provider
//! would. sprawl is run unchanged: it finds the proxy and the trust store through the
//! standard variables, as it would behind a corporate proxy.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A request as the fake provider saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub host: String,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The fake provider's answer.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Wait this long before answering (to test timeouts).
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A running fake world: the proxy's URL, the CA file sprawl must trust, and what was asked.
pub struct World {
    pub proxy: String,
    pub ca_file: PathBuf,
    /// Hosts the proxy was asked to CONNECT to, in order.
    pub connects: Arc<Mutex<Vec<String>>>,
    /// Requests that reached the TLS server.
    pub requests: Arc<Mutex<Vec<Seen>>>,
    _dir: tempfile::TempDir,
}

impl World {
    /// Start a world whose server holds a certificate for `hosts` signed by a fresh CA.
    pub fn start(hosts: &[&str], handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (ca_pem, leaf, key) = certificates(hosts);
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca_pem).expect("write CA");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![leaf], PrivateKeyDer::Pkcs8(key))
            .expect("server certificate");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let proxy = format!("http://{}", listener.local_addr().expect("address"));
        let connects = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (c, r) = (connects.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, c, r, handler) = (config.clone(), c.clone(), r.clone(), handler.clone());
                std::thread::spawn(move || {
                    let _ = tunnel(stream, config, &c, &r, handler.as_ref());
                });
            }
        });
        Self { proxy, ca_file, connects, requests, _dir: dir }
    }

    /// `sprawl` with this world's proxy and trust store, and nothing else of the machine's.
    pub fn sprawl(&self) -> Command {
        let mut cmd = super::sprawl();
        for v in [
            "HTTP_PROXY",
            "http_proxy",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "NO_PROXY",
            "no_proxy",
            "SSL_CERT_DIR",
        ] {
            cmd.env_remove(v);
        }
        cmd.env("HTTPS_PROXY", &self.proxy).env("SSL_CERT_FILE", &self.ca_file);
        cmd
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.requests.lock().unwrap().clone()
    }

    pub fn connects(&self) -> Vec<String> {
        self.connects.lock().unwrap().clone()
    }
}

/// A CA certificate (PEM), and a leaf certificate (DER) for `hosts` with its key.
fn certificates(hosts: &[&str]) -> (String, CertificateDer<'static>, PrivatePkcs8KeyDer<'static>) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "sprawl test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key")).expect("CA certificate");
    let key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        .expect("leaf params")
        .signed_by(&key, &ca)
        .expect("leaf certificate");
    (ca.pem(), leaf.der().clone(), PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// Another CA's certificate, which signed nothing the world serves.
pub fn stranger_ca(dir: &Path) -> PathBuf {
    let (pem, _, _) = certificates(&["unrelated.example"]);
    let path = dir.join("stranger.pem");
    std::fs::write(&path, pem).expect("write CA");
    path
}

/// Serve one proxied connection: CONNECT, then TLS, then one HTTP request.
fn tunnel(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
    connects: &Mutex<Vec<String>>,
    requests: &Mutex<Vec<Seen>>,
    handler: &Handler,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let (first, _) = head(&mut reader)?;
    let target = first.strip_prefix("CONNECT ").and_then(|r| r.split(' ').next()).unwrap_or_default();
    let host = target.rsplit_once(':').map_or(target, |(h, _)| h).to_string();
    connects.lock().unwrap().push(host.clone());
    let mut raw = stream;
    raw.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let conn = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, raw);
    let mut reader = BufReader::new(&mut tls);
    let (line, headers) = head(&mut reader)?;
    let mut parts = line.split(' ');
    let (method, path) =
        (parts.next().unwrap_or_default().to_string(), parts.next().unwrap_or_default().to_string());
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let seen = Seen { host, method, path, headers, body: String::from_utf8_lossy(&body).into_owned() };
    requests.lock().unwrap().push(seen.clone());
    let reply = handler(&seen);
    std::thread::sleep(reply.delay);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    tls.write_all(out.as_bytes())?;
    tls.flush()?;
    tls.conn.send_close_notify();
    let _ = tls.flush();
    Ok(())
}

/// The request line and headers of an HTTP message.
fn head(reader: &mut impl BufRead) -> std::io::Result<(String, Vec<(String, String)>)> {
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((n, v)) = line.trim_end().split_once(':') {
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
    }
    Ok((first.trim_end().to_string(), headers))
}
