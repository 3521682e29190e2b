//! Owners of a finding: the CODEOWNERS entry for its path (GitHub's last-match rule, or
//! GitLab's sections), the author of the commit that introduced it, and what the variable
//! name says (`DEPLOY_BOT_TOKEN` → `deploy-bot`). Each owner says where it came from.
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::finding::Owner;

/// Where GitHub and GitLab look for the file, in the order that decides which one is used.
pub const LOCATIONS: [&str; 4] =
    [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"];

/// A parsed CODEOWNERS file.
#[derive(Debug)]
pub struct Codeowners {
    file: String,
    /// GitHub files have one unnamed section; GitLab's `[Section]` headers add more, and
    /// every section contributes its last matching entry's owners.
    sections: Vec<Section>,
}

#[derive(Debug, Default)]
struct Section {
    default_owners: Vec<String>,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    line: usize,
    globs: GlobSet,
    owners: Vec<String>,
    /// GitLab `!path`: the section assigns no owner to matching paths.
    exclude: bool,
}

/// GitHub ignores a CODEOWNERS file over 3 MB; sprawl reads no more than that.
pub const MAX_FILE: u64 = 3 << 20;

/// Rules kept from one file: each costs a compiled glob set (about 16 KB), so 5,000 bound
/// the file's memory near 80 MB; large real files have a few thousand lines.
const MAX_RULES: usize = 5_000;

/// A line longer than this is no path pattern and owners (4 KiB), and is skipped.
const MAX_LINE: usize = 4096;

impl Codeowners {
    /// Parse `text` (read from `file`, a repository-relative path). Lines that do not parse
    /// are skipped and returned as warnings; so are overlong lines and rules past the cap.
    pub fn parse(file: &str, text: &str) -> (Self, Vec<String>) {
        let mut sections = vec![Section::default()];
        let mut warnings = Vec::new();
        let gitlab = file.starts_with(".gitlab/") || text.lines().any(|l| section_header(l.trim()).is_some());
        let (mut rules, mut dropped) = (0usize, 0usize);
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if trimmed.len() > MAX_LINE {
                warnings.push(format!("{file}:{line}: line over {MAX_LINE} bytes, skipped"));
                continue;
            }
            if rules == MAX_RULES {
                dropped += 1;
                continue;
            }
            if gitlab {
                if let Some(defaults) = section_header(trimmed) {
                    sections.push(Section { default_owners: defaults, entries: Vec::new() });
                    continue;
                }
            }
            // GitHub allows trailing comments; an owner never starts with '#'.
            let content = trimmed.split(" #").next().unwrap_or(trimmed);
            let mut words = content.split_whitespace();
            let Some(pattern) = words.next() else { continue };
            let owners: Vec<String> = words.map(str::to_string).collect();
            let (exclude, pattern) = match pattern.strip_prefix('!') {
                Some(p) if gitlab => (true, p),
                _ => (false, pattern),
            };
            match compile(pattern) {
                Ok(globs) => {
                    let section = sections.last_mut().expect("there is always a section");
                    section.entries.push(Entry { line, globs, owners, exclude });
                    rules += 1;
                }
                // The kind alone: the pattern is the scanned repository's text, and a line of
                // it may hold anything (docs/SECURITY.md).
                Err(e) => warnings
                    .push(format!("{file}:{line}: pattern not understood ({}), line skipped", e.kind())),
            }
        }
        if dropped > 0 {
            warnings.push(format!(
                "{file}: over {MAX_RULES} rules; the {dropped} lines after the first {MAX_RULES} rules are ignored"
            ));
        }
        (Self { file: file.to_string(), sections }, warnings)
    }

    /// Owners of a repository-relative, `/`-separated path.
    pub fn owners(&self, path: &str) -> Vec<Owner> {
        let mut out: Vec<Owner> = Vec::new();
        for section in &self.sections {
            if section.entries.iter().any(|e| e.exclude && e.globs.is_match(path)) {
                continue;
            }
            let Some(entry) = section.entries.iter().rev().find(|e| !e.exclude && e.globs.is_match(path))
            else {
                continue;
            };
            let owners = if entry.owners.is_empty() { &section.default_owners } else { &entry.owners };
            for who in owners {
                if !out.iter().any(|o| &o.who == who) {
                    out.push(Owner {
                        who: who.clone(),
                        source: "codeowners".into(),
                        detail: Some(format!("{}:{}", self.file, entry.line)),
                    });
                }
            }
        }
        out
    }
}

