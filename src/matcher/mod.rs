//! The matcher: a case-insensitive search for every rule keyword finds the few windows
//! worth a regex; each rule's regex confirms inside its windows; entropy, the generic
//! filters and offline checksums then decide what is reported.
pub(crate) mod entropy;
pub(crate) mod generic;
mod keywords;

use std::sync::Arc;

use keywords::Keywords;

use crate::decode;
use crate::rules::RuleSet;
use crate::validate::Validation;

/// A confirmed match in one buffer, before it becomes a [`crate::finding::Finding`].
#[derive(Debug, Clone)]
pub struct RawMatch {
    /// Index into [`RuleSet::rules`].
    pub rule: usize,
    /// Byte span of the whole regex match.
    pub start: usize,
    pub end: usize,
    /// Byte span of the `secret` group.
    pub secret_start: usize,
    pub secret_end: usize,
    /// The variable or key name the secret was assigned to (named group `key`), if any.
    pub key: Option<(usize, usize)>,
    /// Other named groups that matched (see [`IDENTITY_GROUPS`]), for identity extraction.
    pub groups: Vec<(&'static str, usize, usize)>,
    pub entropy: f64,
    pub validation: Validation,
}

/// Named groups a rule may capture besides `secret`, read by identity extraction.
pub const IDENTITY_GROUPS: [&str; 8] = ["key", "key_id", "account", "user", "host", "port", "db", "registry"];

/// The compiled matcher, shared by all threads (`Sync`); per-thread state is [`Scratch`].
pub struct Matcher {
    rules: Arc<RuleSet>,
    keywords: Keywords,
    /// For each keyword, the rules it triggers.
    triggers: Vec<Vec<u32>>,
    /// For each keyword, the [`decode::MARKERS`] it is (a bit mask).
    markers: Vec<u8>,
}

/// Per-thread reusable buffers.
#[derive(Default)]
pub struct Scratch {
    windows: Vec<(u32, usize, usize)>,
    /// Per rule, the index in `windows` of its latest window.
    last: Vec<u32>,
    /// Which [`decode::MARKERS`] the last scan saw (a bit mask).
    markers: u8,
}

impl Scratch {
    /// Which [`decode::MARKERS`] the last [`Matcher::scan`] saw, bit `i` for marker `i`.
    pub fn markers(&self) -> u8 {
        self.markers
    }
}

impl Matcher {
    pub fn new(rules: Arc<RuleSet>) -> anyhow::Result<Self> {
        // Distinct lower-cased keywords, each mapped to the rules that list it and the
        // decode markers it is: one search finds both.
        let mut keywords: Vec<String> = rules
            .rules
            .iter()
            .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
            .chain(decode::MARKERS.map(str::to_string))
            .filter(|k| !k.is_empty())
            .collect();
        keywords.sort();
        keywords.dedup();
        let triggers = keywords
            .iter()
            .map(|kw| {
                rules
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.keywords.iter().any(|k| k.eq_ignore_ascii_case(kw)))
                    .map(|(i, _)| i as u32)
                    .collect()
            })
            .collect();
        let markers = keywords
            .iter()
            .map(|kw| {
                let is = |(i, m): (usize, &&str)| if m.eq_ignore_ascii_case(kw) { 1 << i } else { 0 };
                decode::MARKERS.iter().enumerate().map(is).sum()
            })
            .collect();
        let keywords = Keywords::new(keywords.into_iter().map(String::into_bytes).collect())?;
        Ok(Self { rules, keywords, triggers, markers })
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Every match in `hay`, in order of position, passed to `emit`.
    pub fn scan(&self, hay: &[u8], scratch: &mut Scratch, mut emit: impl FnMut(RawMatch)) {
        let Scratch { windows, last, markers } = scratch;
        windows.clear();
        last.clear();
        last.resize(self.rules.rules.len(), u32::MAX);
        *markers = 0;
        self.keywords.find_all(hay, |kw, at| {
            *markers |= self.markers[kw as usize];
            for &ri in &self.triggers[kw as usize] {
                let rule = &self.rules.rules[ri as usize];
                let (start, end) = (at.saturating_sub(rule.lookbehind), (at + rule.window).min(hay.len()));
                // A run of keyword hits (`AAAA…` for a keyword of A's) grows one window.
                if let Some(w) = windows.get_mut(last[ri as usize] as usize).filter(|w| start <= w.2) {
                    w.1 = w.1.min(start);
                    w.2 = w.2.max(end);
                } else {
                    last[ri as usize] = windows.len() as u32;
                    windows.push((ri, start, end));
                }
            }
        });
        if windows.is_empty() {
            return;
        }
        windows.sort_unstable();
        let mut merged: Option<(u32, usize, usize)> = None;
        for &(ri, s, e) in windows.iter() {
            match &mut merged {
                Some((mri, _, me)) if *mri == ri && s <= *me => *me = (*me).max(e),
                _ => {
                    if let Some(w) = merged.replace((ri, s, e)) {
                        self.confirm(hay, w, &mut emit);
                    }
                }
            }
        }
        if let Some(w) = merged {
            self.confirm(hay, w, &mut emit);
        }
    }

    /// Run one rule's regex inside one window.
    fn confirm(&self, hay: &[u8], (ri, start, end): (u32, usize, usize), emit: &mut impl FnMut(RawMatch)) {
        let rule = &self.rules.rules[ri as usize];
        // Stop at the end of the line past the window so that `\b` and `$` see real
        // context, but never more than a little further.
        let end = memchr::memchr(b'\n', &hay[end..(end + 256).min(hay.len())])
            .map_or((end + 256).min(hay.len()), |i| end + i);
        let hay = &hay[..end];
        let Some(regex) = rule.regex() else { return };
        let mut pos = start;
        while pos <= hay.len() {
            // Most windows hold no match: a plain search first allocates nothing.
            let Some(found) = regex.find_at(hay, pos) else { break };
            let Some(caps) = regex.captures_at(hay, found.start()) else { break };
            let whole = caps.get(0).expect("group 0 always participates");
            pos = if whole.end() > whole.start() { whole.end() } else { whole.end() + 1 };
            let Some(secret) = caps.name("secret") else { continue };
            let value = secret.as_bytes();
            if value.is_empty() {
                continue;
            }
            let entropy = entropy::shannon(value);
            if rule.min_entropy.is_some_and(|min| entropy < min) {
                continue;
            }
            let key = caps.name("key");
            if rule.source.placeholders && generic::placeholder_password(value) {
                continue;
            }
            if rule.generic {
                let delimited = key.is_some_and(|k| {
                    generic::well_delimited(hay, k.start(), k.end(), secret.start(), secret.end())
                });
                if !delimited || !generic::plausible(key.map(|k| k.as_bytes()), value) {
                    continue;
                }
            }
            // Matches that fail their checksum are still emitted: they must keep a generic
            // rule off the same bytes; the scanner decides whether to report them.
            let validation = rule.checksum.map_or(Validation::Unverified, |c| c.validate(value));
            let groups = IDENTITY_GROUPS
                .iter()
                .filter_map(|name| caps.name(name).map(|g| (*name, g.start(), g.end())))
                .collect();
            emit(RawMatch {
                rule: ri as usize,
                start: whole.start(),
                end: whole.end(),
                secret_start: secret.start(),
                secret_end: secret.end(),
                key: key.map(|k| (k.start(), k.end())),
                groups,
                entropy,
                validation,
            });
        }
    }
}
