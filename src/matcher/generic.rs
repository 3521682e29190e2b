//! Filters for generic rules (`password = "…"` in any language): what a key/value pair
//! looks like when the value is *not* a secret. Specific rules never go through here;
//! their formats are precise enough.

/// Values that are placeholders, not credentials (compared lower-case, as substrings).
const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "xxxx",
    "your_",
    "your-",
    "yourpass",
    "yourkey",
    "yoursecret",
    "replace",
    "example",
    "placeholder",
    "dummy",
    "sample",
    "redacted",
    "<",
    ">",
    "****",
    "####",
    "....",
    "todo",
    "fixme",
    "insert",
    "enter_",
    "put_your",
    "secret_here",
    "here_",
    "notreal",
    "not_real",
    "not-a-real",
    "fake",
    "foobar",
    "lorem",
    "12345678",
    "abcdefgh",
    "qwerty",
    "undefined",
    "default",
    "mypassword",
    "my_password",
    "password123",
    "a1b2c3d4",
    "somerandom",
    "randomstring",
    // Documented example values: RFC 6750's bearer token, RFC 6749's access and refresh
    // tokens, RFC 5849's tokens and secrets.
    "mf_9.b5f-4.1jqm",
    "2yotnfzfejr1zcsicmwpaa",
    "tgzv3jokf0xg5qx2tlkwia",
    "ad180jjd733klru7",
    "pfkkdhi9sl3r4s00",
    "kd94hf93k423kf44",
    "nnch734d00sl2jdk",
    "hh5s93j4hdidpola",
    "hdk48djdsa",
    "h480djs93hd8",
    // The digests of nothing (MD5, SHA-1, SHA-256 of zero bytes) and the UUIDs that
    // Wikipedia's and many APIs' documentation show.
    "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "123e4567-e89b-12d3-a456-426614174000",
    "550e8400-e29b-41d4-a716-446655440000",
];

/// Prefixes and fragments of values that refer to a secret kept elsewhere.
const REFERENCES: &[&str] = &[
    "${",
    "$(",
    "{{",
    "{%",
    "%(",
    "#{",
    "os.environ",
    "os.getenv",
    "getenv(",
    "process.env",
    "env(",
    "env[",
    "env.",
    "secrets.",
    "vars.",
    "config.",
    "settings.",
    "self.",
    "this.",
    "params.",
    "var.",
    "local.",
    "data.",
    "module.",
    "args.",
    "props.",
    "ctx.",
    "context.",
    "keyvault",
    "vault:",
    "ssm:",
    "arn:aws:",
    "secretsmanager",
    "file:",
    "/run/secrets",
    "@secret",
    "ref(",
    "lookup(",
    "fromsecret",
];

/// Key names whose values are public or not credentials even though they match
/// `key`/`token`/`secret`.
const PUBLIC_KEYS: &[&str] = &[
    "public",
    "pubkey",
    "pub_key",
    "publishable",
    "cert",
    "fingerprint",
    "thumbprint",
    "checksum",
    "hash",
    "digest",
    "sha1",
    "sha256",
    "sha512",
    "_sha",
    "integrity",
    "_id",
    "-id",
    ".id",
    "uuid",
    "name",
    "url",
    "uri",
    "path",
    "file",
    "length",
    "size",
    "type",
    "format",
    "prefix",
    "expir",
    "ttl",
    "timeout",
    "header",
    "field",
    "label",
    "placeholder",
    "policy",
    // `password_selector: name=password` (a form field), `TOKEN_ENDPOINT: /realms/{}/token`.
    "selector",
    "endpoint",
    "count",
    // Anti-forgery tokens are per-session page state, not credentials.
    "csrf",
    "xsrf",
    "authenticity",
    // Pagination cursors (`pageToken`, `NextToken`, `continuation_token`): where a listing
    // goes on, not who may read it.
    "pagetoken",
    "page_token",
    "nexttoken",
    "next_token",
    "continuationtoken",
    "continuation_token",
];

/// Bytes of its line read before a key and after a value by [`well_delimited`]: reading
/// whole lines made each match cost its line's length, and a 590 KB line of `password=`
/// repeated took 6 s to scan in a debug build (found by fuzzing). At most 256 bytes each way
/// keeps a match's cost bounded; no real indentation is longer, and a trailing comment is
/// recognised by its start.
const LINE_LOOK: usize = 256;

