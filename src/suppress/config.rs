//! `.sprawl.toml`: a repository's own scan settings. Every key is checked; an unknown key,
//! a bad glob or a bad regex is an error naming the file, line and key, never the line's
//! content (it may hold a secret).
//!
//! ```toml
//! rules = ["ci/extra-rules"]           # more rule files or directories, inside the repository
//! disable = ["generic.password"]       # rule ids not to run
//! max_file_size = "10M"
//! compat_markers = true                # honour gitleaks:allow and pragma: allowlist secret
//!
//! [[allow]]
//! description = "test fixtures"
//! rules = ["generic.password"]         # optional: only these rules
//! paths = ["testdata/**"]              # globs over repository-relative paths
//! regexes = ['EXAMPLE']                # over the secret
//! stopwords = ["dummy"]                # substrings of the secret, any case
//! ```
use std::ops::Range;
use std::path::Path;

use anyhow::Context;
use globset::{GlobBuilder, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use super::{Allow, Suppressor};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSyntax {
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    max_file_size: Option<Spanned<String>>,
    compat_markers: Option<bool>,
    #[serde(default)]
    allow: Vec<Spanned<AllowSyntax>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowSyntax {
    #[serde(default)]
    #[allow(dead_code)] // documentation for people; read by serde only
    description: Option<String>,
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    regexes: Vec<Spanned<String>>,
    #[serde(default)]
    stopwords: Vec<String>,
}

/// A loaded `.sprawl.toml`.
#[derive(Debug, Default)]
pub struct ProjectConfig {
    /// Extra rule files or directories, as written (relative to the configuration file's
    /// directory: the repository root for a repository's own file).
    pub rules: Vec<String>,
    /// Rule ids to drop, with the line that asked for it.
    pub disable: Vec<(String, String)>,
    pub max_file_size: Option<u64>,
    pub suppressor: Suppressor,
}

/// `file:line` of a byte offset.
pub(crate) fn at(file: &str, text: &str, span: Range<usize>) -> String {
    let line = text.as_bytes()[..span.start.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1;
    format!("{file}:{line}")
}

impl ProjectConfig {
    /// Load the file the user named on the command line.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        Self::parse(&name, &text)
    }

    /// Parse `text`, naming it `file` in messages.
    pub fn parse(file: &str, text: &str) -> anyhow::Result<Self> {
        let syntax: FileSyntax = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("{}", crate::diag::toml_error(file, text, &e)))?;
        let max_file_size = match &syntax.max_file_size {
            None => None,
            Some(s) => Some(crate::units::parse_size(s.get_ref()).map_err(|_| {
                anyhow::anyhow!("{}: max_file_size: not a size (use K, M or G)", at(file, text, s.span()))
            })?),
        };
        let mut allows = Vec::new();
        for entry in &syntax.allow {
            let origin = at(file, text, entry.span());
            let entry = entry.get_ref();
            let mut paths = GlobSetBuilder::new();
            for g in &entry.paths {
                let glob = GlobBuilder::new(g.get_ref()).literal_separator(true).build().map_err(|e| {
                    anyhow::anyhow!("{}: allow.paths: bad glob: {}", at(file, text, g.span()), e.kind())
                })?;
                paths.add(glob);
            }
            let regexes = entry
                .regexes
                .iter()
                .map(|r| {
                    regex::bytes::RegexBuilder::new(r.get_ref()).size_limit(1 << 20).build().map_err(|e| {
                        let why = crate::diag::regex_error(&e);
                        anyhow::anyhow!("{}: allow.regexes: bad regex: {why}", at(file, text, r.span()))
                    })
                })
                .collect::<anyhow::Result<_>>()?;
            allows.push(Allow {
                origin,
                rules: entry.rules.iter().map(|r| r.get_ref().clone()).collect(),
                paths: paths.build()?,
                path_regexes: Vec::new(),
                regexes,
                stopwords: entry.stopwords.iter().map(|w| w.to_lowercase()).collect(),
            });
        }
        let disable =
            syntax.disable.iter().map(|d| (d.get_ref().clone(), at(file, text, d.span()))).collect();
        Ok(Self {
            rules: syntax.rules,
            disable,
            max_file_size,
            suppressor: Suppressor { allows, compat_markers: syntax.compat_markers.unwrap_or(true) },
        })
    }

    /// Rule ids this configuration names (in `disable` and `allow.rules`) with where, so
    /// that a typo is an error rather than a silent no-op.
    pub fn named_rules(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> =
            self.disable.iter().map(|(id, at)| (id.as_str(), at.as_str())).collect();
        for a in &self.suppressor.allows {
            out.extend(a.rules.iter().map(|r| (r.as_str(), a.origin.as_str())));
        }
        out
    }
}
