//! Private keys: algorithm, size, format, whether the key is encrypted, its comment, and the
//! OpenSSH SHA-256 fingerprint of its public half (what `ssh-keygen -lf key.pub` prints), all
//! derived offline.
//!
//! Reads PEM (PKCS#1, PKCS#8, encrypted PKCS#8, SEC1, OpenSSL DSA, OpenSSH), PuTTY `.ppk`,
//! ssh.com SSH2, OpenPGP secret keys and age identities, also when pasted into a JSON or YAML
//! string (`\n` escapes, indentation). Parsing is by hand with bounds-checked reads: a malformed
//! key yields fewer fields or `None`, never a panic.

use base64::alphabet;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{Derived, Evidence};

/// Base64 as found in key files: standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(crate) fn extract(ev: &Evidence) -> Option<Derived> {
    let text = unescape(ev.secret_str()?);
    let mut derived = parse(&text)?.derive();
    if let Some(email) = ev.json_field("client_email") {
        derived.fields.insert("client_email".into(), email);
        for name in ["project_id", "private_key_id"] {
            if let Some(value) = ev.json_field(name) {
                derived.fields.insert(name.into(), value);
            }
        }
    }
    Some(derived)
}

/// The key text with the escapes of a JSON or YAML string undone (`\n`, `\r\n`, `\/`).
fn unescape(text: &str) -> String {
    text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\r", "\n").replace("\\/", "/")
}

fn parse(text: &str) -> Option<Key> {
    if let Some(at) = text.find("PuTTY-User-Key-File-") {
        return putty(text.get(at..)?);
    }
    if let Some(at) = text.find("AGE-SECRET-KEY-1") {
        return age(text.get(at..)?);
    }
    let block = Armor::parse(text)?;
    let mut key = match block.label {
        "RSA PRIVATE KEY" => traditional(&block, "rsa", "pkcs1", rsa_private_key)?,
        "EC PRIVATE KEY" => traditional(&block, "ecdsa", "sec1", sec1)?,
        "DSA PRIVATE KEY" => traditional(&block, "dsa", "pem", dsa_private_key)?,
        "PRIVATE KEY" => pkcs8(&block.body)?,
        "ENCRYPTED PRIVATE KEY" => encrypted_pkcs8(&block.body)?,
        "OPENSSH PRIVATE KEY" => openssh(&block.body)?,
        "SSH2 ENCRYPTED PRIVATE KEY" => ssh_com(&block)?,
        "PGP PRIVATE KEY BLOCK" => pgp(&block.body)?,
        _ => return None,
    };
    key.body = block.body;
    Some(key)
}

/// What was learned about one key; becomes a [`Derived`].
#[derive(Debug, Default)]
struct Key {
    /// `pkcs1`, `pkcs8`, `sec1`, `pem`, `openssh`, `putty`, `ssh.com`, `openpgp`, `age`.
    format: &'static str,
    /// `rsa`, `ecdsa-p256`, `ed25519`, `dsa`, … when known.
    algorithm: Option<String>,
    /// Size as `ssh-keygen -l` reports it: RSA modulus, DSA prime, curve.
    bits: Option<usize>,
    encrypted: bool,
    cipher: Option<String>,
    kdf: Option<String>,
    comment: Option<String>,
    /// Other readable fields: `curve`, `oid`, `user_id`, `recipient`.
    extra: Vec<(&'static str, String)>,
    /// The SSH wire-format public key, when the file gives it away.
    public: Option<Vec<u8>>,
    /// The decoded key body: hashed (never shown) for an id when there is no public key.
    body: Vec<u8>,
}

impl Key {
    fn new(algorithm: &str, bits: Option<usize>) -> Self {
        Self { algorithm: Some(algorithm.to_string()), bits, ..Self::default() }
    }

    /// A key known by its SSH wire-format public key.
    fn from_public(blob: &[u8]) -> Option<Self> {
        let (algorithm, bits) = describe(blob)?;
        Some(Self { public: Some(blob.to_vec()), ..Self::new(&algorithm, bits) })
    }

    fn derive(self) -> Derived {
        let fingerprint = self.public.as_deref().map(fingerprint);
        let id = match &fingerprint {
            Some(fingerprint) => format!("key:{fingerprint}"),
            None => {
                let label = self.algorithm.as_deref().unwrap_or(self.format);
                format!("key:{label}:{}", short_hash(&self.body))
            }
        };
        let mut derived = Derived::new(id, "private-key")
            .with("format", self.format)
            .with("encrypted", self.encrypted.to_string());
        let optional = [
            ("algorithm", self.algorithm),
            ("bits", self.bits.map(|bits| bits.to_string())),
            ("cipher", self.cipher),
            ("kdf", self.kdf),
            ("comment", self.comment),
            ("fingerprint", fingerprint),
        ];
        let extra = self.extra.into_iter().map(|(name, value)| (name, Some(value)));
        for (name, value) in optional.into_iter().chain(extra) {
            if let Some(value) = value {
                derived.fields.insert(name.to_string(), value);
            }
        }
        derived
    }
}

/// `SHA256:` and the unpadded base64 SHA-256 of an SSH wire-format public key.
fn fingerprint(blob: &[u8]) -> String {
    format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(blob)))
}

/// 16 hex digits of the SHA-256 of a key body: names it without revealing it.
fn short_hash(body: &[u8]) -> String {
    Sha256::digest(body).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// PEM armor

/// A PEM-style block (`-----BEGIN …-----`, or ssh.com's `---- BEGIN … ----`).
struct Armor<'t> {
    label: &'t str,
    /// `Name: value` lines before the body (`Proc-Type`, `DEK-Info`, `Comment`, `Version`).
    headers: Vec<(&'t str, String)>,
    body: Vec<u8>,
}

impl<'t> Armor<'t> {
    fn parse(text: &'t str) -> Option<Self> {
        let (_, rest) = text.split_once("BEGIN ")?;
        let (label, rest) = rest.split_once("--")?;
        let label = label.trim();
        // Base64 and headers never contain four dashes: the END line starts there.
        let (inner, _) = rest.trim_start_matches('-').split_once("----")?;
        let (ssh2, pgp) = (label.starts_with("SSH2"), label.starts_with("PGP"));
        let mut headers: Vec<(&str, String)> = Vec::new();
        let mut base64 = String::new();
        // Inside an RFC 4716 (ssh.com) header that goes on after a trailing backslash.
        let mut continued = false;
        for line in inner.lines().map(str::trim) {
            if continued {
                if let Some((_, value)) = headers.last_mut() {
                    value.pop();
                    value.push_str(line);
                }
                continued = line.ends_with('\\');
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim(), value.trim().to_string()));
                continued = ssh2 && line.ends_with('\\');
            } else if !(pgp && line.starts_with('=')) {
                // Base64 (in PGP, the `=` line is the armor checksum), without stray escapes or spaces.
                base64.extend(line.chars().filter(|c| c.is_ascii_alphanumeric() || "+/=".contains(*c)));
            }
        }
        let body = BASE64.decode(base64).ok().filter(|body| !body.is_empty())?;
        Some(Self { label, headers, body })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Traditional OpenSSL PEM (`RSA`, `EC`, `DSA PRIVATE KEY`): legacy encryption is announced by
/// `Proc-Type: 4,ENCRYPTED`, with the cipher in `DEK-Info`; otherwise the body is DER.
fn traditional(
    block: &Armor,
    algorithm: &str,
    format: &'static str,
    parse: fn(&[u8]) -> Option<Key>,
) -> Option<Key> {
    let encrypted = block.header("Proc-Type").is_some_and(|v| v.contains("ENCRYPTED"));
    let mut key = if encrypted {
        let cipher = block.header("DEK-Info").and_then(|v| v.split(',').next());
        Key { encrypted, cipher: cipher.map(|c| c.trim().to_ascii_lowercase()), ..Key::new(algorithm, None) }
    } else {
        parse(&block.body)?
    };
    key.format = format;
    Some(key)
}

// ---------------------------------------------------------------------------------------------
// DER

const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
/// `[0]` and `[1]` EXPLICIT, and `[1]` IMPLICIT over a primitive (PKCS#8 v2 public key).
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_1: u8 = 0xa1;
const IMPLICIT_1: u8 = 0x81;

/// A reader over a run of DER elements: single-byte tags, definite lengths.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The next element's tag and contents.
    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.0.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // multi-byte tags: not used by key formats
        }
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 {
                return None; // indefinite (BER) or absurd lengths
            }
            let (bytes, tail) = rest.split_at_checked(count)?;
            rest = tail;
            bytes.iter().fold(0, |len, &b| len << 8 | usize::from(b))
        };
        let (value, tail) = rest.split_at_checked(len)?;
        self.0 = tail;
        Some((tag, value))
    }

    /// The next element's contents if it has `tag`.
    fn take(&mut self, tag: u8) -> Option<&'a [u8]> {
        self.next().and_then(|(t, value)| (t == tag).then_some(value))
    }

    fn sequence(&mut self) -> Option<Der<'a>> {
        self.take(SEQUENCE).map(Der)
    }

    /// An INTEGER's big-endian two's-complement bytes.
    fn integer(&mut self) -> Option<&'a [u8]> {
        self.take(INTEGER)
    }

    fn octet_string(&mut self) -> Option<&'a [u8]> {
        self.take(OCTET_STRING)
    }

    fn bit_string(&mut self) -> Option<&'a [u8]> {
        self.take(BIT_STRING).and_then(bit_string_bytes)
    }

    /// An OBJECT IDENTIFIER in dotted form.
    fn oid(&mut self) -> Option<String> {
        self.take(OID).and_then(oid_string)
    }
}