/// Whether the value sits where a literal credential would: inside matching quotes (or
/// an XML element), or unquoted as the whole value of a `key = value` / `key: value` line
/// (.env, YAML, INI, properties). An unquoted value in code (`passwd = &conn->passwd;`,
/// `token = f(x),`) is an expression, not a literal.
pub fn well_delimited(hay: &[u8], key_start: usize, key_end: usize, start: usize, end: usize) -> bool {
    let open = start.checked_sub(1).map(|i| hay[i]);
    let next = hay.get(end).copied();
    // Quotes, escaped or not, are not part of the separator: `\"a\", \"b\"` is a list.
    let sep: Vec<u8> =
        hay[key_end..start].iter().copied().filter(|b| !b" \t\r\n\"'`\\".contains(b)).collect();
    match open {
        // define('KEY', 'value'), setProperty("KEY", "value"): the value is the last
        // argument; `MovedAttribute("HTTPPasswordMgr", "urllib2", …)` is not an assignment.
        Some(q @ (b'"' | b'\'' | b'`')) if sep == b"," => {
            next == Some(q) && hay[end + 1..].iter().find(|b| !b" \t".contains(b)) == Some(&b')')
        }
        Some(q @ (b'"' | b'\'' | b'`')) => {
            next == Some(q) || (next == Some(b'\\') && hay.get(end + 1) == Some(&q))
        }
        Some(b'>') => next == Some(b'<'),
        // <apiToken>\n    value\n</apiToken>
        _ if sep == b">" && hay.get(key_start.wrapping_sub(1)) == Some(&b'<') => {
            hay[end..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
                && hay.get(end..).is_some_and(|t| t.trim_ascii_start().starts_with(b"</"))
        }
        _ => {
            // The line before the key, at most LINE_LOOK bytes of it: a lead that is
            // longer is none of the few that make an assignment line.
            let from = key_start.saturating_sub(LINE_LOOK);
            let (line_start, whole_lead) = match memchr::memrchr(b'\n', &hay[from..key_start]) {
                Some(i) => (from + i + 1, true),
                None => (from, from == 0),
            };
            let lead = String::from_utf8_lossy(&hay[line_start..key_start]);
            let lead = lead.trim_start();
            let lead_ok = whole_lead
                && (["", "export ", "- ", "set ", "ARG ", "ENV "].contains(&lead)
                    || lead == "\""
                    || lead == "'");
            // `KEY=value` lines inside a JSON or code string: `"config.ini": "TOKEN=…\nX=1"`.
            let quote_before =
                lead.strip_suffix('"').is_some_and(|l| !l.ends_with(|c: char| c.is_ascii_alphanumeric()));
            let in_string = (quote_before || lead.ends_with("\\n"))
                && hay.get(key_end) == Some(&b'=')
                && hay[start] != b'='
                && (next == Some(b'"')
                    || (next == Some(b'\\') && matches!(hay.get(end + 1), Some(b'n' | b'r'))));
            if in_string {
                return !is_expression(&hay[start..end]);
            }
            let stop = (end + LINE_LOOK).min(hay.len());
            let near_end = memchr::memchr(b'\n', &hay[end..stop]).map_or(stop, |i| end + i);
            let rest = String::from_utf8_lossy(&hay[end..near_end]);
            let rest = rest.trim();
            // A comment may run on past LINE_LOOK; nothing else may follow the value.
            let rest_ok = rest.starts_with('#') || rest.is_empty() && (near_end < stop || stop == hay.len());
            let line_end = || memchr::memchr(b'\n', &hay[near_end..]).map_or(hay.len(), |i| near_end + i);
            lead_ok
                && [&b"="[..], b":", b"?=", b"::=", b":::="].contains(&sep.as_slice())
                && rest_ok
                && !is_expression(&hay[start..end])
                && !next_line_continues(&hay[line_end()..])
        }
    }
}

/// `a.b`, `a[0].b`, `self.x`: a member access, the usual unquoted right-hand side in code.
/// A part of 16 or more characters with three digits among upper- and lower-case letters
/// is generated, not named: `s.ZC9Ecf…` (a Vault token) is a value.
fn is_expression(v: &[u8]) -> bool {
    let ident = |p: &[u8]| {
        let p = p.split(|&b| b == b'[').next().unwrap_or(p);
        !p.is_empty() && !p[0].is_ascii_digit() && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let generated = |p: &[u8]| {
        p.len() >= 16
            && p.iter().filter(|b| b.is_ascii_digit()).count() >= 3
            && p.iter().any(u8::is_ascii_uppercase)
            && p.iter().any(u8::is_ascii_lowercase)
    };
    v.contains(&b'.') && v.split(|&b| b == b'.').all(|p| ident(p) && !generated(p))
}

/// A statement continued on the next line (`+ x`, `&& y`) is code, not a config value.
fn next_line_continues(after: &[u8]) -> bool {
    let next = after.get(1..).unwrap_or_default();
    let line = next.split(|&b| b == b'\n').next().unwrap_or_default();
    let t = String::from_utf8_lossy(line);
    let t = t.trim_start();
    ["+", "-", "*", "&&", "||", "?", ".", "|"].iter().any(|op| t.starts_with(op)) && !t.starts_with("- ")
        || ["+ ", "- "].iter().any(|op| t.starts_with(op))
}

/// `oauth2.googleapis.com`, `vault.internal`: a host name (the token's service, not the token).
fn looks_like_host(v: &str) -> bool {
    let Some((_, tld)) = v.rsplit_once('.') else { return false };
    (2..=24).contains(&tld.len())
        && tld.bytes().all(|b| b.is_ascii_lowercase())
        && v.split('.').all(|l| !l.is_empty() && !l.starts_with('-'))
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// `server.key`, `certs/ca.pem`: a file name, not the key itself.
fn looks_like_file(v: &str) -> bool {
    const EXT: &str = "key pem crt cer der p12 pfx jks keystore json yaml yml txt db conf cfg ini env cnt \
        csr pub gpg asc sh py js ts rb go java xml html log properties toml lock gz zip secret token enc bin dat";
    let Some((stem, ext)) = v.rsplit_once('.') else { return false };
    !stem.is_empty()
        && EXT.split_whitespace().any(|e| e.eq_ignore_ascii_case(ext))
        && v.chars().all(|c| c.is_ascii_alphanumeric() || "._-/~".contains(c))
}

/// Whether `value`, assigned to `key`, plausibly is a credential.
pub fn plausible(key: Option<&[u8]>, value: &[u8]) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    if value.len() < 6 {
        return false;
    }
    // `ImRvbG9yIg:1bwVUl:…`, `eyJhbGciOiJIUzI1NiJ9.InNpdCI.…`: a value signed, not encrypted
    // (itsdangerous, Django's signing): the password is the JSON string it carries, so that
    // is what is judged, as a typed password (`curae;` from lorem ipsum is not one).
    if let Some(payload) = signed_string(value) {
        return plausible_password(payload.as_bytes()) && plausible(key, payload.as_bytes());
    }
    let lower = value.to_ascii_lowercase();
    // Hex of a digest's length and UUIDs are commits, digests and identifiers under names
    // that say so, and the credential itself under the rest: a generic rule's name says
    // token, secret, key or password, and GitHub's legacy tokens and OAuth app secrets are
    // 40 hex digits, Linode's tokens 64, Rails' `secret_key_base` 128, Heroku's API keys
    // UUIDs.
    let shaped_is_secret = key.is_some_and(|k| !names_digest_or_id(k));
    if let Some(key) = key {
        let key = String::from_utf8_lossy(key).to_ascii_lowercase();
        if PUBLIC_KEYS.iter().any(|p| key.contains(p)) {
            return false;
        }
        // `"password": "Password"`, `token: TOKEN`: a label, not a value.
        let bare = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>();
        if bare(&key).contains(&bare(&lower)) {
            return false;
        }
        // `Master-Key: <96 hex>` is OpenSSL's printout of a TLS session (`openssl sess_id
        // -text`, `s_client`): its 48-byte master secret opens that one recorded session and
        // is no one's credential.
        if key == "master-key" && value.len() == 96 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        // `"admin.ldap.bindPwdTitle": "Bind-Passwort:"`: user-interface text about a
        // credential (a title, a hint, an example), in a translation file or a form.
        if UI_TEXT_KEYS.iter().any(|s| key.trim_end_matches(['"', '\'', ' ']).ends_with(s)) {
            return false;
        }
    }
    // `"Server-Passwort:"` is a label; `'eyJhbGciOi…'` and `abc...` are cut short on purpose.
    if value.ends_with(':') || value.contains("...") || value.contains('…') {
        return false;
    }
    if self_describing(value) || counts(value) || variable_name(value) || migration_name(value) {
        return false;
    }
    if value.starts_with(['$', '&', '*', '@', '{']) || value.contains("->") || value.contains("::") {
        return false;
    }
    // `'https://api.dingtalk.com/v1.0/oauth2/userAccessToken'`: the token's endpoint. A URL
    // that carries a password in its userinfo or query is the URL rules' to judge.
    if is_plain_url(value) || closes_call(value) {
        return false;
    }
    // `YourBootstrapToken24Chars`, `YourApiKey`: a stand-in that says so.
    if value.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("your"))
        && value[4..].starts_with(|c: char| c.is_ascii_uppercase())
    {
        return false;
    }
    // A translation (`"Password": "Contraseña"`), code (`keypair[:32]`,
    // `map[string]string{`) or a CSS selector (`.basic_auth__password`).
    if !value.is_ascii() || looks_like_code(value) || looks_like_selector(value) {
        return false;
    }
    if value.starts_with('%') && value.ends_with('%') {
        return false;
    }
    if PLACEHOLDERS.iter().chain(REFERENCES).any(|p| lower.contains(p)) {
        return false;
    }
    if looks_like_call(value)
        || looks_like_file(value)
        || looks_like_host(value)
        || looks_like_path(value)
        || is_hash_or_id(value, shaped_is_secret)
        || is_public_material(value)
    {
        return false;
    }
    // Labels and identifiers: words, spaces, dashes and underscores, no digits or symbols
    // (a random 24-character token has no digit with odds of about 1 in 70).
    if value.chars().all(|c| c.is_ascii_alphabetic() || " -_./".contains(c))
        || route_or_query(key, value)
        || word_alternatives(value)
        || is_version(value)
    {
        return false;
    }
    // `password1`, `Test1234!`, `user-1`, `teset123`, `Q2hhbmdlTWU=` (base64 of `ChangeMe`),
    // `test123TEST`: a stand-in, plain, misspelt by a letter, encoded or repeated around a count.
    let word = lower.trim_end_matches(|c: char| !c.is_ascii_alphabetic());
    let letters: String = lower.chars().filter(char::is_ascii_alphabetic).collect();
    let repeated =
        |w: &str| w.len() >= 4 && letters.len() > w.len() && letters == w.repeat(letters.len() / w.len());
    if PASSWORD_WORDS.iter().any(|w| *w == word || w.len() >= 4 && one_letter_apart(w, word) || repeated(w))
        || encodes_placeholder(value.as_bytes())
    {
        return false;
    }
    // One character repeated or a run like `aaaaaaa1`.
    let distinct = {
        let mut seen = [false; 256];
        value.bytes().filter(|&b| !std::mem::replace(&mut seen[b as usize], true)).count()
    };
    distinct >= 4
}

/// Ends of key names that hold text about a credential rather than the credential.
const UI_TEXT_KEYS: &[&str] = &[
    "title",
    "label",
    "placeholder",
    "description",
    "desc",
    "hint",
    "helptext",
    "help_text",
    "tooltip",
    "caption",
    "heading",
    "example",
    "requirements",
    "prompt",
    "message",
    "_msg",
    "errormessage",
];

/// `preauth-secret-123`, `my_api_key`, `user:password`, `e2e-mob-workspace-pwd`: words that
/// say what the value stands for, joined, with at most a short count: a name or a test
/// stand-in. A generated credential does not spell its own kind between separators.
/// Camel-case words count as joined (`keyId:secretKey:sessionToken`).
fn self_describing(value: &str) -> bool {
    const KINDS: &[&str] =
        &["password", "passwd", "pwd", "pass", "secret", "token", "key", "apikey", "credential", "auth"];
    let parts: Vec<String> = split_words(value, |c| "-_.: ".contains(c)).collect();
    let wordy = |p: &String| {
        p.bytes().all(|b| b.is_ascii_alphabetic()) || p.bytes().all(|b| b.is_ascii_digit()) || p.len() <= 4
    };
    parts.len() >= 2 && parts.iter().all(wordy) && parts.iter().any(|p| KINDS.contains(&p.as_str()))
}

/// `MM_MOBILE_E2E_ADMIN_*`, `DEPLOY_KEY_2`: the name of a variable or a family of them.
fn variable_name(v: &str) -> bool {
    let name = v.strip_suffix('*').unwrap_or(v);
    name.contains('_')
        && name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// `123456`, `654321`, `abcdef`, `12345abcde67890`: digits or letters counting up or down,
/// in runs of three or more.
fn counts(v: &str) -> bool {
    let b = v.as_bytes();
    // Whether `c` follows `a` by `d`: digits wrap (`890`), letters in either case do not.
    let follows = |a: u8, c: u8, d: i8| {
        let (a, c) = (a.to_ascii_lowercase(), c.to_ascii_lowercase());
        let step = c as i8 - a as i8;
        match (a, c) {
            (b'0'..=b'9', b'0'..=b'9') => step.rem_euclid(10) == d.rem_euclid(10),
            (b'a'..=b'z', b'a'..=b'z') => step == d,
            _ => false,
        }
    };
    let runs = |d: i8| {
        let mut run = 1;
        for w in b.windows(2) {
            if follows(w[0], w[1], d) {
                run += 1;
            } else if run < 3 {
                return false;
            } else {
                run = 1;
            }
        }
        run >= 3
    };
    b.len() >= 4 && b.iter().all(u8::is_ascii_alphanumeric) && (runs(1) || runs(-1))
}

/// `algolia: { appId: '…', apiKey: '…', indexName: '…' }`: Algolia's search-only key, which
/// DocSearch and InstantSearch configurations hand to every visitor's browser by design. An
/// admin or write key is named so (`adminApiKey`, `ALGOLIA_WRITE_KEY`) and stays reported.
/// `key` is the name, `around` the bytes near it.
pub fn public_search_key(key: &[u8], around: &[u8]) -> bool {
    let name: String =
        key.iter().filter(|b| b.is_ascii_alphanumeric()).map(|b| b.to_ascii_lowercase() as char).collect();
    if !matches!(name.as_str(), "apikey" | "searchapikey" | "searchkey" | "searchonlyapikey") {
        return false;
    }
    let near = around.to_ascii_lowercase();
    let has = |needle: &str| memchr::memmem::find(&near, needle.as_bytes()).is_some();
    (has("indexname") || has("index_name")) && (has("appid") || has("app_id") || has("applicationid"))
}

/// `required|confirmed`, `sometimes|required_with:new_password` (Laravel's validation rules
/// for a password field), `string|null` (a type): lower-case words joined by `|`, each
/// perhaps with `:` and its arguments.
fn word_alternatives(v: &str) -> bool {
    let word = |p: &str| {
        let name = p.split(':').next().unwrap_or_default();
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    };
    v.contains('|') && v.split('|').all(word)
}

/// `0006_custom_tag_models`, `0002_auto_20160321_1448`: a Django migration's name, which
/// `('secrets', '0006_…')` pairs with an app named like a credential in every migration's
/// dependencies.
fn migration_name(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() > 5
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'_'
        && b[5..].iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Whether `a` and `b` differ by one letter added or dropped (`test`, `teset`).
fn one_letter_apart(a: &str, b: &str) -> bool {
    let (short, long) =
        if a.len() < b.len() { (a.as_bytes(), b.as_bytes()) } else { (b.as_bytes(), a.as_bytes()) };
    long.len() == short.len() + 1
        && (0..long.len()).any(|i| long[..i] == short[..i] && long[i + 1..] == short[i..])
}

/// `https://api.example.com/oauth2/token`: a URL with no userinfo and no query.
fn is_plain_url(v: &str) -> bool {
    v.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
            && !rest.contains(['@', '?'])
    })
}

/// Words joined as a Rails route's `controller#action` (under a path-like key such as
/// `forgot-password`, or an action that is a standard one or the key itself) or as a query
/// (`oauth_token=request_token&oauth_token_secret=request_secret`). A secret of words and
/// one `#` under a plain key (`secret: development#product`) is not a route.
fn route_or_query(key: Option<&[u8]>, v: &str) -> bool {
    const ACTIONS: &[&str] = &["index", "show", "new", "create", "edit", "update", "destroy"];
    let word = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if v.contains('&') && v.split(['&', '=']).all(word) {
        return true;
    }
    let Some((controller, action)) = v.split_once('#') else { return false };
    let key = key.map(|k| String::from_utf8_lossy(k).to_ascii_lowercase()).unwrap_or_default();
    let bare = |s: &str| s.replace(['_', '-', '.'], "");
    controller.split('/').all(word)
        && word(action)
        && (key.contains('-') || ACTIONS.contains(&action) || bare(&key) == bare(action))
}

/// `j_password)`: a lower-case variable closing the call it is an argument of (the value of
/// `f(a,\n password_common=j_password)` read as if it were a config line).
fn closes_call(v: &str) -> bool {
    v.strip_suffix(')').is_some_and(|name| {
        name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}

/// The JSON string that a signed, not encrypted, value carries, as Python's itsdangerous and
/// Django's `signing` store a value they sign: `payload[.:]timestamp[.:]signature` or
/// `payload[.:]signature` with a base64url JSON string as payload, or the compact JWS form
/// (`eyJ…` header with `alg`) with a JSON string rather than claims as payload. `None` for
/// anything else.
fn signed_string(v: &str) -> Option<String> {
    use base64::Engine;
    let decode = |p: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).ok();
    let json_string = |p: &str| serde_json::from_slice::<String>(&decode(p)?).ok();
    match v.split(['.', ':']).collect::<Vec<_>>()[..] {
        [header, payload, _] if header.starts_with("eyJ") => {
            decode(header)?.windows(5).any(|w| w == b"\"alg\"").then(|| json_string(payload))?
        }
        [payload, _] | [payload, _, _] => json_string(payload),
        _ => None,
    }
}

/// Words that stand for a password in documentation and tests: `user:pass@host`,
/// `pass;auth=NTLM`, `secret;opt`, `pa%3Ass`.
const PASSWORD_WORDS: &[&str] = &[
    "pass", "password", "passwd", "passw0rd", "p4ssw0rd", "pwd", "pw", "pa", "secret", "s3cret", "s3cr3t",
    "test", "user", "pass1", "pass2", "passwd1", "passwd2", "pswd", "xxx", "admin", "token", "root",
];

/// A password (in a URL, `.netrc` or connection string) that is a placeholder: a
/// reference, an obvious stand-in (also base64-encoded), characters counting up or down
/// (`123456`), or a password-word followed by nothing but punctuation-led options or escapes.
pub fn placeholder_password(value: &[u8]) -> bool {
    const STAND_INS: &[&str] = &["changeme", "change_me", "xxxx", "your_", "your-", "****"];
    let lower = String::from_utf8_lossy(value).to_ascii_lowercase();
    // `<password>`, `<your token`: a bracketed stand-in; a lone `>` inside a generated
    // secret (`&k>qX`) is punctuation.
    let bracketed =
        lower.find('<').is_some_and(|i| i == 0 || lower[i..].contains('>')) || lower.ends_with('>');
    if bracketed || STAND_INS.iter().chain(REFERENCES).any(|p| lower.contains(p)) {
        return true;
    }
    let word: String = lower.chars().take_while(char::is_ascii_alphanumeric).collect();
    PASSWORD_WORDS.contains(&word.as_str()) || counts(&lower) || encodes_placeholder(value)
}

/// Whether a password or token typed on a command line, in a header or in a client's
/// credential file could be a real one rather than a documentation or test stand-in
/// (`user:secret`, `testpass`, `xipj3plmq`, `$PASSWORD`): at least 8 characters of at least
/// 5 distinct ones, with a digit or both cases, three character classes when under 10, and
/// no placeholder or reference in it.
pub fn plausible_password(pw: &[u8]) -> bool {
    let Ok(pw) = std::str::from_utf8(pw) else { return false };
    let lower = pw.to_ascii_lowercase();
    if pw.len() < 8
        || pw.starts_with(['$', '%', '{', '<'])
        || placeholder_password(pw.as_bytes())
        || PLACEHOLDERS.iter().any(|p| lower.contains(p))
        || self_describing(pw)
    {
        return false;
    }
    let any = |f: fn(&u8) -> bool| pw.as_bytes().iter().any(f);
    let (lo, up, digit) = (any(u8::is_ascii_lowercase), any(u8::is_ascii_uppercase), any(u8::is_ascii_digit));
    let other = any(|b| !b.is_ascii_alphanumeric());
    let classes = [lo, up, digit, other].iter().filter(|&&c| c).count();
    let mut seen = [false; 256];
    let distinct = pw.bytes().filter(|&b| !std::mem::replace(&mut seen[b as usize], true)).count();
    (digit || (lo && up)) && (classes >= 3 || pw.len() >= 10) && distinct >= 5
}

/// Whether a password that [`plausible_password`] refuses is still a real, if weak, one in a
/// context whose syntax says it is the password (`psexec -p dev_admin`, `password == "team10"`,
/// `the password is 'pyne'`): four or more characters, not a reference (`$X`, `%X%`, `${…}`,
/// `#{…}`, `{{…}}`), not a stand-in (`<…>`, `xxxx`, `****`, `######`, `your_password`,
/// `myPassword`, `SOME_PASSWORD`, a password word, a value naming its own kind, the user
/// name again) and not a password hash.
pub fn weak_password(pw: &[u8], user: Option<&[u8]>) -> bool {
    let Ok(pw) = std::str::from_utf8(pw) else { return false };
    let lower = pw.to_ascii_lowercase();
    let bare: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    // `mypass`, `myPassword`, `thisismypassword`, `some_password`: a stand-in that says so.
    let stand_in = ["my", "some", "thisis", "enter", "the"].iter().any(|p| {
        bare.strip_prefix(p)
            .is_some_and(|rest| PASSWORD_WORDS.iter().any(|w| w.len() >= 4 && rest.starts_with(w)))
    });
    let mut seen = [false; 256];
    let distinct = pw.bytes().filter(|&b| !std::mem::replace(&mut seen[b as usize], true)).count();
    pw.len() >= 4
        && distinct >= 3
        && !pw.starts_with(['$', '%', '{', '<', '(', '@', '&', '#'])
        && !pw.ends_with(':')
        && !pw.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        && !placeholder_password(pw.as_bytes())
        && !PLACEHOLDERS.iter().any(|p| lower.contains(p))
        && !PASSWORD_WORDS.contains(&bare.as_str())
        // Empty values, option and type names compared with a password variable
        // (`update_password == 'always'`, `typeof password === 'number'`).
        && ![
            "null", "none", "nil", "true", "false", "empty", "blank", "unset", "required", "anonymous", "guest",
            "always", "never", "number", "string", "object", "boolean", "function", "symbol", "bigint",
        ]
        .contains(&bare.as_str())
        && !stand_in
        && !self_describing(pw)
        && !variable_name(pw)
        && !counts(pw)
        && !looks_like_call(pw)
        && !is_password_hash(pw)
        && !repeats_user(pw.as_bytes(), user)
}

/// The user name again, give or take case and punctuation: `("anonymous", "anonymous@")`
/// is anonymous FTP, `US%45R,:us%45r,@` a URL parser's test.
pub fn repeats_user(pw: &[u8], user: Option<&[u8]>) -> bool {
    let bare = |s: &[u8]| -> String {
        s.iter().filter(|b| b.is_ascii_alphanumeric()).map(|b| b.to_ascii_lowercase() as char).collect()
    };
    user.is_some_and(|u| {
        let user = bare(u);
        !user.is_empty() && user == bare(pw)
    })
}

/// `tokendefs[state]`, `keypair[:32]`, `Iterable[tokenize.TokenInfo]`, `map[string]string{`:
/// an identifier indexed, called or opening a literal; `([a-zA-Z0-9]{32})`: a pattern.
fn looks_like_code(v: &str) -> bool {
    let ident = v.bytes().take_while(|b| b.is_ascii_alphanumeric() || b"_.".contains(b)).count();
    let pattern = ["[a-z", "[A-Z", "[0-9", "]{", "]+", "\\d", "\\w"].iter().any(|p| v.contains(p));
    ident > 0
        && !v.as_bytes()[0].is_ascii_digit()
        && matches!(v.as_bytes().get(ident), Some(b'[' | b'(' | b'{'))
        || v.ends_with('{')
        || pattern
}

/// Whether the value is base64 of text holding a placeholder (`Q2hhbmdlTWU=`).
fn encodes_placeholder(v: &[u8]) -> bool {
    use base64::Engine;
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(v) else { return false };
    // `echo … | base64` encodes the line's end too.
    let raw = raw.trim_ascii_end();
    if raw.len() < 4 || !raw.iter().all(|b| (0x20..0x7f).contains(b)) {
        return false;
    }
    let text = String::from_utf8_lossy(raw).to_ascii_lowercase();
    // A UUID is an identifier plain (`is_hash_or_id`), and so encoded.
    if is_uuid(&text) {
        return true;
    }
    // `my-secret-key-which-should-be-changed-in-production…`: JHipster's default JWT secret.
    ["changeme", "change_me", "change-me", "be-changed", "be_changed", "password", "xxxx", "your_", "your-"]
        .iter()
        .any(|p| text.contains(p))
}

/// `^4.0.23`, `~1.2`, `>=2.0.0-rc.1`, `v1.4.2`: a version or a version range (a package
/// named `@inquirer/password` in a lock file).
fn is_version(v: &str) -> bool {
    let bare = v.trim_start_matches(['^', '~', '>', '<', '=', 'v']);
    let (core, _) = bare.split_once(['-', '+']).unwrap_or((bare, ""));
    let parts: Vec<&str> = core.split('.').collect();
    (2..=4).contains(&parts.len())
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `.input_apiKey_entry`, `#password-field`: a class or id selector.
fn looks_like_selector(v: &str) -> bool {
    let Some(rest) = v.strip_prefix(['.', '#']) else { return false };
    rest.starts_with(|c: char| c.is_ascii_alphabetic())
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-. >:".contains(&b))
}

/// `getPassword()`, `vault.read(`, `request.headers.get(`: the value is cut at the first
/// quote, so a call shows as a dotted identifier and an opening parenthesis.
fn looks_like_call(v: &str) -> bool {
    let Some(open) = v.find('(') else { return false };
    open > 0 && v[..open].chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == ':')
}

/// `/en/enterprise/3.0/authentication`, `cms/sites/passwords#edit`: a URL path or a route,
/// lower-case words between slashes. A token holding `/` (base64) has capitals in its parts.
fn looks_like_path(v: &str) -> bool {
    let parts: Vec<&str> = v.trim_start_matches('/').split('/').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.@#:".contains(&b))
        })
        && parts.iter().filter(|p| p.bytes().filter(u8::is_ascii_lowercase).count() >= 3).count() >= 2
}

