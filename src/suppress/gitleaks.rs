//! Import of a gitleaks configuration (`.gitleaks.toml`): its custom rules become sprawl
//! rules (`gitleaks.<id>`) and its allowlists become allow entries, so that a team can switch
//! without rewriting them. Anything not understood is named in a warning.
use anyhow::Context;
use regex_syntax::hir::literal::Extractor;
use toml::Value;

use super::Allow;
use crate::rules::{syntax::RuleSyntax, Rule};

/// What an imported configuration contributes.
#[derive(Debug, Default)]
pub struct Imported {
    pub rules: Vec<Rule>,
    pub allows: Vec<Allow>,
    pub warnings: Vec<String>,
}

pub fn import(file: &str, text: &str) -> anyhow::Result<Imported> {
    let doc: Value = toml::from_str(text).with_context(|| format!("{file}: not valid TOML"))?;
    let table = doc.as_table().context("not a table")?;
    let mut out = Imported::default();
    for (key, value) in table {
        match key.as_str() {
            "title" | "minVersion" | "description" => {}
            "extend" => out.warnings.push(format!(
                "{file}: [extend] is ignored: sprawl's own rules are used in place of gitleaks' defaults"
            )),
            "allowlist" => allow(file, "allowlist", value, &[], &mut out),
            "allowlists" => {
                for (i, a) in value.as_array().into_iter().flatten().enumerate() {
                    allow(file, &format!("allowlists[{i}]"), a, &[], &mut out);
                }
            }
            "rules" => {
                for r in value.as_array().into_iter().flatten() {
                    rule(file, r, &mut out);
                }
            }
            other => out.warnings.push(format!("{file}: unknown key {other:?} ignored")),
        }
    }
    Ok(out)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
}

/// A gitleaks allowlist: `paths` are regexes over the path, `regexes` over the secret
/// (unless `regexTarget` says otherwise), `stopwords` substrings; `commits` are not supported.
fn allow(file: &str, name: &str, v: &Value, rules: &[String], out: &mut Imported) {
    let origin = format!("{file} {name}");
    // Named by key and index, not quoted: an allowlist regex may spell out a secret.
    let mut compile = |key: &str| -> Vec<regex::bytes::Regex> {
        let patterns = strings(v.get(key));
        let compiled = patterns.iter().enumerate().filter_map(|(i, s)| {
            regex::bytes::Regex::new(&go_regex(s))
                .map_err(|e| {
                    let why = crate::diag::regex_error(&e);
                    out.warnings.push(format!("{origin}: {key}[{i}] does not compile ({why}); ignored"));
                })
                .ok()
        });
        compiled.collect()
    };
    let path_regexes = compile("paths");
    let regexes = match v.get("regexTarget").and_then(Value::as_str) {
        None | Some("secret") => compile("regexes"),
        Some(other) => {
            out.warnings
                .push(format!("{origin}: regexTarget {other:?} is not supported; its regexes are ignored"));
            Vec::new()
        }
    };
    for key in v.as_table().into_iter().flat_map(|t| t.keys()) {
        if !matches!(
            key.as_str(),
            "description" | "paths" | "regexes" | "stopwords" | "regexTarget" | "condition"
        ) {
            out.warnings.push(format!("{origin}: {key:?} is not supported and ignored"));
        }
    }
    out.allows.push(Allow {
        origin,
        rules: rules.to_vec(),
        paths: globset::GlobSet::empty(),
        path_regexes,
        regexes,
        stopwords: strings(v.get("stopwords")).iter().map(|w| w.to_lowercase()).collect(),
    });
}