/// A BIT STRING's contents as bytes (no unused bits).
fn bit_string_bytes(value: &[u8]) -> Option<&[u8]> {
    value.strip_prefix(&[0])
}

/// Dotted form of an OBJECT IDENTIFIER's contents.
fn oid_string(bytes: &[u8]) -> Option<String> {
    let mut arcs = Vec::new();
    let mut arc = 0u64;
    for &b in bytes {
        if arc > u64::MAX >> 7 {
            return None;
        }
        arc = arc << 7 | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(arc);
            arc = 0;
        }
    }
    if bytes.last().is_none_or(|b| b & 0x80 != 0) {
        return None;
    }
    let (&first, rest) = arcs.split_first()?;
    let (a, b) = match first {
        0..40 => (0, first),
        40..80 => (1, first - 40),
        _ => (2, first - 80),
    };
    let arcs: Vec<String> = [a, b].iter().chain(rest).map(u64::to_string).collect();
    Some(arcs.join("."))
}

/// Bit length of a big-endian unsigned integer.
fn bit_len(magnitude: &[u8]) -> usize {
    let magnitude = strip_zeros(magnitude);
    magnitude.first().map_or(0, |top| magnitude.len() * 8 - top.leading_zeros() as usize)
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

const RSA: &str = "1.2.840.113549.1.1.1";
const RSA_PSS: &str = "1.2.840.113549.1.1.10";
const DSA: &str = "1.2.840.10040.4.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const X25519: &str = "1.3.101.110";
const X448: &str = "1.3.101.111";
const ED25519: &str = "1.3.101.112";
const ED448: &str = "1.3.101.113";
const PBES2: &str = "1.2.840.113549.1.5.13";
/// OpenPGP's own OIDs for Ed25519 (legacy EdDSA) and Curve25519 (legacy ECDH).
const PGP_ED25519: &str = "1.3.6.1.4.1.11591.15.1";
const PGP_X25519: &str = "1.3.6.1.4.1.3029.1.5.1";

/// A named elliptic curve as DER and OpenSSH name it.
struct Curve {
    oid: &'static str,
    /// OpenSSH's curve id (`nistp256`); `None` for curves SSH does not use.
    ssh: Option<&'static str>,
    algorithm: &'static str,
    bits: usize,
}

const CURVES: [Curve; 4] = [
    Curve { oid: "1.2.840.10045.3.1.7", ssh: Some("nistp256"), algorithm: "ecdsa-p256", bits: 256 },
    Curve { oid: "1.3.132.0.34", ssh: Some("nistp384"), algorithm: "ecdsa-p384", bits: 384 },
    Curve { oid: "1.3.132.0.35", ssh: Some("nistp521"), algorithm: "ecdsa-p521", bits: 521 },
    Curve { oid: "1.3.132.0.10", ssh: None, algorithm: "ecdsa-secp256k1", bits: 256 },
];

fn curve_by_oid(oid: &str) -> Option<&'static Curve> {
    CURVES.iter().find(|c| c.oid == oid)
}

fn curve_by_ssh(name: &str) -> Option<&'static Curve> {
    CURVES.iter().find(|c| c.ssh == Some(name))
}

/// PKCS#1 `RSAPrivateKey`: `SEQUENCE { version, n, e, d, p, q, … }`.
fn rsa_private_key(der: &[u8]) -> Option<Key> {
    let mut seq = Der(der).sequence()?;
    seq.integer()?;
    let n = seq.integer()?;
    let e = seq.integer()?;
    Some(Key { public: Some(blob_mpints("ssh-rsa", &[e, n])), ..Key::new("rsa", Some(bit_len(n))) })
}

/// OpenSSL's DSA private key: `SEQUENCE { version, p, q, g, y, x }`.
fn dsa_private_key(der: &[u8]) -> Option<Key> {
    let mut seq = Der(der).sequence()?;
    seq.integer()?;
    let [p, q, g, y] = [seq.integer()?, seq.integer()?, seq.integer()?, seq.integer()?];
    Some(Key { public: Some(blob_mpints("ssh-dss", &[p, q, g, y])), ..Key::new("dsa", Some(bit_len(p))) })
}

/// SEC1 `ECPrivateKey` (RFC 5915), standalone.
fn sec1(der: &[u8]) -> Option<Key> {
    let (curve, point) = ec_private_key(der)?;
    Some(ec_key(curve.as_deref(), point))
}

/// An `ECPrivateKey`'s curve (`[0]`) and public point (`[1]`), when present.
fn ec_private_key(der: &[u8]) -> Option<(Option<String>, Option<&[u8]>)> {
    let mut seq = Der(der).sequence()?;
    seq.integer()?;
    seq.octet_string()?;
    let (mut curve, mut point) = (None, None);
    while let Some((tag, value)) = seq.next() {
        match tag {
            CONTEXT_0 => curve = Der(value).oid(),
            CONTEXT_1 => point = Der(value).bit_string(),
            _ => {}
        }
    }
    Some((curve, point))
}

/// An EC key from its curve OID and uncompressed public point (either may be missing).
fn ec_key(curve_oid: Option<&str>, point: Option<&[u8]>) -> Key {
    let Some(curve) = curve_oid.and_then(curve_by_oid) else {
        let mut key = Key::new("ecdsa", None);
        key.extra.extend(curve_oid.map(|oid| ("curve", oid.to_string())));
        return key;
    };
    let public = curve.ssh.zip(point).and_then(|(name, point)| {
        // OpenSSH keys carry the uncompressed point; a compressed one would fingerprint differently.
        let uncompressed = point.len() == 1 + 2 * curve.bits.div_ceil(8) && point.first() == Some(&4);
        uncompressed.then(|| blob_strings(&format!("ecdsa-sha2-{name}"), &[name.as_bytes(), point]))
    });
    Key { public, ..Key::new(curve.algorithm, Some(curve.bits)) }
}

/// PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5958).
fn pkcs8(der: &[u8]) -> Option<Key> {
    let mut seq = Der(der).sequence()?;
    seq.integer()?;
    let mut algorithm = seq.sequence()?;
    let oid = algorithm.oid()?;
    let private = seq.octet_string()?;
    // `[0]` attributes, then the v2 `[1]` public key.
    let mut public = None;
    while let Some((tag, value)) = seq.next() {
        if tag == IMPLICIT_1 {
            public = bit_string_bytes(value);
        }
    }
    let mut key = match oid.as_str() {
        RSA | RSA_PSS => rsa_private_key(private).unwrap_or_else(|| Key::new("rsa", None)),
        EC_PUBLIC_KEY => {
            let (curve, point) = ec_private_key(private).unwrap_or_default();
            let curve = curve.or_else(|| algorithm.oid());
            ec_key(curve.as_deref(), point.or(public))
        }
        ED25519 => {
            // CurvePrivateKey: an OCTET STRING holding the 32-byte seed.
            let seed = Der(private).octet_string();
            let public = public.and_then(|p| <[u8; 32]>::try_from(p).ok());
            let public = public.or_else(|| seed.and_then(ed25519_public));
            Key {
                public: public.map(|p| blob_strings("ssh-ed25519", &[&p])),
                ..Key::new("ed25519", Some(256))
            }
        }
        DSA => {
            // The public y = g^x mod p is not stored: no fingerprint without big-number arithmetic.
            let p = algorithm.sequence().and_then(|mut params| params.integer());
            Key::new("dsa", p.map(bit_len))
        }
        ED448 => Key::new("ed448", None),
        X25519 => Key::new("x25519", None),
        X448 => Key::new("x448", None),
        _ => Key { extra: vec![("oid", oid)], ..Key::default() },
    };
    key.format = "pkcs8";
    Some(key)
}

/// The Ed25519 public key of a 32-byte seed (RFC 8032).
fn ed25519_public(seed: &[u8]) -> Option<[u8; 32]> {
    let seed = <&[u8; 32]>::try_from(seed).ok()?;
    Some(ed25519_dalek::SigningKey::from_bytes(seed).verifying_key().to_bytes())
}

/// PKCS#8 `EncryptedPrivateKeyInfo`: nothing of the key is readable, only how it is protected.
fn encrypted_pkcs8(der: &[u8]) -> Option<Key> {
    let mut seq = Der(der).sequence()?;
    let mut scheme = seq.sequence()?;
    let oid = scheme.oid()?;
    seq.octet_string()?;
    let (kdf, cipher) = if oid == PBES2 {
        let mut params = scheme.sequence();
        let mut next_oid = || params.as_mut().and_then(Der::sequence).and_then(|mut s| s.oid());
        (next_oid(), next_oid())
    } else {
        (None, Some(oid))
    };
    Some(Key {
        format: "pkcs8",
        encrypted: true,
        kdf: kdf.map(pbe_name),
        cipher: cipher.map(pbe_name),
        ..Key::default()
    })
}

/// Readable names of the password-based encryption OIDs of encrypted PKCS#8 files.
fn pbe_name(oid: String) -> String {
    let name = match oid.as_str() {
        "1.2.840.113549.1.5.12" => "pbkdf2",
        "1.3.6.1.4.1.11591.4.11" => "scrypt",
        "2.16.840.1.101.3.4.1.2" => "aes-128-cbc",
        "2.16.840.1.101.3.4.1.22" => "aes-192-cbc",
        "2.16.840.1.101.3.4.1.42" => "aes-256-cbc",
        "1.2.840.113549.3.7" => "des-ede3-cbc",
        "1.3.14.3.2.7" => "des-cbc",
        "1.2.840.113549.1.12.1.3" => "pbe-sha1-3des",
        "1.2.840.113549.1.12.1.6" => "pbe-sha1-rc2-40",
        "1.2.840.113549.1.5.3" => "pbe-md5-des",
        "1.2.840.113549.1.5.10" => "pbe-sha1-des",
        _ => return oid,
    };
    name.to_string()
}

// ---------------------------------------------------------------------------------------------
// SSH wire format

/// A reader over SSH wire-format data (RFC 4251): `byte`, `uint32`, `string`.
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (bytes, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(bytes)
    }

    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        let (b, rest) = self.0.split_first_chunk()?;
        self.0 = rest;
        Some(u16::from_be_bytes(*b))
    }

    fn u32(&mut self) -> Option<u32> {
        let (b, rest) = self.0.split_first_chunk()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*b))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        self.bytes(len)
    }

    fn text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.string()?).ok()
    }

    /// An ssh.com integer: a 32-bit bit count, then the bytes.
    fn ssh_com_int(&mut self) -> Option<&'a [u8]> {
        let bits = usize::try_from(self.u32()?).ok()?;
        self.bytes(bits.div_ceil(8))
    }

    /// An OpenPGP MPI: a 16-bit bit count, then the bytes.
    fn mpi(&mut self) -> Option<&'a [u8]> {
        let bits = usize::from(self.u16()?);
        self.bytes(bits.div_ceil(8))
    }
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// An SSH public key blob: the type name, then `mpint`s made from unsigned magnitudes.
fn blob_mpints(name: &str, ints: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    put_string(&mut out, name.as_bytes());
    for int in ints {
        let magnitude = strip_zeros(int);
        if magnitude.first().is_some_and(|b| b & 0x80 != 0) {
            put_string(&mut out, &[&[0u8][..], magnitude].concat());
        } else {
            put_string(&mut out, magnitude);
        }
    }
    out
}

/// An SSH public key blob: the type name, then `string`s.
fn blob_strings(name: &str, strings: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    put_string(&mut out, name.as_bytes());
    for string in strings {
        put_string(&mut out, string);
    }
    out
}

/// Algorithm and size (as `ssh-keygen -l` reports it) of an SSH wire-format public key.
fn describe(blob: &[u8]) -> Option<(String, Option<usize>)> {
    let mut r = Wire(blob);
    let name = r.text()?;
    let (algorithm, bits) = match name {
        "ssh-rsa" => {
            r.string()?; // e
            ("rsa".to_string(), Some(bit_len(r.string()?)))
        }
        "ssh-dss" => ("dsa".to_string(), Some(bit_len(r.string()?))),
        "ssh-ed25519" => ("ed25519".to_string(), Some(256)),
        "sk-ssh-ed25519@openssh.com" => ("ed25519-sk".to_string(), Some(256)),
        _ => {
            let sk = name.strip_prefix("sk-ecdsa-sha2-").and_then(|n| n.strip_suffix("@openssh.com"));
            if let Some(curve) = name.strip_prefix("ecdsa-sha2-").and_then(curve_by_ssh) {
                (curve.algorithm.to_string(), Some(curve.bits))
            } else if let Some(curve) = sk.and_then(curve_by_ssh) {
                (format!("{}-sk", curve.algorithm), Some(curve.bits))
            } else {
                (name.to_string(), None)
            }
        }
    };
    Some((algorithm, bits))
}

/// `openssh-key-v1` (PROTOCOL.key): the public key is in clear even when the rest is encrypted.
fn openssh(body: &[u8]) -> Option<Key> {
    let mut r = Wire(body.strip_prefix(b"openssh-key-v1\0")?);
    let cipher = r.text()?;
    let kdf = r.text()?;
    r.string()?; // KDF options
    let count = r.u32()?;
    let public = r.string()?;
    for _ in 1..count {
        r.string()?;
    }
    let encrypted = cipher != "none";
    let mut key = Key::from_public(public).unwrap_or_default();
    key.format = "openssh";
    key.encrypted = encrypted;
    if encrypted {
        key.cipher = Some(cipher.to_string());
        key.kdf = Some(kdf.to_string());
    } else {
        key.comment = r.string().and_then(openssh_comment);
    }
    Some(key)
}

