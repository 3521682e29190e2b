//! The matcher: a case-insensitive search for every rule keyword finds the few windows
//! worth a regex; each rule's regex confirms inside its windows; entropy, the generic
//! filters and offline checksums then decide what is reported.
mod budget;
pub(crate) mod generic;
mod keywords;

use std::sync::Arc;
use std::time::Instant;

use budget::{Budget, Spent};
use keywords::Keywords;
use regex_automata::meta::{Cache, Regex};
use regex_automata::{Anchored, Input};

use crate::decode;
use crate::rules::RuleSet;
use crate::validate::{basic_credentials, Checksum, Validation};

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
    /// A weak password accepted only because its context says it is one (reported `low`).
    pub weak: bool,
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
    /// Imported rules that blew their cost budget.
    budget: Budget,
}

/// Per-thread reusable buffers.
#[derive(Default)]
pub struct Scratch {
    windows: Vec<(u32, usize, usize)>,
    /// Per rule, the index in `windows` of its latest window.
    last: Vec<u32>,
    /// Keyword hits of [`crate::rules::Rule::starts_in_name`] rules: rule and position.
    names: Vec<(u32, usize)>,
    /// Which [`decode::MARKERS`] the last scan saw (a bit mask).
    markers: u8,
    /// Time imported rules spent on the current buffer.
    spent: Spent,
    /// This thread's search state for each rule's regex and gate.
    caches: Caches,
}

/// A thread's search state for each rule's regex and gate, made on first use: a search
/// with its own state takes none from the regex's shared pool, which every thread but the
/// first reaches through a lock (2% of a scan of curl's sources, most of it in gates).
#[derive(Default)]
struct Caches {
    regex: Vec<Option<Cache>>,
    gate: Vec<Option<Cache>>,
}

impl Caches {
    /// The state of rule `ri`'s regex `re`.
    fn regex(&mut self, ri: u32, re: &Regex) -> &mut Cache {
        slot(&mut self.regex, ri).get_or_insert_with(|| re.create_cache())
    }

    /// Where the state of rule `ri`'s gate goes ([`crate::rules::Rule::passes_gate`] makes it).
    fn gate(&mut self, ri: u32) -> &mut Option<Cache> {
        slot(&mut self.gate, ri)
    }
}