/// Git SHAs and hex digests, UUIDs (unless `shaped_is_secret`), prefixed sha256/sha512
/// digests and SRI integrity values, password hashes.
fn is_hash_or_id(v: &str, shaped_is_secret: bool) -> bool {
    let hex = v.bytes().all(|b| b.is_ascii_hexdigit());
    // An encoder writes hex in one case; `acdeFf05…` was typed by someone.
    let one_case = !(v.bytes().any(|b| b.is_ascii_lowercase()) && v.bytes().any(|b| b.is_ascii_uppercase()));
    if (!shaped_is_secret || !one_case) && (hex && matches!(v.len(), 40 | 64 | 128) || is_uuid(v)) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    if ["sha1-", "sha256-", "sha384-", "sha512-", "sha256:", "sha512:", "md5:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return true;
    }
    is_password_hash(v)
}

/// Whether a key names a digest, a version or an identifier (`token_sha`, `secretRev`,
/// `commitToken`, `tokenId`, `API_KEY_ID`) rather than a credential. Lower-case `_id`,
/// `hash` and the like are already public names (`PUBLIC_KEYS`); this adds the words a
/// credential name may carry beside them and camel-case `Id`.
fn names_digest_or_id(key: &[u8]) -> bool {
    const WORDS: &[&str] = &[
        "commit",
        "revision",
        "rev",
        "version",
        "etag",
        "nonce",
        "salt",
        "signature",
        "checksum",
        "sum",
        "md5",
        "crc",
        "hash",
        "sha",
        "digest",
        "integrity",
        "fingerprint",
        "id",
        "ids",
        "uuid",
        "guid",
    ];
    let key = String::from_utf8_lossy(key);
    let digest = |w: String| {
        WORDS.contains(&w.as_str())
            || w.strip_prefix("sha").is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
    };
    let found = words(&key).any(digest);
    found
}

