//! Providers' own service hosts, from the rules' `hosts` lists: where sending a provider's
//! credential is its intended use rather than egress (a GitLab token to `gitlab.com`), and
//! which provider a CI secret's name points at (`GITLAB_API_TOKEN` → `gitlab`).
use std::collections::BTreeMap;

use super::RuleSet;

/// Provider name → its hosts. A host covers itself and its subdomains.
#[derive(Debug, Clone, Default)]
pub struct ProviderHosts {
    by_provider: BTreeMap<String, Vec<String>>,
}

/// A lower-case host name: letters, digits, `-` and `.`, with a dot, no scheme or port.
pub(super) fn valid(host: &str) -> bool {
    host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// `host` is `of` or one of its subdomains.
fn covers(of: &str, host: &str) -> bool {
    host == of || host.strip_suffix(of).is_some_and(|rest| rest.ends_with('.'))
}

impl ProviderHosts {
    pub fn new(rules: &RuleSet) -> Self {
        let mut by_provider: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in rules.rules.iter().filter(|r| !r.hosts.is_empty()) {
            let hosts = by_provider.entry(r.provider.clone()).or_default();
            hosts.extend(r.hosts.iter().cloned());
            hosts.sort();
            hosts.dedup();
        }
        Self { by_provider }
    }

    /// Whether `host` belongs to `provider`.
    pub fn owns(&self, provider: &str, host: &str) -> bool {
        self.by_provider.get(provider).is_some_and(|hs| hs.iter().any(|h| covers(h, host)))
    }

    /// Whether `host` belongs to any provider the rules know.
    pub fn known(&self, host: &str) -> bool {
        self.by_provider.values().flatten().any(|h| covers(h, host))
    }

    /// The providers a secret's name points at: a `_`-separated word of the upper-cased
    /// name is the provider's name, or starts with it (`NPM_TOKEN` → `npm`,
    /// `DOCKERHUB_PASSWORD` → `docker`).
    pub fn named_in<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let upper = name.to_ascii_uppercase().replace(['-', '.'], "_");
        let words: Vec<String> = upper.split('_').filter(|w| !w.is_empty()).map(str::to_string).collect();
        self.by_provider.keys().map(String::as_str).filter(move |p| {
            let p = p.to_ascii_uppercase().replace('-', "");
            p.len() >= 3 && words.iter().any(|w| *w == p || w.starts_with(&p))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_cover_subdomains_and_names_point_at_providers() {
        let set = RuleSet::load(true, &[] as &[std::path::PathBuf]).expect("builtin rules load");
        let hosts = ProviderHosts::new(&set);
        assert!(hosts.owns("github", "api.github.com"));
        assert!(hosts.owns("gitlab", "gitlab.com"));
        assert!(!hosts.owns("github", "notgithub.com"));
        assert!(hosts.known("hooks.slack.com"));
        assert!(!hosts.known("collector.example.net"));
        assert_eq!(hosts.named_in("GITLAB_API_TOKEN").collect::<Vec<_>>(), ["gitlab"]);
        assert_eq!(hosts.named_in("dockerhub-password").collect::<Vec<_>>(), ["docker"]);
        assert!(hosts.named_in("DEPLOY_TOKEN").next().is_none());
        assert!(valid("push.fury.io") && !valid("https://x.io") && !valid("X.io") && !valid("io"));
    }
}
