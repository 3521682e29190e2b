//! The on-disk form of a signature file (`signatures/*.toml`): serde structs, nothing else.
use serde::Deserialize;

/// One `signatures/*.toml` file: a list of `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rule: Vec<RuleSyntax>,
}

/// A rule as written. Validated and compiled into [`super::Rule`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSyntax {
    pub id: String,
    pub name: String,
    pub provider: String,
    /// Literals for the prefilter, matched case-insensitively.
    pub keywords: Vec<String>,
    /// Regex with a named group `secret`; other named groups feed identity extraction.
    pub regex: String,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// Named offline validator (see `validate::Checksum`).
    #[serde(default)]
    pub checksum: Option<String>,
    /// Which identity extractor applies.
    #[serde(default)]
    pub identity: Option<String>,
    pub severity: String,
    /// Bytes of context searched after a keyword hit (default 512); multi-line secrets
    /// such as PEM blocks need more.
    #[serde(default)]
    pub window: Option<usize>,
    /// Bytes searched before a keyword hit (default 256; generic rules 64): for a keyword
    /// that sits late in a long match, such as `<password>` in a Maven `<server>` block.
    #[serde(default)]
    pub lookbehind: Option<usize>,
    /// The match starts at a word boundary in the name run (`[A-Za-z0-9_.+-]`) that ends at
    /// the keyword, as in `(?P<key>\b[\w.-]{0,30}vercel…` or `\b[A-Za-z][A-Za-z0-9+.-]*://`:
    /// the regex then runs anchored at those boundaries, dying within a few bytes where
    /// nothing matches, instead of across a window. Default: true for generic rules.
    #[serde(default)]
    pub starts_in_name: Option<bool>,
    /// A regex that must match, anchored, at a keyword hit before the rule's regex runs
    /// there: a cheap test that most hits of a common keyword fail, such as
    /// `://[^\s/@]*@` for a password in a URL (99k `://` in curl's sources, a few hundred
    /// with an `@` before the path). It sees the rule's window after the hit, and must
    /// hold at the hit of every match the regex can make: a stricter gate loses secrets.
    #[serde(default)]
    pub gate: Option<String>,
    /// Id of a rule whose match within a few lines completes this credential
    /// (an AWS secret key next to its key id).
    #[serde(default)]
    pub pair_with: Option<String>,
    /// Drop values that are placeholders (`pass`, `secret;opt`, `changeme`, `<password>`):
    /// for passwords in URLs and config files, where any string is a valid format.
    #[serde(default)]
    pub placeholders: bool,
    /// The secret is a password or token someone typed on a command line, in a header or
    /// a client's credential file: dropped unless it could be real (long enough, mixed
    /// characters, no stand-in; see `matcher::generic::plausible_password`). With
    /// `checksum = "basic-auth"` the password decoded from `base64(user:password)` is judged.
    #[serde(default)]
    pub password: bool,
    /// With `password = true`: the syntax itself says the value is a password (a tool's
    /// password flag, a connection string's `Password=`, a credentials constructor, a
    /// comparison with a literal, prose such as `the password is '…'`), so a weak password
    /// (`team10`, `whiteduke`) is reported too, with severity `low`; references, stand-ins
    /// and hashes are still dropped (see `matcher::generic::weak_password`).
    #[serde(default)]
    pub strong_context: bool,
    /// The provider's own service hosts (`api.github.com`; each also covers its
    /// subdomains): a credential sent there is used, not leaked (CI egress).
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
}