/// The lower-case words of an identifier: split at non-alphanumerics and at camel-case
/// humps (`apiKeyID` → `api`, `key`, `id`).
fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    split_words(name, |c| !c.is_ascii_alphanumeric())
}

/// The lower-case words of `name` split at the characters `sep` picks and at camel-case
/// humps.
fn split_words(name: &str, sep: fn(char) -> bool) -> impl Iterator<Item = String> + '_ {
    name.split(sep).flat_map(|part| {
        let b = part.as_bytes();
        let mut cuts = vec![0];
        cuts.extend((1..b.len()).filter(|&i| b[i].is_ascii_uppercase() && b[i - 1].is_ascii_lowercase()));
        cuts.push(b.len());
        cuts.windows(2)
            .map(|w| part[w[0]..w[1]].to_ascii_lowercase())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
    })
}

/// A stored password hash, not a password: modular crypt (`$2b$…`, `$argon2id$…`, `$6$…`),
/// Django's `algorithm$iterations$salt$hash`, LDAP and Spring Security's `{SSHA}`,
/// `{bcrypt}` (Spring's `{noop}` marks a password kept in plain text: not a hash).
fn is_password_hash(v: &str) -> bool {
    const CRYPT: &[&str] =
        &["$1$", "$2a$", "$2b$", "$2y$", "$5$", "$6$", "$7$", "$y$", "$argon2", "$scrypt$", "$pbkdf2"];
    const DJANGO: &[&str] = &[
        "pbkdf2_sha256",
        "pbkdf2_sha1",
        "argon2",
        "bcrypt_sha256",
        "bcrypt",
        "scrypt",
        "sha1",
        "md5",
        "crypt",
    ];
    const BRACED: &[&str] = &[
        "{ssha}",
        "{sha}",
        "{ssha256}",
        "{ssha512}",
        "{bcrypt}",
        "{pbkdf2}",
        "{argon2}",
        "{crypt}",
        "{noop}",
    ];
    let lower = v.to_ascii_lowercase();
    if CRYPT.iter().any(|p| lower.starts_with(p))
        || BRACED.iter().any(|p| lower.starts_with(p) && v.len() > p.len() + 16)
    {
        return true;
    }
    match v.split_once('$') {
        Some((algorithm, rest)) => {
            DJANGO.contains(&algorithm) && rest.matches('$').count() >= 1 && v.len() >= 40
        }
        None => false,
    }
}