/// Entry `ri` of `v`, grown as needed.
fn slot(v: &mut Vec<Option<Cache>>, ri: u32) -> &mut Option<Cache> {
    let i = ri as usize;
    if v.len() <= i {
        v.resize_with(i + 1, || None);
    }
    &mut v[i]
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
        let mut triggers: Vec<Vec<u32>> = vec![Vec::new(); keywords.len()];
        for (i, rule) in rules.rules.iter().enumerate() {
            for kw in &rule.keywords {
                let Ok(k) = keywords.binary_search(&kw.to_ascii_lowercase()) else { continue };
                if triggers[k].last() != Some(&(i as u32)) {
                    triggers[k].push(i as u32);
                }
            }
        }
        let markers = keywords
            .iter()
            .map(|kw| {
                let is = |(i, m): (usize, &&str)| if m.eq_ignore_ascii_case(kw) { 1 << i } else { 0 };
                decode::MARKERS.iter().enumerate().map(is).sum()
            })
            .collect();
        let keywords = Keywords::new(keywords.into_iter().map(String::into_bytes).collect())?;
        let budget = Budget::new(rules.rules.len());
        Ok(Self { rules, keywords, triggers, markers, budget })
    }

    pub fn rules(&self) -> &Arc<RuleSet> {
        &self.rules
    }

    /// Every match in `hay` passed to `emit`, rule by rule.
    pub fn scan(&self, hay: &[u8], scratch: &mut Scratch, mut emit: impl FnMut(RawMatch)) {
        let Scratch { windows, last, names, markers, spent, caches } = scratch;
        spent.reset();
        windows.clear();
        names.clear();
        // Not cleared per buffer: an index left from an earlier one points past `windows` or
        // at another rule's window (this rule has none yet), which the test below rejects.
        last.resize(self.rules.rules.len(), u32::MAX);
        *markers = 0;
        self.keywords.find_all(hay, |kw, at| {
            *markers |= self.markers[kw as usize];
            for &ri in &self.triggers[kw as usize] {
                let rule = &self.rules.rules[ri as usize];
                if !rule.passes_gate(hay, at, caches.gate(ri)) {
                    continue;
                }
                if rule.starts_in_name {
                    names.push((ri, at));
                    continue;
                }
                let (start, end) = (at.saturating_sub(rule.lookbehind), (at + rule.window).min(hay.len()));
                // A run of keyword hits (`AAAA…` for a keyword of A's) grows one window.
                let window = windows.get_mut(last[ri as usize] as usize);
                if let Some(w) = window.filter(|w| w.0 == ri && start <= w.2 && !self.cut(ri, w.1, end)) {
                    w.1 = w.1.min(start);
                    w.2 = w.2.max(end);
                } else {
                    last[ri as usize] = windows.len() as u32;
                    windows.push((ri, start, end));
                }
            }
        });
        windows.sort_unstable();
        let mut merged: Option<(u32, usize, usize)> = None;
        // Where the last confirmed window of a rule stopped matching: a cut window's
        // successor starts there, so no match is found twice.
        let mut done: (u32, usize) = (u32::MAX, 0);
        for &(ri, s, e) in windows.iter() {
            match &mut merged {
                Some((mri, ms, me)) if *mri == ri && s <= *me && !self.cut(ri, *ms, e) => *me = (*me).max(e),
                _ => {
                    if let Some(w) = merged.replace((ri, s, e)) {
                        done = (w.0, self.confirm_within(hay, w, done, spent, caches, &mut emit));
                    }
                }
            }
        }
        if let Some(w) = merged {
            self.confirm_within(hay, w, done, spent, caches, &mut emit);
        }
        names.sort_unstable();
        // The end of the rule's last match: a keyword inside it was already matched.
        let mut done: Option<(u32, usize)> = None;
        for &(ri, at) in names.iter() {
            if done.is_some_and(|(dri, end)| dri == ri && at < end) {
                continue;
            }
            let rule = &self.rules.rules[ri as usize];
            if rule.imported && self.budget.disabled(ri as usize) {
                continue;
            }
            let since = rule.imported.then(Instant::now);
            if let Some(end) = self.confirm_in_name(hay, ri, at, caches, &mut emit) {
                done = Some((ri, end));
            }
            if let Some(since) = since {
                self.budget.charge(spent, ri as usize, &rule.id, since);
            }
        }
    }

    /// Where a search in a window ending at `end` stops: the end of the line past it, so
    /// that `\b` and `$` see real context, but never much further.
    fn line_end(hay: &[u8], end: usize) -> usize {
        memchr::memchr(b'\n', &hay[end..(end + 256).min(hay.len())])
            .map_or((end + 256).min(hay.len()), |i| end + i)
    }

    /// Whether a window of rule `ri` from `start` must stop short of `end`: imported rules'
    /// searches are kept short so that their budget is checked often.
    fn cut(&self, ri: u32, start: usize, end: usize) -> bool {
        self.rules.rules[ri as usize].imported && end - start > budget::MAX_SPAN
    }

    /// [`Self::confirm`] for a window that may follow a cut one of the same rule (`done`:
    /// that rule and where its matches ended), charging imported rules for their time and
    /// skipping disabled ones; returns where this window's matches ended.
    fn confirm_within(
        &self,
        hay: &[u8],
        (ri, start, end): (u32, usize, usize),
        done: (u32, usize),
        spent: &mut Spent,
        caches: &mut Caches,
        emit: &mut impl FnMut(RawMatch),
    ) -> usize {
        let rule = &self.rules.rules[ri as usize];
        if !rule.imported {
            return self.confirm(hay, (ri, start, end), caches, emit);
        }
        let start = if done.0 == ri { start.max(done.1) } else { start };
        if self.budget.disabled(ri as usize) {
            return start;
        }
        let since = Instant::now();
        let stop = self.confirm(hay, (ri, start, end), caches, emit);
        self.budget.charge(spent, ri as usize, &rule.id, since);
        stop
    }

    /// Run one rule's regex inside one window; returns the end of its last match (`start`
    /// when none).
    fn confirm(
        &self,
        hay: &[u8],
        (ri, start, end): (u32, usize, usize),
        caches: &mut Caches,
        emit: &mut impl FnMut(RawMatch),
    ) -> usize {
        let rule = &self.rules.rules[ri as usize];
        let Some(regex) = rule.regex() else { return start };
        let cache = caches.regex(ri, regex);
        let input = Input::new(&hay[..Self::line_end(hay, end)]);
        let mut pos = start;
        let mut stop = start;
        while pos <= input.haystack().len() {
            // Most windows hold no match: a plain search first allocates nothing.
            let Some(found) = regex.search_with(cache, &input.clone().range(pos..)) else { break };
            let anchored = input.clone().range(found.start()..).anchored(Anchored::Yes);
            if let Some(m) = self.accept(ri, regex, cache, &anchored) {
                emit(m);
            }
            stop = found.end();
            pos = if found.is_empty() { found.end() + 1 } else { found.end() };
        }
        stop
    }

    /// Run the regex of a [`crate::rules::Rule::starts_in_name`] rule anchored at each word boundary of
    /// the name run that ends at `at`; returns the end of its match.
    fn confirm_in_name(
        &self,
        hay: &[u8],
        ri: u32,
        at: usize,
        caches: &mut Caches,
        emit: &mut impl FnMut(RawMatch),
    ) -> Option<usize> {
        let rule = &self.rules.rules[ri as usize];
        let regex = rule.regex()?;
        let cache = caches.regex(ri, regex);
        let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-');
        let word = |i: usize| hay.get(i).is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_');
        let first =
            at - hay[at.saturating_sub(rule.lookbehind)..at].iter().rev().take_while(|&&b| name(b)).count();
        let end = Self::line_end(hay, (at + rule.window).min(hay.len()));
        let input = Input::new(&hay[..end]).anchored(Anchored::Yes);
        for start in first..=at {
            if start > 0 && word(start - 1) == word(start) {
                continue;
            }
            let input = input.clone().range(start..);
            if let Some(found) = regex.search_with(cache, &input) {
                if let Some(m) = self.accept(ri, regex, cache, &input) {
                    emit(m);
                }
                return Some(found.end());
            }
        }
        None
    }

    /// The match of rule `ri` anchored at the start of `input`, with its captures: `None`
    /// if there is none or the filters reject it.
    fn accept(&self, ri: u32, regex: &Regex, cache: &mut Cache, input: &Input<'_>) -> Option<RawMatch> {
        let rule = &self.rules.rules[ri as usize];
        let hay = input.haystack();
        let mut caps = regex.create_captures();
        regex.search_captures_with(cache, input, &mut caps);
        let whole = caps.get_match()?;
        let group = |name: &str| caps.get_group_by_name(name).map(|s| (s.start, s.end));
        let (secret_start, secret_end) = group("secret").filter(|(s, e)| e > s)?;
        let value = &hay[secret_start..secret_end];
        let entropy = crate::secret::shannon(value);
        if rule.min_entropy.is_some_and(|min| entropy < min) {
            return None;
        }
        let key = group("key");
        let user = group("user").map(|(s, e)| &hay[s..e]);
        if rule.source.placeholders
            && (generic::placeholder_password(value) || generic::repeats_user(value, user))
        {
            return None;
        }
        let mut weak = false;
        if rule.source.password {
            let basic =
                (rule.checksum == Some(Checksum::BasicAuth)).then(|| basic_credentials(value)).flatten();
            let pw = basic.as_ref().map_or(value, |(_, pw)| pw.as_bytes());
            if !generic::plausible_password(pw) {
                let user = basic.as_ref().map(|(u, _)| u.as_bytes()).or(user);
                weak = rule.source.strong_context && generic::weak_password(pw, user);
                if !weak {
                    return None;
                }
            }
        }
        if rule.generic {
            let delimited =
                key.is_some_and(|(ks, ke)| generic::well_delimited(hay, ks, ke, secret_start, secret_end));
            if !delimited || !generic::plausible(key.map(|(ks, ke)| &hay[ks..ke]), value) {
                return None;
            }
            let around = &hay[secret_start.saturating_sub(300)..(secret_end + 300).min(hay.len())];
            if key.is_some_and(|(ks, ke)| generic::public_search_key(&hay[ks..ke], around)) {
                return None;
            }
        }
        // Matches that fail their checksum are still emitted: they must keep a generic
        // rule off the same bytes; the scanner decides whether to report them.
        let validation = rule.checksum.map_or(Validation::Unverified, |c| c.validate(value));
        let groups =
            IDENTITY_GROUPS.iter().filter_map(|name| group(name).map(|(s, e)| (*name, s, e))).collect();
        Some(RawMatch {
            rule: ri as usize,
            start: whole.start(),
            end: whole.end(),
            secret_start,
            secret_end,
            key,
            groups,
            entropy,
            validation,
            weak,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anchoring at the word boundaries of the name that holds the keyword finds the same
    /// secrets as a plain search of the whole text, on every example of those rules and on
    /// names with dots, long runs and several keywords.
    #[test]
    fn name_anchored_rules_find_what_a_plain_search_finds() {
        let rules = Arc::new(RuleSet::load(true, &[] as &[&str]).expect("builtin rules"));
        let matcher = Matcher::new(rules.clone()).expect("matcher");
        let mut texts: Vec<String> = [
            "cfg.app.db_password = 'Xk2#pLm9!qRz' and x.passwd->pw_shell",
            "push git+ssh://deploy:Zq8-w0rd-Lm3@example.com/repo.git now",
            "a_name_that_runs_on_and_on_for_more_than_forty_characters_password = 'Xk2#pLm9!qRz'",
            "password_passwd_pwd: \"Hq7-vB2kLz9w\"; token = x; TOKEN_TOKEN=hT9kQ2mZ7xW4pL8vN3rB6yC1",
        ]
        .map(String::from)
        .to_vec();
        let anchored: Vec<usize> =
            (0..rules.rules.len()).filter(|&i| rules.rules[i].starts_in_name).collect();
        assert!(anchored.len() > 60, "{}", anchored.len());
        for &i in &anchored {
            texts.extend(rules.rules[i].source.examples.iter().cloned());
            texts.extend(rules.rules[i].source.negative_examples.iter().cloned());
        }
        let mut found = 0;
        for text in &texts {
            let hay = text.as_bytes();
            let mut got = Vec::new();
            matcher.scan(hay, &mut Scratch::default(), |m| {
                if rules.rules[m.rule].starts_in_name {
                    got.push((m.rule, m.secret_start, m.secret_end));
                }
            });
            let mut plain = Vec::new();
            for &i in &anchored {
                matcher.confirm(hay, (i as u32, 0, hay.len()), &mut Caches::default(), &mut |m| {
                    plain.push((m.rule, m.secret_start, m.secret_end))
                });
            }
            got.sort_unstable();
            got.dedup();
            plain.sort_unstable();
            assert_eq!(got, plain, "{text}");
            found += got.len();
        }
        assert!(found > 100, "{found}");
    }

    /// A rule's gate only skips keyword hits where its regex would find nothing: on every
    /// example and negative example of the gated rules and on near misses, a scan finds
    /// what the regex alone finds across the whole text.
    #[test]
    fn gates_lose_nothing() {
        let rules = Arc::new(RuleSet::load(true, &[] as &[&str]).expect("builtin rules"));
        let matcher = Matcher::new(rules.clone()).expect("matcher");
        let gated: Vec<usize> =
            (0..rules.rules.len()).filter(|&i| rules.rules[i].source.gate.is_some()).collect();
        assert!(gated.len() >= 5, "{}", gated.len());
        let mut texts: Vec<String> = [
            "see https://curl.se/docs/ and ftp://user:Zq8-w0rd-Lm3@files.example.com/x",
            "Server=db;Password = Xk2-pLm9!qRz;PasswordPolicy=strict",
            "curl --user=deploy:Zq8-w0rd-Lm3 -u x https://example.com",
            "the password is set; db_password_file => \"Tr0ub4dor-x9q\"",
            "<add key=\"ApiPassword\"   value=\"Tr0ub4dor-x9q\"/> var password string = \"Tr0ub4dor-x9q\"",
        ]
        .map(String::from)
        .to_vec();
        for &i in &gated {
            texts.extend(rules.rules[i].source.examples.iter().cloned());
            texts.extend(rules.rules[i].source.negative_examples.iter().cloned());
        }
        let mut found = 0;
        for text in &texts {
            let hay = text.as_bytes();
            let mut got = Vec::new();
            matcher.scan(hay, &mut Scratch::default(), |m| {
                if rules.rules[m.rule].source.gate.is_some() {
                    got.push((m.rule, m.secret_start, m.secret_end));
                }
            });
            let mut plain = Vec::new();
            for &i in &gated {
                matcher.confirm(hay, (i as u32, 0, hay.len()), &mut Caches::default(), &mut |m| {
                    plain.push((m.rule, m.secret_start, m.secret_end))
                });
            }
            got.sort_unstable();
            got.dedup();
            plain.sort_unstable();
            assert_eq!(got, plain, "{text}");
            found += got.len();
        }
        assert!(found > 20, "{found}");
    }
}