fn rule(file: &str, v: &Value, out: &mut Imported) {
    let Some(id) = v.get("id").and_then(Value::as_str) else {
        return out.warnings.push(format!("{file}: a rule without an id is ignored"));
    };
    let Some(pattern) = v.get("regex").and_then(Value::as_str) else {
        return out
            .warnings
            .push(format!("{file}: rule {id} has no regex (path-only rules are not supported)"));
    };
    let pattern = &go_regex(pattern);
    let group = v.get("secretGroup").and_then(Value::as_integer).unwrap_or(0);
    let Some(regex) = name_secret_group(pattern, usize::try_from(group).unwrap_or(0)) else {
        return out.warnings.push(format!("{file}: rule {id}: secretGroup {group} does not exist"));
    };
    let mut keywords: Vec<String> = strings(v.get("keywords")).iter().map(|k| k.to_lowercase()).collect();
    if keywords.is_empty() {
        keywords = literal_keywords(pattern);
    }
    if keywords.is_empty() {
        return out.warnings.push(format!(
            "{file}: rule {id} has no keywords and no literal prefix sprawl can use as one; ignored"
        ));
    }
    let anchored = starts_in_name(pattern, &keywords);
    let sprawl_id =
        format!("gitleaks.{}", id.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    let syntax = RuleSyntax {
        id: sprawl_id.clone(),
        name: v.get("description").and_then(Value::as_str).unwrap_or(id).to_string(),
        provider: "gitleaks".into(),
        keywords,
        regex,
        min_entropy: v.get("entropy").and_then(|e| e.as_float().or_else(|| e.as_integer().map(|i| i as f64))),
        checksum: None,
        identity: None,
        severity: "high".into(),
        window: None,
        lookbehind: None,
        starts_in_name: Some(anchored),
        gate: None,
        pair_with: None,
        placeholders: false,
        password: false,
        strong_context: false,
        examples: Vec::new(),
        negative_examples: Vec::new(),
        references: Vec::new(),
        hosts: Vec::new(),
    };
    if v.get("path").is_some() {
        out.warnings
            .push(format!("{file}: rule {id}: `path` is not supported; the rule applies to every file"));
    }
    match Rule::compile(syntax, file) {
        Ok(r) => out.rules.push(r),
        Err(e) => return out.warnings.push(format!("{file}: rule {id}: {e:#}; ignored")),
    }
    let rules = [sprawl_id];
    if let Some(a) = v.get("allowlist") {
        allow(file, &format!("rule {id} allowlist"), a, &rules, out);
    }
    for (i, a) in v.get("allowlists").and_then(Value::as_array).into_iter().flatten().enumerate() {
        allow(file, &format!("rule {id} allowlists[{i}]"), a, &rules, out);
    }
}

/// Whether a rule's match starts in the name that holds its keyword, so that it can run
/// anchored there (see `RuleSyntax::starts_in_name`) instead of across a window around every
/// keyword hit. gitleaks writes its rules for `name = value` assignments as a lazy run of
/// name characters, then the identifiers (its keywords), then the value:
/// `(?i)[\w.-]{0,50}?(?:acme|acme_co)…`. Their keywords (`key`, `token`, `secret`) are
/// common in code, and windows of 768 bytes around each hit made a history scan with
/// gitleaks' default rules about 4x slower (benches/results/2026-12-03-gitleaks-import.md).
/// The result is the same unless a name runs on for more than 50 characters before its
/// keyword without a word boundary.
fn starts_in_name(pattern: &str, keywords: &[String]) -> bool {
    let rest = pattern.strip_prefix("(?i)").unwrap_or(pattern);
    let Some((bound, rest)) = rest.strip_prefix(r"[\w.-]{0,").and_then(|r| r.split_once("}?")) else {
        return false;
    };
    let Some(names) = rest.strip_prefix("(?:").and_then(|r| r.split_once(')')).map(|(names, _)| names) else {
        return false;
    };
    let names = names.to_lowercase();
    !bound.is_empty()
        && bound.bytes().all(|b| b.is_ascii_digit())
        && !names.contains(['(', '[', '*', '+', '?', '{'])
        && keywords.iter().all(|k| names.contains(k.as_str()))
}

/// A Go (RE2) regex rewritten into the syntax of Rust's `regex` with the same meaning, where
/// the two differ (gitleaks configurations are written for Go's `regexp`):
/// - a `{` that does not open a repetition (`{n}`, `{n,}`, `{n,m}`, digits only) is a
///   literal in Go, as in `\${VAR}` or `{\d+}`; Rust reads every `{` as a repetition;
/// - `\Q…\E` quotes a literal in Go; Rust has no such escape;
/// - `\<` and `\>` are the characters `<` and `>` in Go, word boundaries in Rust;
/// - `\0`, `\012` are octal escapes in Go; Rust rejects them (as backreferences);
/// - inside a class, Go reads `[`, `&&`, `~~` and `--` as characters; Rust as a nested
///   class, intersection, symmetric difference and difference.
///
/// Anything else is left as written, so a pattern Go rejects is still rejected.
fn go_regex(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let (mut i, mut in_class, mut class_start) = (0, false, 0);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                i += 2;
                match next {
                    'Q' if !in_class => {
                        let rest: String = chars[i..].iter().collect();
                        let (quoted, after) = rest.split_once("\\E").unwrap_or((&rest, ""));
                        out.push_str(&regex_syntax::escape(quoted));
                        i = chars.len() - after.chars().count();
                    }
                    '<' | '>' => out.push(next),
                    '0'..='7' if next == '0' || chars.get(i).is_some_and(|d| ('0'..='7').contains(d)) => {
                        let digits =
                            chars[i..].iter().take(2).take_while(|d| ('0'..='7').contains(*d)).count();
                        let octal: String = chars[i - 1..i + digits].iter().collect();
                        let value = u32::from_str_radix(&octal, 8).expect("octal digits");
                        out.push_str(&format!("\\x{{{value:x}}}"));
                        i += digits;
                    }
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                // A `]` first in the class (after an optional `^`) is a literal in both.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                class_start = i;
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            '[' if chars.get(i + 1) == Some(&':') => {
                // A POSIX class, `[:alpha:]`, is the same in both.
                let end = (i + 2..chars.len().saturating_sub(1))
                    .find(|&j| chars[j] == ':' && chars[j + 1] == ']')
                    .map_or(chars.len(), |j| j + 2);
                out.extend(&chars[i..end]);
                i = end;
                continue;
            }
            '[' | '&' | '~' if in_class => out.push_str(&format!("\\{c}")),
            '-' if in_class && i > class_start && chars[i - 1] == '-' => out.push_str("\\-"),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '{' if !in_class && !opens_repetition(&chars[i..]) => out.push_str("\\{"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Whether `s` starts with a Go repetition: `{n}`, `{n,}` or `{n,m}`.
fn opens_repetition(s: &[char]) -> bool {
    let digits = |from: usize| s[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let n = digits(1);
    if n == 0 {
        return false;
    }
    let mut at = 1 + n;
    if s.get(at) == Some(&',') {
        at += 1 + digits(at + 1);
    }
    s.get(at) == Some(&'}')
}

/// Rewrite a gitleaks regex so that its secret (capture group `n`, or the whole match
/// when `n` is 0 and there is no group; gitleaks then uses group 1) is the group `secret`.
fn name_secret_group(pattern: &str, n: usize) -> Option<String> {
    let bytes = pattern.as_bytes();
    let mut starts = Vec::new(); // (index of '(', end of its name prefix)
    let (mut i, mut in_class) = (0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => {
                let rest = &pattern[i + 1..];
                if let Some(named) = rest.strip_prefix("?P<").or_else(|| rest.strip_prefix("?<")) {
                    let close = named.find('>')?;
                    starts.push((i, i + 1 + (rest.len() - named.len()) + close + 1));
                } else if !rest.starts_with('?') {
                    starts.push((i, i + 1));
                }
            }
            _ => {}
        }
        i += 1;
    }
    let n = if n == 0 && !starts.is_empty() { 1 } else { n };
    if n == 0 {
        return Some(format!("(?P<secret>{pattern})"));
    }
    let (open, body) = *starts.get(n - 1)?;
    Some(format!("{}(?P<secret>{}", &pattern[..open], &pattern[body..]))
}

/// Literal strings every match must start with, usable as prefilter keywords.
fn literal_keywords(pattern: &str) -> Vec<String> {
    let Ok(hir) = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern) else {
        return Vec::new();
    };
    let seq = Extractor::new().extract(&hir);
    let Some(literals) = seq.literals() else { return Vec::new() };
    let words: Vec<String> =
        literals.iter().map(|l| String::from_utf8_lossy(l.as_bytes()).to_lowercase()).collect();
    if words.is_empty() || words.iter().any(|w| w.len() < 3) {
        return Vec::new();
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_group_rewrite() {
        assert_eq!(name_secret_group(r"abc_[0-9]{4}", 0).as_deref(), Some(r"(?P<secret>abc_[0-9]{4})"));
        assert_eq!(name_secret_group(r"key=([a-z]+)", 0).as_deref(), Some(r"key=(?P<secret>[a-z]+)"));
        assert_eq!(
            name_secret_group(r"(?i)(a|b)\((x)[(]([0-9]+)", 3).as_deref(),
            Some(r"(?i)(a|b)\((x)[(](?P<secret>[0-9]+)")
        );
        assert_eq!(name_secret_group(r"(?P<k>a)(b)", 1).as_deref(), Some(r"(?P<secret>a)(b)"));
        assert_eq!(name_secret_group(r"(a)", 2), None);
    }

    #[test]
    fn go_syntax_is_translated() {
        let cases = [
            (r"^\$(?:\w+|{\w+})$", r"^\$(?:\w+|\{\w+})$"),
            (r"x{3}y{2,}z{1,4}", r"x{3}y{2,}z{1,4}"),
            (r"a{,4}b{ 2}", r"a\{,4}b\{ 2}"),
            (r"{{ .Env }}", r"\{\{ .Env }}"),
            (r"\Qa.b*\E+", r"a\.b\*+"),
            (r"\Q{x}", r"\{x\}"),
            (r"\<tag\>", r"<tag>"),
            (r"\101\0\12x", r"\x{41}\x{0}\x{a}x"),
            (r"[[:digit:][]", r"[[:digit:]\[]"),
            (r"[a&&b~~c]&~", r"[a\&\&b\~\~c]&~"),
            (r"[!--/]", r"[!-\-/]"),
            (r"[]a][^]b]", r"[\]a][^\]b]"),
            (r"\1", r"\1"),
        ];
        for (go, rust) in cases {
            assert_eq!(go_regex(go), rust, "{go}");
        }
        let re = regex::Regex::new(&go_regex(r"^\$(?:\w+|{\w+})$")).expect("compiles");
        assert!(re.is_match("${HOME}") && re.is_match("$HOME") && !re.is_match("${HOME"));
        let re = regex::Regex::new(&go_regex(r"^[!--]+$")).expect("compiles");
        assert!(re.is_match("!#,-") && !re.is_match("a"));
    }

    #[test]
    fn assignment_rules_run_anchored_in_the_name() {
        let kw = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let assignment =
            r#"(?i)[\w.-]{0,50}?(?:acme|acme_co)(?:[ \t\w.-]{0,20})[\s'"]{0,3}=\s*([a-z0-9]{32})"#;
        assert!(starts_in_name(assignment, &kw(&["acme", "acme_co"])));
        assert!(!starts_in_name(assignment, &kw(&["token"])), "a keyword outside the names");
        assert!(!starts_in_name(r"acme_[a-z0-9]{32}", &kw(&["acme_"])));
        assert!(!starts_in_name(r"[\w.-]{0,50}?(?:a(b|c))=(x+)", &kw(&["ab"])));
        assert!(!starts_in_name(r"[\w.-]{0,50}?=\s*(tok_[a-z]+)", &kw(&["tok_"])));
    }

    #[test]
    fn imports_rules_and_allowlists() {
        let text = r#"
title = "custom"
[extend]
useDefault = true
[[rules]]
id = "acme-api-key"
description = "Acme API key"
regex = '''acme_(?:live|test)_([a-z0-9]{24})'''
secretGroup = 1
[rules.allowlist]
stopwords = ["EXAMPLE"]
[[rules]]
id = "no-keyword"
regex = '''[a-f0-9]{32}'''
[allowlist]
paths = ['''(^|/)fixtures/''']
regexes = ['''^dummy''']
commits = ["abc"]
"#;
        let imported = import(".gitleaks.toml", text).expect("imports");
        assert_eq!(imported.rules.len(), 1);
        let rule = &imported.rules[0];
        assert_eq!(rule.id, "gitleaks.acme-api-key");
        assert_eq!(rule.keywords, ["acme_live_", "acme_test_"]);
        assert_eq!(imported.allows.len(), 2);
        assert!(imported.warnings.iter().any(|w| w.contains("[extend]")));
        assert!(imported.warnings.iter().any(|w| w.contains("no-keyword")));
        assert!(imported.warnings.iter().any(|w| w.contains("\"commits\"")));
    }
}