pub fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Public keys and certificates are not secrets.
fn is_public_material(v: &str) -> bool {
    [
        "ssh-rsa ",
        "ssh-ed25519 ",
        "ecdsa-sha2-",
        "-----begin public",
        "-----begin certificate",
        "-----begin pgp public",
    ]
    .iter()
    .any(|p| v.to_ascii_lowercase().starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::{
        placeholder_password, plausible, plausible_password, repeats_user, well_delimited, LINE_LOOK,
    };

    #[test]
    fn password_hashes_are_not_passwords() {
        for v in [
            "pbkdf2_sha256$600000$Qm9ndXNTYWx0VmFsdWUx$c2VlbXMtbGlrZS1hLWhhc2gtb2YtYS1wYXNzd29yZA=",
            "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
            "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5/a8Gc8pZ1uB9oQ8pTzZkKqXb7Cq0a.",
            "$6$rounds=5000$saltsalt$notreallyahashbutshapedlikeonexxxxxxxxxxxxx",
            "{SSHA}c2FsdGVkLXNoYS1vZi1hLXBhc3N3b3Jk",
            "{bcrypt}$2a$10$dXJ3SW6G7P50lGmMkkmwe.20cQQubK3.HZWzG3YB1tlRy.fqvM/BG",
        ] {
            assert!(super::is_password_hash(v), "{v}");
        }
        for v in
            ["Zq8-w0rd$Lm3x", "sha1$", "pa$$word-s3cret-but-long-enough-to-count-as-forty", "{noop}short"]
        {
            assert!(!super::is_password_hash(v), "{v}");
        }
    }

    #[test]
    fn rejects_non_secrets() {
        for (k, v) in [
            ("password", "Password"),
            ("password", "changeme"),
            ("api_key", "<your-api-key>"),
            ("token", "${GITHUB_TOKEN}"),
            ("secret", "process.env.SECRET"),
            ("password", "os.environ['DB_PASSWORD']"),
            ("token", "{{ secrets.TOKEN }}"),
            ("secret", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            ("token", "123e4567-e89b-12d3-a456-426614174000"),
            ("secret", "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="),
            ("public_key", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"),
            ("password", "Enter your password"),
            ("secret", "aaaaaaaaaaaaaaaa"),
            ("token", "getToken()"),
            ("private_key", "EdelCurlRoot-ca.key"),
            ("secret", "/etc/app/secrets/db.json"),
            ("Password", "Contraseña"),
            ("secret", "keypair[:32]"),
            ("statetokens", "tokendefs[statestack[-1]]"),
            ("SecretParts", "map[string]string{"),
            ("passwordInput", ".basic_auth__password"),
            ("password", "{password!r}"),
            ("access_token", "2YotnFZFEjr1zCsicMWpAA"),
            ("secret_pattern", "([a-zA-Z0-9]{32})"),
            ("tlsSecret", "grafana.local-tls"),
            ("authenticity_token", "7SWa-Fo1_hsC6oovfBsJFLGPUl2EhkSWPbJhWANwgaJW"),
            ("password", "password2"),
            ("TEST_PASS", "test123TEST"),
            ("RABBITMQ__PASSWORD", "Q2hhbmdlTWU="),
            ("Fields", "[]detectors.Result{"),
            // Interface text, test stand-ins and names seen in a mobile app's repository.
            ("\"admin.ldap.bindPwdTitle\"", "Bind-Passwort:"),
            ("\"admin.email.smtpPasswordExample\"", "jcuS8PuvcpGhpgHhlcpT1Mx42pnqMxQY"),
            ("accessToken", "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9..."),
            ("mockPreauthSecret", "preauth-secret-123"),
            ("KeychainSigningKey", "mattermost-e2ee.signing-key"),
            ("password", "e2e-mob-connected-workspace-pwd"),
            ("password", "Test1234!"),
            ("password", "user-1"),
            ("password", "token2"),
            ("UPLOAD_STORE_PASSWORD", "123456"),
            ("password", "654321"),
            ("api_key", "my_api_key"),
            ("secrets", "MM_MOBILE_E2E_ADMIN_*"),
            ("TOKEN_HOST", "oauth2.googleapis.com"),
            ("APP__ADMIN__TOKEN", "YjE5NzY3NDktOGE1My00ZjQ5LWJmMDQtY2FmYTJhMzQ1OGMx"),
            ("token", "xoxp-572370529330-573807301142-####################"),
            ("password", "/en/enterprise-server@3.0/authentication/keeping-your-account"),
            ("edit_password", "cms/sites/passwords#edit"),
            // Seen in a Django and a Rails application's histories (2026-12-05).
            ("password_selector", "name=password"),
            ("GET_USER_ACCESSTOKEN", "https://api.corp-chat.net/v1.0/oauth2/userAccessToken"),
            ("AUTH_OPENID_PROVIDER_TOKEN_ENDPOINT", "/realms/{}/protocol/openid-connect/token"),
            ("BOOTSTRAP_TOKEN", "YourBootstrapToken24Chars"),
            ("password_common", "j_password)"),
            ("password", "teset123"),
            ("reset-password", "user#reset_password"),
            ("request_token_string", "oauth_token=request_token&oauth_token_secret=request_secret"),
            ("_password", "eyJhbGciOiJIUzI1NiJ9.InNpdCI.c2lnbmF0dXJl"),
            ("_password", "ImRvbG9yIg:1bwVUl:c2lnbmF0dXJlLW9mLWEtdmFsdWU"),
            ("_password", "ImN1cmFlOyI:1bwVUm:c2lnbmF0dXJlLW9mLWEtdmFsdWU"),
            ("access_token", "oauth#access_token"),
            ("forgot-password", "passwords#new"),
        ] {
            assert!(!plausible(Some(k.as_bytes()), v.as_bytes()), "{k} = {v}");
        }
    }

    #[test]
    fn counting_runs_are_stand_ins() {
        for v in ["123456", "654321", "7890", "abcdef", "ABCDEF", "12345abcde67890", "abc123", "zyx987"] {
            assert!(super::counts(v), "{v}");
        }
        // A run of two, a generated value, too short, punctuation.
        for v in ["12ab", "Xk9Qz7pw2024", "123", "abc-123", "1235", "Rf5tG8yHu2jK"] {
            assert!(!super::counts(v), "{v}");
        }
    }

    #[test]
    fn word_alternatives_are_rules_or_types() {
        for v in
            ["required|confirmed", "sometimes|required_with:new_password", "string|null", "min:8|max:255"]
        {
            assert!(super::word_alternatives(v), "{v}");
            assert!(!plausible(Some(b"password"), v.as_bytes()), "{v}");
        }
        for v in ["Xk9|Qz7pw", "abc|", "|", "hunter2|Zq8", "Rf5tG8yHu2jK"] {
            assert!(!super::word_alternatives(v), "{v}");
        }
    }

    #[test]
    fn versions_are_not_secrets() {
        for v in ["^4.0.23", "~1.2", ">=2.0.0-rc.1", "v1.4.2", "10.24.1"] {
            assert!(super::is_version(v), "{v}");
        }
        for v in ["^4.0.x", "1", "v1..2", "Xk9.Qz7", "4.0.23.1.9"] {
            assert!(!super::is_version(v), "{v}");
        }
        assert!(!plausible(Some(b"\"@inquirer/password"), b"^4.0.23"));
    }

    #[test]
    fn encoded_stand_ins() {
        use base64::Engine;
        let enc = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(placeholder_password(
            enc("my-secret-key-which-should-be-changed-in-production\n").as_bytes()
        ));
        assert!(!placeholder_password(enc("q]7Lx'T2{m%Vb9;Rz+Wc4&Nf8").as_bytes()));
    }

    #[test]
    fn algolia_search_keys_are_public() {
        let block = b"algolia: { appId: 'Q7ZK2PLM4X', apiKey: 'c3f9a1e7', indexName: 'docs' }";
        assert!(super::public_search_key(b"apiKey", block));
        assert!(!super::public_search_key(b"adminApiKey", block));
        assert!(!super::public_search_key(b"apiKey", b"stripe: { apiKey: 'c3f9a1e7' }"));
    }

    #[test]
    fn migration_names_are_not_secrets() {
        for v in ["0006_custom_tag_models", "0002_auto_20160321_1448", "0010_custom_field_data"] {
            assert!(super::migration_name(v), "{v}");
            assert!(!plausible(Some(b"secrets"), v.as_bytes()), "{v}");
        }
        for v in ["0006_Xk9Qz7pw", "006_custom", "0006custom", "0006_", "ab06_custom", "00é6_custom"] {
            assert!(!super::migration_name(v), "{v}");
        }
    }

    #[test]
    fn placeholder_passwords() {
        for v in [
            "pass;auth=NTLM",
            "secret;opt",
            "pa%3Ass",
            "passwd1",
            "changeme",
            "${DB_PASS}",
            "<password>",
            "pw<x>y",
            "123456",
        ] {
            assert!(placeholder_password(v.as_bytes()), "{v}");
        }
        assert!(repeats_user(b"us%45r,", Some(b"US%45R,")));
        assert!(!repeats_user(b"Xk9-Qz7-pw2024", Some(b"deploy")));
        assert!(!repeats_user(b"Xk9-Qz7-pw2024", None));
        for v in ["S3cretP@ssw0rd!", "Xk9-Qz7-pw2024", "hunter2-Zq8", "7`Lq;&k>qX??]G&3"] {
            assert!(!placeholder_password(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn typed_passwords() {
        for pw in [
            "secret",
            "testpass",
            "test2pass",
            "xipj3plmq",
            "still-provided",
            "$PASSWORD",
            "%PASS%",
            "fakepasswd1",
            "keyId:secretKey:sessionToken",
        ] {
            assert!(!plausible_password(pw.as_bytes()), "{pw}");
        }
        for pw in ["P@ssw0rd$1", "yqDVtkqPECriaLRi", "qgsnai0xokrw4j1", "h0pk1ns~21s", "Sk94HG7f6KB"] {
            assert!(plausible_password(pw.as_bytes()), "{pw}");
        }
    }

    #[test]
    fn weak_passwords_in_strong_contexts() {
        for pw in ["team10", "whiteduke", "open-sesame", "dev_admin", "pyne", "VMware1!", "mycoin!1"] {
            assert!(super::weak_password(pw.as_bytes(), Some(b"admin")), "{pw}");
        }
        for pw in [
            "always",
            "number",
            "$Password",
            "%nothing%",
            "${DB_PASS}",
            "#{datastore['DBPASSWORD']}",
            "{{ pw }}",
            "<password>",
            "xxxxxx",
            "******",
            "######",
            "your_password",
            "myPassword",
            "mypass",
            "thisismypassword",
            "SOME_PASSWORD",
            "PASSWORD",
            "password",
            "secret",
            "smtp_password",
            "abc",
            "1234",
            "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5/a8Gc8pZ1uB9oQ8pTzZkKqXb7Cq0a.",
        ] {
            assert!(!super::weak_password(pw.as_bytes(), None), "{pw}");
        }
        assert!(!super::weak_password(b"abc123", None));
        assert!(!super::weak_password(b"specialbill_user", Some(b"specialbill_user")));
        assert!(!super::weak_password(b"anonymous@", Some(b"anonymous")));
        assert!(!super::weak_password(b"guest", None));
    }

    #[test]
    fn delimiters() {
        let ok = |line: &str, key: &str, val: &str| {
            let k = line.find(key).expect("key in line");
            let v = line.rfind(val).expect("value in line");
            well_delimited(line.as_bytes(), k, k + key.len(), v, v + val.len())
        };
        assert!(ok("DB_PASSWORD=Tr0ub4dor9", "DB_PASSWORD", "Tr0ub4dor9"));
        assert!(ok("export TOKEN=abc123XYZ # prod", "TOKEN", "abc123XYZ"));
        assert!(ok("  password: Xk2pLm9qRz", "password", "Xk2pLm9qRz"));
        assert!(ok("x = f(password='Vm8yT2nQ4w')", "password", "Vm8yT2nQ4w"));
        assert!(ok("<password>Pa55w0rd</password>", "password", "Pa55w0rd"));
        assert!(!ok("  passwd = conn_passwd2;", "passwd", "conn_passwd2"));
        assert!(!ok("f(token=tok_value2, x)", "token", "tok_value2"));
        assert!(!ok("password = \"two words\"", "password", "two"));
        assert!(!ok("  tok.len = sspi_w_token[0].cbBuffer\n   + x", "tok.len", "sspi_w_token[0].cbBuffer"));
        assert!(!ok("  x_token = abc9def\n    + 4;", "x_token", "abc9def"));
        assert!(ok("define('DB_PASSWORD', 'Rf5tG8yHu2');", "DB_PASSWORD", "Rf5tG8yHu2"));
        assert!(!ok("MovedAttribute(\"HTTPPasswordMgr\", \"urllib2\", \"x\")", "HTTPPasswordMgr", "urllib2"));
        assert!(ok("<apiToken>\n  Rf5tG8yHu2\n</apiToken>", "apiToken", "Rf5tG8yHu2"));
        assert!(ok("{\"a.ini\": \"TOKEN=Rf5tG8yHu2\\nX=1\"}", "TOKEN", "Rf5tG8yHu2"));
        assert!(!ok("print(f\"password={pw}x1\")", "password", "{pw}x1"));
        assert!(ok("PASSWORD ?= Rf5tG8yHu2", "PASSWORD", "Rf5tG8yHu2"));
        // Dockerfile defaults; a member access is code unless a part of it is generated.
        assert!(ok("ARG deploy_token=Rf5tG8yHu2", "deploy_token", "Rf5tG8yHu2"));
        assert!(ok("ENV API_TOKEN=Rf5tG8yHu2", "API_TOKEN", "Rf5tG8yHu2"));
        assert!(!ok("RUN token=Rf5tG8yHu2", "token", "Rf5tG8yHu2"));
        assert!(!ok("  token: opts.authToken2", "token", "opts.authToken2"));
        assert!(ok("  token: s.Qm7XvR2kLp9Wz4Nt8Yc3Hb1F", "token", "s.Qm7XvR2kLp9Wz4Nt8Yc3Hb1F"));
        // Escaped quotes: an assignment inside a string is one, a list of examples is not.
        assert!(ok("\"{\\\"password\\\": \\\"Rf5tG8yHu2\\\"}\"", "password", "Rf5tG8yHu2"));
        assert!(!ok("\"E.g.: \\\"yourpassword\\\", \\\"Rf5tG8yHu2\\\"\"", "yourpassword", "Rf5tG8yHu2"));
        let comment = format!("TOKEN=Rf5tG8yHu2 # {}", "long comment ".repeat(40));
        assert!(ok(&comment, "TOKEN", "Rf5tG8yHu2"));
        assert!(!ok(&format!("TOKEN=Rf5tG8yHu2 {}x", " ".repeat(300)), "TOKEN", "Rf5tG8yHu2"));
        assert!(!ok(&format!("{}; TOKEN=Rf5tG8yHu2", "f(x)".repeat(80)), "TOKEN", "Rf5tG8yHu2"));
    }

    /// Found by fuzzing: each match read its whole line, so a 590 KB line of `password=`
    /// repeated took 6 s in a debug build; now each reads at most `LINE_LOOK` bytes each way,
    /// which the answers show: a key after a longer run of blanks, or a value before one, is
    /// not taken as a `key = value` line (read whole, both lines would be).
    #[test]
    fn delimiters_cost_no_more_on_a_long_line() {
        let line = "password=Rf5tG8yHu2 ".repeat(50_000);
        for at in (0..line.len()).step_by(20) {
            assert!(!well_delimited(line.as_bytes(), at, at + 8, at + 9, at + 19));
        }
        let pad = " ".repeat(LINE_LOOK + 1);
        let before = format!("{pad}TOKEN=Rf5tG8yHu2\n");
        let k = pad.len();
        assert!(!well_delimited(before.as_bytes(), k, k + 5, k + 6, k + 16));
        let after = format!("TOKEN=Rf5tG8yHu2{pad}\nX=1\n");
        assert!(!well_delimited(after.as_bytes(), 0, 5, 6, 16));
        assert!(well_delimited(b"TOKEN=Rf5tG8yHu2 \nX=1\n", 0, 5, 6, 16));
    }

    #[test]
    fn keeps_secrets() {
        use base64::Engine;
        for (k, v) in [
            ("password", "Tr0ub4dor&3xq"),
            ("api_key", "q8Zp2LmN4vR7tY1wX9cB3dF6gH0jK5s"),
            ("DEPLOY_BOT_TOKEN", "hT9kQ2mZ7xW4pL8vN3rB6yC1"),
            ("RELEASE_STORE_PASSWORD", "1qaz2wsx"),
            ("adminPassword", "admin@bq8s1bqr6inm8rramf4js8f96a"),
            ("password", "Zq8-w0rd-Lm3x"),
            ("secret_key", "k3y-9Fq2-Xw7p-Lm4z"),
            ("db_password", "20240117"),
            ("api_token", "Xk9/Qz7mW2/pL4vN8rB3/yC6tH1"),
            ("secret", "development#product"),
        ] {
            assert!(plausible(Some(k.as_bytes()), v.as_bytes()), "{k} = {v}");
        }
        // A password signed but not encrypted (itsdangerous) is still the password.
        let b64 = |t: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t);
        let signed = format!("{}.{}.c2lnbmF0dXJl", b64(r#"{"alg":"HS256"}"#), b64(r#""Tr0ub4dor&3xq""#));
        assert!(plausible(Some(b"_password"), signed.as_bytes()));
        let signed = format!("{}:1bwVUl:c2lnbmF0dXJl", b64(r#""Tr0ub4dor&3xq""#));
        assert!(plausible(Some(b"_password"), signed.as_bytes()));
        // Hex of a digest's length and UUIDs: the credential under a credential's name, a
        // digest or an identifier under a name that says so, typed by hand in mixed case.
        let hex40 = "9f2c4e6a8b0d1f3e5a7c9b2d4f6e8a0c1b3d5f7e";
        let hex64 = "4f0b9d2e7a16c3b8e5d94a0f7c2b61e83d5a9f04b7e2c6d18a3f5b9e0c7d2a41";
        let uuid = "7d3f0a9e-4c21-4b8e-9f6a-2e5d8c1b0a37";
        for k in ["CLIENT_SECRET", "clientSecret", "github.app_secret", "token", "relayToken", "API_KEY"] {
            for v in [hex40, hex64, uuid, &uuid.to_ascii_uppercase()] {
                assert!(plausible(Some(k.as_bytes()), v.as_bytes()), "{k} = {v}");
            }
        }
        for k in ["token_sha256", "commitToken", "secretRev", "tokenId", "API_KEY_ID", "auth_token_nonce"] {
            for v in [hex40, hex64, uuid] {
                assert!(!plausible(Some(k.as_bytes()), v.as_bytes()), "{k} = {v}");
            }
        }
        assert!(!plausible(Some(b"api_key"), b"9F2c4e6a8b0d1f3e5a7c9b2d4f6e8a0c1b3d5f7e"));
    }
}