/// The comment of the first key in an unencrypted OpenSSH private section.
fn openssh_comment(private: &[u8]) -> Option<String> {
    let mut r = Wire(private);
    if r.u32()? != r.u32()? {
        return None; // check integers differ: not a clear private section
    }
    // The private fields before the comment: `s` a string or mpint, `b` a byte.
    let layout = match r.text()? {
        "ssh-rsa" => "ssssss",
        "ssh-dss" => "sssss",
        "ssh-ed25519" => "ss",
        "sk-ssh-ed25519@openssh.com" => "ssbss",
        name if name.starts_with("ecdsa-sha2-") => "sss",
        name if name.starts_with("sk-ecdsa-sha2-") => "sssbss",
        _ => return None,
    };
    for field in layout.bytes() {
        if field == b'b' {
            r.u8()?;
        } else {
            r.string()?;
        }
    }
    r.text().filter(|c| !c.is_empty()).map(str::to_string)
}

/// ssh.com / Tectia: magic, size, key type, cipher, then (when not encrypted) the key fields.
fn ssh_com(block: &Armor) -> Option<Key> {
    let mut r = Wire(&block.body);
    if r.u32()? != 0x3f6f_f9eb {
        return None;
    }
    r.u32()?; // total size
    let kind = r.text()?;
    let cipher = r.text()?;
    let algorithm = if kind.starts_with("if-modn{sign{rsa") {
        Some("rsa")
    } else if kind.starts_with("dl-modp{sign{dsa") {
        Some("dsa")
    } else {
        None
    };
    let encrypted = cipher != "none";
    // Clear data is a string holding the payload (then padding).
    let payload = r.string().and_then(|data| Wire(data).string()).filter(|_| !encrypted);
    let public = algorithm.zip(payload).and_then(|(algorithm, payload)| ssh_com_public(algorithm, payload));
    let mut key = match (public.as_deref().and_then(Key::from_public), algorithm) {
        (Some(key), _) => key,
        (None, Some(algorithm)) => Key::new(algorithm, None),
        (None, None) => Key::default(),
    };
    key.format = "ssh.com";
    key.encrypted = encrypted;
    key.cipher = encrypted.then(|| cipher.to_string());
    key.comment = block.header("Comment").map(|c| c.trim_matches('"').to_string()).filter(|c| !c.is_empty());
    Some(key)
}

/// The SSH public key of an ssh.com payload, whose integers are a bit count and the bytes.
fn ssh_com_public(algorithm: &str, payload: &[u8]) -> Option<Vec<u8>> {
    let mut r = Wire(payload);
    if algorithm == "rsa" {
        let [e, _d, n] = [r.ssh_com_int()?, r.ssh_com_int()?, r.ssh_com_int()?];
        Some(blob_mpints("ssh-rsa", &[e, n]))
    } else {
        // A zero word (explicit parameters), then p, g, q, y, x.
        if r.u32()? != 0 {
            return None;
        }
        let [p, g, q, y] = [r.ssh_com_int()?, r.ssh_com_int()?, r.ssh_com_int()?, r.ssh_com_int()?];
        Some(blob_mpints("ssh-dss", &[p, q, g, y]))
    }
}

// ---------------------------------------------------------------------------------------------
// PuTTY

/// PuTTY `.ppk` v2/v3: `Name: value` headers, with `Public-Lines` / `Private-Lines` base64 runs.
fn putty(text: &str) -> Option<Key> {
    let mut lines = text.lines().map(str::trim);
    let mut headers = Vec::new();
    let (mut public, mut private) = (None, None);
    while let Some(line) = lines.next() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name == "Public-Lines" || name == "Private-Lines" {
            let count: usize = value.parse().ok()?;
            let base64: String = lines.by_ref().take(count).collect();
            let decoded = BASE64.decode(base64).ok();
            if name == "Public-Lines" {
                public = decoded;
            } else {
                private = decoded;
            }
        } else {
            headers.push((name, value));
        }
    }
    let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    // The first line names the algorithm: `PuTTY-User-Key-File-3: ssh-ed25519`.
    let declared = headers.first().map(|(_, name)| name.to_string()).filter(|name| !name.is_empty());
    let mut key = public
        .as_deref()
        .and_then(Key::from_public)
        .unwrap_or_else(|| Key { algorithm: declared, ..Key::default() });
    key.format = "putty";
    let encryption = header("Encryption").unwrap_or("none");
    key.encrypted = encryption != "none";
    if key.encrypted {
        key.cipher = Some(encryption.to_string());
        key.kdf = header("Key-Derivation").map(str::to_ascii_lowercase);
    }
    key.comment = header("Comment").filter(|c| !c.is_empty()).map(str::to_string);
    key.body = [public, private].into_iter().flatten().flatten().collect();
    (!key.body.is_empty()).then_some(key)
}

// ---------------------------------------------------------------------------------------------
// OpenPGP

/// An OpenPGP transferable secret key (RFC 9580): the primary key's algorithm, size and
/// protection, and the first User ID.
fn pgp(body: &[u8]) -> Option<Key> {
    let (mut key, mut user_id) = (None, None);
    let mut rest = body;
    while let Some((tag, packet, tail)) = pgp_packet(rest) {
        rest = tail;
        match tag {
            5 if key.is_none() => key = Some(pgp_secret_key(packet)?),
            13 if user_id.is_none() => user_id = std::str::from_utf8(packet).ok().map(str::to_string),
            _ => {}
        }
        if key.is_some() && user_id.is_some() {
            break;
        }
    }
    let mut key = key?;
    key.format = "openpgp";
    key.extra.extend(user_id.map(|id| ("user_id", id)));
    Some(key)
}

/// Splits one packet off: its tag, contents, and the rest.
fn pgp_packet(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let mut r = Wire(data);
    let head = r.u8()?;
    if head & 0x80 == 0 {
        return None;
    }
    let (tag, len) = if head & 0x40 != 0 {
        let len = match r.u8()? {
            first @ 0..192 => usize::from(first),
            first @ 192..224 => (usize::from(first - 192) << 8) + usize::from(r.u8()?) + 192,
            255 => usize::try_from(r.u32()?).ok()?,
            _ => return None, // partial lengths: never used for key packets
        };
        (head & 0x3f, len)
    } else {
        let len = match head & 3 {
            0 => usize::from(r.u8()?),
            1 => usize::from(r.u16()?),
            2 => usize::try_from(r.u32()?).ok()?,
            _ => r.0.len(),
        };
        ((head >> 2) & 0x0f, len)
    };
    let packet = r.bytes(len)?;
    Some((tag, packet, r.0))
}

/// A Secret-Key packet: version, creation time, algorithm, public fields, then S2K usage.
fn pgp_secret_key(packet: &[u8]) -> Option<Key> {
    let mut r = Wire(packet);
    let version = r.u8()?;
    r.bytes(4)?; // creation time
    if version == 3 {
        r.bytes(2)?; // validity days
    }
    let algorithm = r.u8()?;
    let (name, bits) = if version >= 5 {
        let len = usize::try_from(r.u32()?).ok()?;
        pgp_public(algorithm, &mut Wire(r.bytes(len)?))?
    } else {
        pgp_public(algorithm, &mut r)?
    };
    Some(Key { encrypted: r.u8()? != 0, ..Key::new(&name, bits) })
}