/// `[Name]`, `^[Name]`, `[Name][2]`, each optionally followed by default owners.
fn section_header(line: &str) -> Option<Vec<String>> {
    let rest = line.strip_prefix('^').unwrap_or(line).strip_prefix('[')?;
    let (_name, mut rest) = rest.split_once(']')?;
    if let Some(after) = rest.strip_prefix('[') {
        let (count, after) = after.split_once(']')?;
        if !count.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        rest = after;
    }
    Some(rest.split_whitespace().filter(|w| !w.starts_with('#')).map(str::to_string).collect())
}

/// A CODEOWNERS pattern as globs over repository-relative paths: a pattern with a slash
/// before its end is anchored at the root, one without matches at any depth; a match on a
/// directory covers everything below it, except that `dir/*` stays one level deep.
fn compile(pattern: &str) -> Result<GlobSet, globset::Error> {
    let dir_only = pattern.ends_with('/');
    let body = pattern.trim_start_matches('/').trim_end_matches('/');
    let anchored = pattern.starts_with('/') || body.contains('/');
    let base = match (anchored, body) {
        (_, "" | "*" | "**") => "**".to_string(),
        (true, _) => body.to_string(),
        (false, _) => format!("**/{body}"),
    };
    let mut globs: Vec<String> = Vec::new();
    if !dir_only {
        globs.push(base.clone());
    }
    if !body.ends_with("/*") {
        globs.push(format!("{base}/**"));
    }
    let mut set = GlobSetBuilder::new();
    for g in globs {
        set.add(GlobBuilder::new(&g).literal_separator(true).build()?);
    }
    set.build()
}

/// The CODEOWNERS file of a repository.
#[derive(Debug, Default)]
pub struct OwnerContext {
    pub codeowners: Option<Codeowners>,
}

impl OwnerContext {
    /// The first CODEOWNERS file found (GitHub and GitLab locations), reading files with
    /// `read(repository-relative path, MAX_FILE)`, which fails for a file over that size;
    /// parse problems and unreadable files go to `warn`.
    pub fn load(read: impl Fn(&str, u64) -> anyhow::Result<Option<Vec<u8>>>, warn: impl Fn(String)) -> Self {
        let codeowners = LOCATIONS.iter().find_map(|loc| {
            let text = match read(loc, MAX_FILE) {
                Ok(text) => text?,
                Err(e) => {
                    warn(format!("{loc}: {e:#}; owners from CODEOWNERS not reported"));
                    return None;
                }
            };
            let (c, warnings) = Codeowners::parse(loc, &String::from_utf8_lossy(&text));
            warnings.into_iter().for_each(&warn);
            Some(c)
        });
        Self { codeowners }
    }

    /// Every owner of a finding at `path` (repository-relative): CODEOWNERS, the
    /// introducing commit's author, the variable name.
    pub fn owners(&self, f: &crate::finding::Finding, path: Option<&str>) -> Vec<Owner> {
        let mut out = Vec::new();
        if let (Some(c), Some(path)) = (&self.codeowners, path) {
            out.extend(c.owners(path));
        }
        if let Some(g) = &f.git {
            if let (Some(author), Some(email), Some(commit)) = (&g.author, &g.email, &g.first_commit) {
                out.push(from_commit(author, email, commit));
            }
        }
        out.extend(f.key.as_deref().and_then(from_variable));
        out
    }
}

/// Role words that mark a variable as a machine identity's credential.
const ROLE_WORDS: &[&str] = &[
    "bot",
    "robot",
    "svc",
    "service",
    "sa",
    "deploy",
    "deployer",
    "ci",
    "cd",
    "release",
    "publish",
    "publisher",
    "sync",
    "webhook",
    "app",
    "integration",
    "automation",
    "runner",
    "readonly",
    "ro",
    "backup",
    "monitor",
    "build",
    "admin",
];
/// Words that name the credential itself rather than its owner.
const CREDENTIAL_WORDS: &[&str] = &[
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "pwd",
    "pass",
    "api",
    "apikey",
    "pat",
    "access",
    "auth",
    "credential",
    "credentials",
    "cred",
    "creds",
    "id",
    "private",
    "client",
];