/// Reads a public key's algorithm-specific fields; returns its name and size.
fn pgp_public(algorithm: u8, r: &mut Wire) -> Option<(String, Option<usize>)> {
    let named = |name: &str, bits| Some((name.to_string(), bits));
    match algorithm {
        1..=3 => {
            let n = r.mpi()?;
            r.mpi()?; // e
            named("rsa", Some(bit_len(n)))
        }
        16 => {
            let p = r.mpi()?;
            let _g_y = (r.mpi()?, r.mpi()?);
            named("elgamal", Some(bit_len(p)))
        }
        17 => {
            let p = r.mpi()?;
            let _q_g_y = (r.mpi()?, r.mpi()?, r.mpi()?);
            named("dsa", Some(bit_len(p)))
        }
        18 | 19 | 22 => {
            let len = usize::from(r.u8()?);
            let oid = oid_string(r.bytes(len)?)?;
            r.mpi()?; // the public point
            if algorithm == 18 {
                let len = usize::from(r.u8()?);
                r.bytes(len)?; // KDF parameters
            }
            match (algorithm, oid.as_str(), curve_by_oid(&oid)) {
                (22, PGP_ED25519 | ED25519, _) => named("ed25519", Some(256)),
                (22, ED448, _) => named("ed448", None),
                (18, PGP_X25519 | X25519, _) => named("x25519", None),
                (18, X448, _) => named("x448", None),
                (19, _, Some(curve)) => named(curve.algorithm, Some(curve.bits)),
                (18, _, Some(curve)) => named(&curve.algorithm.replace("ecdsa", "ecdh"), Some(curve.bits)),
                (18, ..) => named("ecdh", None),
                (19, ..) => named("ecdsa", None),
                _ => named("eddsa", None),
            }
        }
        25 => r.bytes(32).and_then(|_| named("x25519", None)),
        26 => r.bytes(56).and_then(|_| named("x448", None)),
        27 => r.bytes(32).and_then(|_| named("ed25519", Some(256))),
        28 => r.bytes(57).and_then(|_| named("ed448", None)),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// age

/// An age X25519 identity (`AGE-SECRET-KEY-1…`, Bech32); its `age1…` recipient is derived.
fn age(text: &str) -> Option<Key> {
    let token: String = text.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let (hrp, data) = bech32_decode(&token)?;
    if hrp != "age-secret-key-" {
        return None;
    }
    let scalar = <[u8; 32]>::try_from(data.as_slice()).ok()?;
    let recipient = bech32_encode("age", &x25519_public(&scalar));
    Some(Key { format: "age", extra: vec![("recipient", recipient)], body: data, ..Key::new("x25519", None) })
}

/// X25519(scalar, basepoint) (RFC 7748), computed on the birationally equivalent Edwards curve:
/// the Montgomery form of clamp(scalar)·B is the X25519 public key.
fn x25519_public(scalar: &[u8; 32]) -> [u8; 32] {
    let mut expanded = [0u8; 64];
    expanded[..32].copy_from_slice(scalar);
    let secret = ed25519_dalek::hazmat::ExpandedSecretKey::from_bytes(&expanded);
    ed25519_dalek::VerifyingKey::from(&secret).to_montgomery().to_bytes()
}

const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// BIP-173 checksum state over 5-bit values.
fn bech32_polymod(values: impl IntoIterator<Item = u8>) -> u32 {
    const GENERATOR: [u32; 5] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
    values.into_iter().fold(1, |chk, value| {
        let top = chk >> 25;
        let chk = (chk & 0x01ff_ffff) << 5 ^ u32::from(value);
        GENERATOR.iter().enumerate().filter(|(i, _)| top >> i & 1 == 1).fold(chk, |chk, (_, g)| chk ^ g)
    })
}

fn bech32_hrp_expand(hrp: &str) -> Vec<u8> {
    hrp.bytes().map(|b| b >> 5).chain([0]).chain(hrp.bytes().map(|b| b & 31)).collect()
}

/// Human-readable part (lowercase) and data bytes of a Bech32 string with a valid checksum.
fn bech32_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let text = text.to_ascii_lowercase();
    let (hrp, data) = text.rsplit_once('1')?;
    let values: Vec<u8> =
        data.bytes().map(|c| BECH32.iter().position(|&x| x == c).map(|v| v as u8)).collect::<Option<_>>()?;
    let checksummed = bech32_hrp_expand(hrp).into_iter().chain(values.iter().copied());
    if bech32_polymod(checksummed) != 1 {
        return None;
    }
    let data = values.get(..values.len().checked_sub(6)?)?;
    Some((hrp.to_string(), regroup(data, 5, 8, false)?))
}

fn bech32_encode(hrp: &str, data: &[u8]) -> String {
    let values = regroup(data, 8, 5, true).unwrap_or_default();
    let checksummed = bech32_hrp_expand(hrp).into_iter().chain(values.iter().copied()).chain([0; 6]);
    let checksum = bech32_polymod(checksummed) ^ 1;
    let checksum = (0..6).rev().map(|i| (checksum >> (5 * i) & 31) as u8);
    let chars = values.iter().copied().chain(checksum).map(|v| char::from(BECH32[usize::from(v & 31)]));
    format!("{hrp}1{}", chars.collect::<String>())
}

/// Regroups bits (8 to 5 for encoding, 5 to 8 for decoding); `None` on bad padding.
fn regroup(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
    let (mut acc, mut bits, max) = (0u32, 0u32, (1u32 << to) - 1);
    let mut out = Vec::new();
    for &value in data {
        acc = (acc << from | u32::from(value)) & 0xffff;
        bits += from;
        while bits >= to {
            bits -= to;
            out.push((acc >> bits & max) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push((acc << (to - bits) & max) as u8);
        }
    } else if bits >= from || acc << (to - bits) & max != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    //! Keys are generated at test time (`ssh-keygen`, `openssl`, `gpg`); none is committed.
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    use base64::engine::general_purpose::STANDARD;

    use super::*;
    use crate::identity::evidence_in;

    const COMMENT: &str = "deploy-bot@ci.example";

    /// `extract` on a key alone.
    fn derive(text: &str) -> Option<Derived> {
        extract(&evidence_in("private-key.test", text, text, &[]))
    }

    fn field<'d>(derived: &'d Derived, name: &str) -> Option<&'d str> {
        derived.fields.get(name).map(String::as_str)
    }

    /// Whether a tool runs here; prints a note when it does not.
    fn have(tool: &str) -> bool {
        let found =
            Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
        if !found {
            eprintln!("note: {tool} is not installed; skipping");
        }
        found
    }

    fn run(program: &str, args: &[&str]) -> Option<Vec<u8>> {
        let out = Command::new(program).args(args).stdin(Stdio::null()).output().ok()?;
        out.status.success().then_some(out.stdout)
    }

    /// A key from `ssh-keygen -q -N '' -C COMMENT -f dir/name ARGS…`, or `None` when this
    /// ssh-keygen refuses it (DSA in newer OpenSSH).
    fn keygen(dir: &Path, name: &str, args: &[&str]) -> Option<PathBuf> {
        let path = dir.join(name);
        let path_str = path.to_str()?;
        let base = ["-q", "-N", "", "-C", COMMENT, "-f", path_str];
        run("ssh-keygen", &[&base[..], args].concat())?;
        Some(path)
    }

    fn public_path(key: &Path) -> PathBuf {
        PathBuf::from(format!("{}.pub", key.display()))
    }

    /// Bits, fingerprint and comment as `ssh-keygen -l -E sha256 -f key.pub` prints them.
    fn ssh_keygen_l(public: &Path) -> (String, String, String) {
        let out = run("ssh-keygen", &["-l", "-E", "sha256", "-f", public.to_str().unwrap()]).unwrap();
        let line = String::from_utf8(out).unwrap();
        // `2048 SHA256:… comment (RSA)`
        let (bits, rest) = line.trim().split_once(' ').unwrap();
        let (fingerprint, rest) = rest.split_once(' ').unwrap();
        let comment = rest.rsplit_once(" (").map_or("", |(comment, _)| comment);
        (bits.to_string(), fingerprint.to_string(), comment.to_string())
    }

    /// The SSH wire-format blob of an OpenSSH `.pub` line.
    fn public_blob(public: &Path) -> Vec<u8> {
        let line = std::fs::read_to_string(public).unwrap();
        STANDARD.decode(line.split_whitespace().nth(1).unwrap()).unwrap()
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    /// Deterministic filler bytes (stand-ins for private fields; not key material).
    fn filler(len: usize, seed: u32) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 16) as u8
            })
            .collect()
    }

    fn wrap(base64: &str, width: usize) -> Vec<String> {
        base64.as_bytes().chunks(width).map(|c| String::from_utf8_lossy(c).into_owned()).collect()
    }

    #[test]
    fn ssh_keygen_keys_fingerprint_like_ssh_keygen() {
        if !have("ssh-keygen") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, &[&str], &str, &str)] = &[
            ("rsa", &["-t", "rsa", "-b", "2048"], "openssh", "rsa"),
            ("rsa-pem", &["-t", "rsa", "-b", "2048", "-m", "PEM"], "pkcs1", "rsa"),
            ("rsa-pkcs8", &["-t", "rsa", "-b", "2048", "-m", "PKCS8"], "pkcs8", "rsa"),
            ("p256", &["-t", "ecdsa", "-b", "256"], "openssh", "ecdsa-p256"),
            ("p256-pem", &["-t", "ecdsa", "-b", "256", "-m", "PEM"], "sec1", "ecdsa-p256"),
            ("p256-pkcs8", &["-t", "ecdsa", "-b", "256", "-m", "PKCS8"], "pkcs8", "ecdsa-p256"),
            ("p384", &["-t", "ecdsa", "-b", "384"], "openssh", "ecdsa-p384"),
            ("p384-pem", &["-t", "ecdsa", "-b", "384", "-m", "PEM"], "sec1", "ecdsa-p384"),
            ("p384-pkcs8", &["-t", "ecdsa", "-b", "384", "-m", "PKCS8"], "pkcs8", "ecdsa-p384"),
            ("p521-pkcs8", &["-t", "ecdsa", "-b", "521", "-m", "PKCS8"], "pkcs8", "ecdsa-p521"),
            ("ed25519", &["-t", "ed25519"], "openssh", "ed25519"),
        ];
        for &(name, args, format, algorithm) in cases {
            let key = keygen(dir.path(), name, args).unwrap();
            let (bits, fingerprint, comment) = ssh_keygen_l(&public_path(&key));
            let derived = derive(&read(&key)).unwrap_or_else(|| panic!("{name}: nothing derived"));
            assert_eq!(derived.id, format!("key:{fingerprint}"), "{name}");
            assert_eq!(derived.kind, "private-key");
            assert_eq!(field(&derived, "fingerprint"), Some(fingerprint.as_str()), "{name}");
            assert_eq!(field(&derived, "bits"), Some(bits.as_str()), "{name}");
            assert_eq!(field(&derived, "format"), Some(format), "{name}");
            assert_eq!(field(&derived, "algorithm"), Some(algorithm), "{name}");
            assert_eq!(field(&derived, "encrypted"), Some("false"), "{name}");
            // Only OpenSSH files keep the comment.
            let expected_comment = (format == "openssh").then_some(comment.as_str());
            assert_eq!(field(&derived, "comment"), expected_comment, "{name}");
            assert_eq!(comment, COMMENT);
        }
    }

    #[test]
    fn dsa_pem_fingerprint() {
        if !have("ssh-keygen") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let Some(key) = keygen(dir.path(), "dsa", &["-t", "dsa", "-m", "PEM"]) else {
            eprintln!("note: this ssh-keygen does not make DSA keys; skipping");
            return;
        };
        let (bits, fingerprint, _) = ssh_keygen_l(&public_path(&key));
        let derived = derive(&read(&key)).unwrap();
        assert_eq!(field(&derived, "fingerprint"), Some(fingerprint.as_str()));
        assert_eq!(field(&derived, "bits"), Some(bits.as_str()));
        assert_eq!(field(&derived, "algorithm"), Some("dsa"));
        assert_eq!(field(&derived, "format"), Some("pem"));
    }

    #[test]
    fn encrypted_keys() {
        if !have("ssh-keygen") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
        let gen = |name: &str, args: &[&str]| {
            let file = path(name);
            run("ssh-keygen", &[&["-q", "-N", "passphrase", "-C", COMMENT, "-f", &file], args].concat())
                .unwrap();
            PathBuf::from(file)
        };

        // OpenSSH: the public key is in clear, the comment is not.
        let key = gen("ed25519", &["-t", "ed25519"]);
        let (_, fingerprint, _) = ssh_keygen_l(&public_path(&key));
        let derived = derive(&read(&key)).unwrap();
        assert_eq!(derived.id, format!("key:{fingerprint}"));
        assert_eq!(field(&derived, "encrypted"), Some("true"));
        assert_eq!(field(&derived, "cipher"), Some("aes256-ctr"));
        assert_eq!(field(&derived, "kdf"), Some("bcrypt"));
        assert_eq!(field(&derived, "comment"), None);

        // Legacy-encrypted PEM: no public key, an id from the body hash.
        for (name, args, algorithm, format) in [
            ("rsa-pem", &["-t", "rsa", "-b", "2048", "-m", "PEM"][..], "rsa", "pkcs1"),
            ("p256-pem", &["-t", "ecdsa", "-m", "PEM"][..], "ecdsa", "sec1"),
        ] {
            let derived = derive(&read(&gen(name, args))).unwrap();
            let hash = derived.id.strip_prefix(&format!("key:{algorithm}:")).unwrap();
            assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{}", derived.id);
            assert_eq!(field(&derived, "encrypted"), Some("true"));
            assert_eq!(field(&derived, "format"), Some(format));
            assert!(field(&derived, "cipher").unwrap().starts_with("aes-"), "{derived:?}");
            assert_eq!(field(&derived, "fingerprint"), None);
        }

        // Encrypted PKCS#8: PBES2 with PBKDF2.
        let derived = derive(&read(&gen("rsa-pkcs8", &["-t", "rsa", "-b", "2048", "-m", "PKCS8"]))).unwrap();
        assert!(derived.id.starts_with("key:pkcs8:"), "{}", derived.id);
        assert_eq!(field(&derived, "encrypted"), Some("true"));
        assert_eq!(field(&derived, "kdf"), Some("pbkdf2"));
        assert!(field(&derived, "cipher").unwrap().starts_with("aes-"), "{derived:?}");
        assert_eq!(field(&derived, "algorithm"), None);
    }

    #[test]
    fn openssl_ed25519_pkcs8_public_key_is_derived() {
        if !have("ssh-keygen") || !have("openssl") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("ed25519.pem");
        let key_str = key.to_str().unwrap();
        run("openssl", &["genpkey", "-algorithm", "ed25519", "-out", key_str]).unwrap();
        // openssl's public key (SubjectPublicKeyInfo; the key is its last 32 bytes) as an OpenSSH .pub.
        let spki = run("openssl", &["pkey", "-in", key_str, "-pubout", "-outform", "DER"]).unwrap();
        let public = spki.get(spki.len() - 32..).unwrap();
        let mut blob = Vec::new();
        put_string(&mut blob, b"ssh-ed25519");
        put_string(&mut blob, public);
        let pub_file = dir.path().join("ed25519.pem.pub");
        std::fs::write(&pub_file, format!("ssh-ed25519 {} test\n", STANDARD.encode(&blob))).unwrap();
        let (_, fingerprint, _) = ssh_keygen_l(&pub_file);

        let derived = derive(&read(&key)).unwrap();
        assert_eq!(field(&derived, "fingerprint"), Some(fingerprint.as_str()));
        assert_eq!(field(&derived, "algorithm"), Some("ed25519"));
        assert_eq!(field(&derived, "format"), Some("pkcs8"));
    }

    #[test]
    fn escaped_and_indented_keys_in_json_and_yaml() {
        if !have("ssh-keygen") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let key = keygen(dir.path(), "rsa", &["-t", "rsa", "-b", "2048", "-m", "PKCS8"]).unwrap();
        let (_, fingerprint, _) = ssh_keygen_l(&public_path(&key));
        let text = read(&key);
        let text = text.trim_end();

        // A GCP service-account key file: `\n` escapes, the email after the key.
        let quoted = serde_json::to_string(text).unwrap();
        let json = format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo-project\",\n  \
             \"private_key_id\": \"0123456789abcdef\",\n  \"private_key\": {quoted},\n  \
             \"client_email\": \"ci-deployer@demo-project.iam.gserviceaccount.com\",\n  \
             \"client_id\": \"123456789\"\n}}\n"
        );
        let secret = quoted.trim_matches('"');
        assert!(secret.contains("\\n"));
        let php = json.replace('/', "\\/");
        let php_secret = secret.replace('/', "\\/");
        // The same file as a string inside another JSON document: escapes escaped again.
        let nested = serde_json::to_string(&json).unwrap();
        let nested_secret = serde_json::to_string(secret).unwrap();
        let nested_secret = nested_secret.trim_matches('"');
        for (context, secret) in [(&json, secret), (&php, &php_secret), (&nested, nested_secret)] {
            let derived = extract(&evidence_in("gcp.service-account", context, secret, &[])).unwrap();
            assert_eq!(field(&derived, "fingerprint"), Some(fingerprint.as_str()), "{context}");
            let email = field(&derived, "client_email");
            assert_eq!(email, Some("ci-deployer@demo-project.iam.gserviceaccount.com"), "{context}");
            assert_eq!(field(&derived, "project_id"), Some("demo-project"));
            assert_eq!(field(&derived, "private_key_id"), Some("0123456789abcdef"));
        }

        // Without a service-account JSON around it, no email.
        assert_eq!(field(&derive(text).unwrap(), "client_email"), None);

        // YAML block scalar (indented), CRLF line ends.
        let key = keygen(dir.path(), "ed25519", &["-t", "ed25519"]).unwrap();
        let (_, fingerprint, _) = ssh_keygen_l(&public_path(&key));
        let text = read(&key);
        let indented: String = text.lines().map(|line| format!("    {line}\n")).collect();
        let yaml = format!("deploy:\n  ssh_key: |\n{indented}  user: ci\n");
        let secret = indented.trim();
        let derived = extract(&evidence_in("private-key.openssh", &yaml, secret, &[])).unwrap();
        assert_eq!(field(&derived, "fingerprint"), Some(fingerprint.as_str()));
        assert_eq!(field(&derived, "comment"), Some(COMMENT));
        let crlf = text.trim_end().replace('\n', "\r\n");
        assert_eq!(field(&derive(&crlf).unwrap(), "fingerprint"), Some(fingerprint.as_str()));
    }

    /// A minimal `.ppk` around an OpenSSH public key blob; the private lines are filler.
    fn ppk(version: u8, algorithm: &str, blob: &[u8], encryption: &[&str]) -> String {
        let public = wrap(&STANDARD.encode(blob), 64);
        let private = wrap(&STANDARD.encode(filler(100, 7)), 64);
        let mut lines = vec![format!("PuTTY-User-Key-File-{version}: {algorithm}")];
        lines.extend(encryption.iter().take(1).map(|e| format!("Encryption: {e}")));
        lines.push(format!("Comment: {COMMENT}"));
        lines.push(format!("Public-Lines: {}", public.len()));
        lines.extend(public);
        lines.extend(encryption.iter().skip(1).map(|h| h.to_string()));
        lines.push(format!("Private-Lines: {}", private.len()));
        lines.extend(private);
        lines.join("\n")
    }

    #[test]
    fn putty_keys() {
        if !have("ssh-keygen") {
            return;
        }
        let puttygen = have("puttygen");
        let dir = tempfile::tempdir().unwrap();
        let passphrase = dir.path().join("passphrase");
        std::fs::write(&passphrase, "passphrase\n").unwrap();
        for (name, args, algorithm) in [
            ("ed25519", &["-t", "ed25519"][..], "ed25519"),
            ("rsa", &["-t", "rsa", "-b", "2048"][..], "rsa"),
            ("p384", &["-t", "ecdsa", "-b", "384"][..], "ecdsa-p384"),
        ] {
            let key = keygen(dir.path(), name, args).unwrap();
            let public = public_path(&key);
            let (_, fingerprint, _) = ssh_keygen_l(&public);
            let blob = public_blob(&public);
            let ssh_name = read(&public).split_whitespace().next().unwrap().to_string();

            let clear = ppk(3, &ssh_name, &blob, &["none"]);
            let derived = derive(&clear).unwrap();
            assert_eq!(derived.id, format!("key:{fingerprint}"), "{name}");
            assert_eq!(field(&derived, "format"), Some("putty"));
            assert_eq!(field(&derived, "algorithm"), Some(algorithm));
            assert_eq!(field(&derived, "comment"), Some(COMMENT));
            assert_eq!(field(&derived, "encrypted"), Some("false"));

            let argon =
                ["aes256-cbc", "Key-Derivation: Argon2id", "Argon2-Memory: 8192", "Argon2-Passes: 13"];
            let derived = derive(&ppk(3, &ssh_name, &blob, &argon)).unwrap();
            assert_eq!(field(&derived, "fingerprint"), Some(fingerprint.as_str()));
            assert_eq!(field(&derived, "encrypted"), Some("true"));
            assert_eq!(field(&derived, "cipher"), Some("aes256-cbc"));
            assert_eq!(field(&derived, "kdf"), Some("argon2id"));

            // Version 2 inside a JSON string.
            let escaped = ppk(2, &ssh_name, &blob, &["none"]).replace('\n', "\\n");
            assert_eq!(field(&derive(&escaped).unwrap(), "fingerprint"), Some(fingerprint.as_str()));

            if puttygen {
                // Real files: v3 and v2, clear and passphrase-protected.
                let ppk_file = dir.path().join(format!("{name}.ppk"));
                let (key_str, ppk_str) = (key.to_str().unwrap(), ppk_file.to_str().unwrap());
                let new_passphrase = ["--new-passphrase", passphrase.to_str().unwrap()];
                for (version, encrypted) in [("3", false), ("2", false), ("3", true), ("2", true)] {
                    let version = format!("version={version}");
                    let mut args = vec![key_str, "-O", "private", "-o", ppk_str, "--ppk-param", &version];
                    if encrypted {
                        args.extend(new_passphrase);
                    }
                    run("puttygen", &args).unwrap();
                    let derived = derive(&read(&ppk_file)).unwrap();
                    let what = format!("puttygen {name} {version} encrypted={encrypted}");
                    assert_eq!(field(&derived, "fingerprint"), Some(fingerprint.as_str()), "{what}");
                    assert_eq!(field(&derived, "comment"), Some(COMMENT), "{what}");
                    assert_eq!(field(&derived, "encrypted"), Some(encrypted.to_string().as_str()), "{what}");
                    if encrypted {
                        assert_eq!(field(&derived, "cipher"), Some("aes256-cbc"), "{what}");
                        let kdf = (version == "version=3").then_some("argon2id");
                        assert_eq!(field(&derived, "kdf"), kdf, "{what}");
                    }
                }
            }
        }
    }

    /// An ssh.com integer: bit count, then the bytes.
    fn ssh_com_int(out: &mut Vec<u8>, magnitude: &[u8]) {
        let magnitude = strip_zeros(magnitude);
        out.extend_from_slice(&(bit_len(magnitude) as u32).to_be_bytes());
        out.extend_from_slice(magnitude);
    }

    #[test]
    fn ssh_com_rsa_key() {
        if !have("ssh-keygen") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let key = keygen(dir.path(), "rsa", &["-t", "rsa", "-b", "2048"]).unwrap();
        let public = public_path(&key);
        let (_, fingerprint, _) = ssh_keygen_l(&public);
        let blob = public_blob(&public);
        let mut r = Wire(&blob);
        let (_, e, n) = (r.string().unwrap(), r.string().unwrap(), r.string().unwrap());

        let armored = |cipher: &str| {
            // Payload: e, d, n, u, p, q (the private ones are filler here).
            let mut payload = Vec::new();
            for int in [e, &filler(256, 1), n, &filler(128, 2), &filler(128, 3), &filler(128, 4)] {
                ssh_com_int(&mut payload, int);
            }
            let mut data = Vec::new();
            put_string(&mut data, &payload);
            let mut rest = Vec::new();
            put_string(&mut rest, b"if-modn{sign{rsa-pkcs1-sha1},encrypt{rsa-pkcs1v2-oaep}}");
            put_string(&mut rest, cipher.as_bytes());
            put_string(&mut rest, &data);
            let mut body = 0x3f6f_f9eb_u32.to_be_bytes().to_vec();
            body.extend_from_slice(&(rest.len() as u32 + 8).to_be_bytes());
            body.extend_from_slice(&rest);
            let lines = wrap(&STANDARD.encode(&body), 70).join("\n");
            format!(
                "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key-20240101 \\\ncontinued\"\n\
                 {lines}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----\n"
            )
        };

        let derived = derive(&armored("none")).unwrap();
        assert_eq!(derived.id, format!("key:{fingerprint}"));
        assert_eq!(field(&derived, "format"), Some("ssh.com"));
        assert_eq!(field(&derived, "bits"), Some("2048"));
        assert_eq!(field(&derived, "comment"), Some("rsa-key-20240101 continued"));

        let derived = derive(&armored("3des-cbc")).unwrap();
        assert!(derived.id.starts_with("key:rsa:"), "{}", derived.id);
        assert_eq!(field(&derived, "encrypted"), Some("true"));
        assert_eq!(field(&derived, "cipher"), Some("3des-cbc"));
    }

    #[test]
    fn pgp_secret_keys() {
        if !have("gpg") {
            return;
        }
        let home = tempfile::tempdir().unwrap();
        let home_str = home.path().to_str().unwrap();
        let gpg = |passphrase: &str, args: &[&str]| {
            let base =
                ["--homedir", home_str, "--batch", "--pinentry-mode", "loopback", "--passphrase", passphrase];
            run("gpg", &[&base[..], args].concat())
        };
        // Key spec, passphrase, expected algorithm and size.
        let cases = [
            ("ed25519", "", "ed25519", Some("256")),
            ("rsa2048", "", "rsa", Some("2048")),
            ("nistp256", "secret", "ecdsa-p256", Some("256")),
        ];
        for (spec, passphrase, algorithm, bits) in cases {
            let user = format!("CI {spec} <ci-{spec}@example.com>");
            if gpg(passphrase, &["--quick-gen-key", &user, spec, "sign", "never"]).is_none() {
                eprintln!("note: gpg could not generate a {spec} key; skipping");
                continue;
            }
            let email = format!("ci-{spec}@example.com");
            let armored = gpg(passphrase, &["--armor", "--export-secret-keys", &email]).unwrap();
            let derived = derive(&String::from_utf8(armored).unwrap()).unwrap();
            assert_eq!(field(&derived, "format"), Some("openpgp"));
            assert_eq!(field(&derived, "algorithm"), Some(algorithm));
            assert_eq!(field(&derived, "bits"), bits);
            assert_eq!(field(&derived, "user_id"), Some(user.as_str()));
            let encrypted = (!passphrase.is_empty()).to_string();
            assert_eq!(field(&derived, "encrypted"), Some(encrypted.as_str()), "{spec}");
            assert!(derived.id.starts_with(&format!("key:{algorithm}:")), "{}", derived.id);
        }
        let _ = run("gpgconf", &["--homedir", home_str, "--kill", "gpg-agent"]);
    }

    #[test]
    fn age_identity_recipient() {
        // The age spec's example identity: 32 bytes of 0x42.
        let secret = bech32_encode("age-secret-key-", &[0x42; 32]).to_ascii_uppercase();
        assert!(secret.starts_with("AGE-SECRET-KEY-1GFPYYSJZ") && secret.ends_with("GFPQ4EGAEX"), "{secret}");
        let derived = derive(&secret).unwrap();
        let recipient = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
        assert_eq!(field(&derived, "recipient"), Some(recipient));
        assert_eq!(field(&derived, "algorithm"), Some("x25519"));
        assert_eq!(field(&derived, "format"), Some("age"));
        assert!(derived.id.starts_with("key:x25519:"), "{}", derived.id);
        // A broken checksum is not an identity.
        let broken = secret.replace("GFPQ4EGAEX", "GFPQ4EGAEQ");
        assert_eq!(derive(&broken), None);
    }

    #[test]
    fn garbage_does_not_panic() {
        let fake = "FAKEKEYDATAFAKEKEYDATAFAKEKEYDATAFAKEKEYDATAFAKEKEYDATAFAKEKEYDA\n\
                    FAKEKEYDATAEXAMPLE0123456789FAKEKEYDATAEXAMPLE0123456789FAKEKEYD\nEXAMPLE0123456789abcdefFAKE==";
        let labels = [
            "RSA PRIVATE KEY",
            "PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "EC PRIVATE KEY",
            "DSA PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ];
        // The signatures' fake examples (not even base64), and base64 that is not a key.
        let random = wrap(&STANDARD.encode(filler(700, 3)), 64).join("\n");
        for label in labels {
            let text = format!("-----BEGIN {label}-----\n{fake}\n-----END {label}-----");
            assert_eq!(derive(&text), None, "{label}");
            let text = format!("-----BEGIN {label}-----\n{random}\n-----END {label}-----");
            assert_eq!(derive(&text), None, "{label}");
        }
        let ssh2 = format!(
            "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n{fake}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----"
        );
        assert_eq!(derive(&ssh2), None);
        let ppk = format!("PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nPublic-Lines: 3\n{fake}\nPrivate-Lines: 1\nAAAA");
        assert!(derive(&ppk).is_some_and(|d| !d.fields.contains_key("fingerprint")));
        for text in [
            "",
            "-----BEGIN ",
            "-----BEGIN RSA PRIVATE KEY-----",
            "PuTTY-User-Key-File-3:",
            "AGE-SECRET-KEY-1",
        ] {
            assert_eq!(derive(text), None, "{text:?}");
        }
        // Legacy-encrypted bodies cannot be checked: they still get a (hashed) id.
        let legacy = format!(
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n\
             {random}\n-----END RSA PRIVATE KEY-----"
        );
        let derived = derive(&legacy).unwrap();
        assert_eq!(field(&derived, "cipher"), Some("aes-128-cbc"));
        assert!(derived.id.starts_with("key:rsa:"));
    }

    #[test]
    fn truncated_and_corrupted_keys_do_not_panic() {
        if !have("ssh-keygen") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("rsa-pem", &["-t", "rsa", "-b", "1024", "-m", "PEM"]),
            ("p256-pem", &["-t", "ecdsa", "-m", "PEM"]),
            ("p256-pkcs8", &["-t", "ecdsa", "-m", "PKCS8"]),
            ("ed25519", &["-t", "ed25519"]),
            ("rsa", &["-t", "rsa", "-b", "1024"]),
        ];
        for &(name, args) in cases {
            let text = read(&keygen(dir.path(), name, args).unwrap());
            let mut lines = text.lines();
            let (begin, end) = (lines.next().unwrap(), text.lines().last().unwrap());
            let body: String = lines.take_while(|l| !l.starts_with("-----END")).collect();
            let body = STANDARD.decode(body).unwrap();
            let armor = |bytes: &[u8]| format!("{begin}\n{}\n{end}\n", STANDARD.encode(bytes));
            for cut in 0..body.len() {
                let _ = derive(&armor(body.get(..cut).unwrap()));
                let mut flipped = body.clone();
                flipped[cut] ^= 0xff;
                let _ = derive(&armor(&flipped));
            }
        }
    }

    #[test]
    fn der_helpers() {
        assert_eq!(oid_string(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]).unwrap(), RSA);
        assert_eq!(oid_string(&[0x88, 0x37]).unwrap(), "2.999");
        assert_eq!(oid_string(&[0x2a, 0x86]), None);
        assert_eq!(bit_len(&[0x00, 0x01, 0x00]), 9);
        assert_eq!(Der(&[0x02, 0x84, 0xff, 0xff, 0xff, 0xff]).integer(), None);
        assert_eq!(Der(&[0x30, 0x80, 0x00, 0x00]).next(), None);
        let mut der = Der(&[0x02, 0x01, 0x05, 0x04, 0x00]);
        assert_eq!(der.integer(), Some(&[5][..]));
        assert_eq!(der.octet_string(), Some(&[][..]));
        assert_eq!(der.next(), None);
    }
}