/// `DEPLOY_BOT_TOKEN` → `deploy-bot`, when the name has a role word.
pub fn from_variable(name: &str) -> Option<Owner> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            words.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            prev_lower = false;
            continue;
        }
        // camelCase boundary: deployBotToken.
        if c.is_ascii_uppercase() && prev_lower {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    words.extend((!current.is_empty()).then_some(current));
    let meaningful: Vec<&str> =
        words.iter().map(String::as_str).filter(|w| !CREDENTIAL_WORDS.contains(w)).collect();
    if !meaningful.iter().any(|w| ROLE_WORDS.contains(w)) {
        return None;
    }
    Some(Owner { who: meaningful.join("-"), source: "variable-name".into(), detail: Some(name.to_string()) })
}

/// The author of the commit that introduced a secret.
pub fn from_commit(author: &str, email: &str, commit: &str) -> Owner {
    Owner {
        who: format!("{author} <{email}>"),
        source: "commit-author".into(),
        detail: Some(commit.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(c: &Codeowners, path: &str) -> Vec<String> {
        c.owners(path).into_iter().map(|o| o.who).collect()
    }

    #[test]
    fn github_last_match_wins() {
        let text = "# owners\n* @org/everyone\n*.env @org/platform # secrets\n/docs/ @org/docs\napps/ @org/apps\ndocs/* @org/docs-top\n/build/logs @org/build\n";
        let (c, warnings) = Codeowners::parse(".github/CODEOWNERS", text);
        assert!(warnings.is_empty());
        assert_eq!(who(&c, "README.md"), ["@org/everyone"]);
        assert_eq!(who(&c, "deploy/prod.env"), ["@org/platform"]);
        assert_eq!(who(&c, "docs/a.md"), ["@org/docs-top"]);
        assert_eq!(who(&c, "docs/deep/a.md"), ["@org/docs"], "docs/* is one level only");
        assert_eq!(who(&c, "src/apps/x/y.py"), ["@org/apps"], "apps/ matches at any depth");
        assert_eq!(who(&c, "build/logs/today.txt"), ["@org/build"]);
        assert_eq!(who(&c, "x/build/logs/today.txt"), ["@org/everyone"], "/build/logs is anchored");
        let o = &c.owners("a.env")[0];
        assert_eq!((o.source.as_str(), o.detail.as_deref()), ("codeowners", Some(".github/CODEOWNERS:3")));
    }

    #[test]
    fn gitlab_sections_combine() {
        let text = "* @default\n[Security] @sec-team\n*.env\n!test/*.env\n[Backend][2]\nsrc/ @backend\n";
        let (c, _) = Codeowners::parse("CODEOWNERS", text);
        assert_eq!(who(&c, "src/app.env"), ["@default", "@sec-team", "@backend"]);
        assert_eq!(who(&c, "test/app.env"), ["@default"]);
    }

    #[test]
    fn variable_names() {
        let o = from_variable("DEPLOY_BOT_TOKEN").expect("owner");
        assert_eq!((o.who.as_str(), o.source.as_str()), ("deploy-bot", "variable-name"));
        assert_eq!(from_variable("releaseBotApiKey").expect("owner").who, "release-bot");
        assert_eq!(from_variable("DB_PASSWORD"), None);
        assert_eq!(from_variable("GITHUB_TOKEN"), None);
    }

    #[test]
    fn a_bad_pattern_is_named_by_line_not_quoted() {
        let secret = ["Zq8", "w0rd", "Lm3x"].concat();
        let text = format!("*.rs @rust-team\n[{secret} @someone\n");
        let (c, warnings) = Codeowners::parse(".github/CODEOWNERS", &text);
        assert_eq!(c.sections.iter().map(|s| s.entries.len()).sum::<usize>(), 1);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with(".github/CODEOWNERS:2: pattern not understood"), "{warnings:?}");
        assert!(!warnings[0].contains(&secret), "{warnings:?}");
    }
}
