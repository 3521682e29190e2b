//! Live validation (`--validate`, off by default): ask each supported provider, once per
//! distinct secret, whether the credential still works and whose it is.
//!
//! Safety is the design: requests go only to hosts built into sprawl (`providers`), over
//! HTTPS with verified certificates (`http`), each a read of the caller's own identity;
//! per-provider concurrency and pacing, retries on 429 and 5xx, a per-request timeout and
//! one time budget for the whole command. The raw secret lives only in memory
//! ([`crate::secret::Raw`]) and never in a message.
mod aws;
mod gcp;
mod http;
pub mod providers;

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::finding::{Finding, Kind, Liveness, Status};
use providers::{Auth, Check, Credential, Judgement};

/// Seconds of `--validate-timeout` when it is not given.
pub const DEFAULT_BUDGET_SECS: u64 = 60;
/// Requests in flight at once, in all.
const WORKERS: usize = 8;
/// Requests in flight at once to one provider.
const PER_PROVIDER: usize = 2;
/// Least time between two requests to one provider.
const SPACING: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Time for all requests of the command; what is not asked by then is `unknown`.
    pub budget: Duration,
}

/// What a provider said of one credential.
#[derive(Debug, Clone)]
struct Outcome {
    liveness: Liveness,
    facts: Vec<(String, String)>,
}

/// One distinct credential to ask about.
struct Job {
    check: &'static Check,
    secret: String,
    pair: Option<String>,
    /// The account the credential's file names (a service account's `client_email`).
    account: Option<String>,
}

/// Dedup key of a credential: its fingerprint and, for two-part credentials, the other part.
type Key = (String, Option<String>);

pub struct Validator {
    client: http::Client,
    budget: Duration,
    /// Set by the first `validate`: the budget covers validation, not the scan before it.
    deadline: OnceLock<Instant>,
    /// Answers for the whole command, so a sweep asks about a secret once.
    answers: Mutex<HashMap<Key, Outcome>>,
}

impl Validator {
    pub fn new(settings: Settings) -> anyhow::Result<Self> {
        Ok(Self {
            client: http::Client::from_env()?,
            budget: settings.budget,
            deadline: OnceLock::new(),
            answers: Mutex::new(HashMap::new()),
        })
    }

    /// Ask about every reported secret of a supported provider (suppressed findings are not
    /// asked about) and attach the answers: the finding's `secret.liveness` and the live facts
    /// in its identity. The other part of a two-part credential (an AWS key id) gets the
    /// answer of the pair.
    pub fn validate(&self, findings: &mut [Finding]) {
        let deadline = *self.deadline.get_or_init(|| Instant::now() + self.budget);
        // One call at a time: the repositories of a sweep share the answers (a secret held
        // by two is asked about once) and the limits on requests in flight.
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        let mut jobs: Vec<(Key, Job)> = Vec::new();
        for f in findings.iter() {
            let Some((key, job)) = job_of(f) else { continue };
            if !answers.contains_key(&key) && !jobs.iter().any(|(k, _)| *k == key) {
                jobs.push((key, job));
            }
        }
        answers.extend(run(&self.client, jobs, deadline));
        let by_pair: HashMap<&str, &Outcome> =
            answers.iter().filter_map(|((_, pair), o)| Some((pair.as_deref()?, o))).collect();
        for f in findings.iter_mut() {
            let outcome = match job_of(f) {
                Some((key, _)) => answers.get(&key),
                None => f.secret.raw.as_ref().and_then(|raw| by_pair.get(raw.expose()).copied()),
            };
            if let Some(o) = outcome {
                attach(f, o);
            }
        }
    }
}

/// The credential a finding asks about, if it is a reported secret of a supported provider.
fn job_of(f: &Finding) -> Option<(Key, Job)> {
    if f.kind != Kind::Secret || f.suppressed.is_some() {
        return None;
    }
    let check = providers::for_rule(&f.rule)?;
    let secret = f.secret.raw.as_ref()?.expose().to_string();
    let pair = f.paired_with.as_ref().and_then(|p| p.raw.as_ref()).map(|r| r.expose().to_string());
    let account = f.identity.as_ref().and_then(|i| i.fields.get("client_email")).cloned();
    Some(((f.secret.fingerprint.clone(), pair.clone()), Job { check, secret, pair, account }))
}

fn attach(f: &mut Finding, o: &Outcome) {
    f.secret.liveness = Some(o.liveness.clone());
    if let Some(identity) = f.identity.as_mut() {
        identity.live.extend(o.facts.iter().cloned());
    }
}

/// Ask about every job, at most `WORKERS` at once and `PER_PROVIDER` per provider, paced,
/// until `deadline`; a job not asked by then is `unknown`.
fn run(client: &http::Client, jobs: Vec<(Key, Job)>, deadline: Instant) -> Vec<(Key, Outcome)> {
    if jobs.is_empty() {
        return Vec::new();
    }
    let gate = Gate::new(jobs);
    let out = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS.min(gate.len()) {
            s.spawn(|| {
                while let Some((key, job, at)) = gate.take() {
                    let outcome = if at >= deadline {
                        outcome(job.check.hosts[0], Judgement::unknown("time budget exhausted".into()))
                    } else {
                        std::thread::sleep(at.saturating_duration_since(Instant::now()));
                        ask(client, &job, deadline)
                    };
                    gate.done(job.check.provider);
                    out.lock().unwrap_or_else(|e| e.into_inner()).push((key, outcome));
                }
            });
        }
    });
    out.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Ask each of the check's hosts in turn until one does not refuse the credential.
fn ask(client: &http::Client, job: &Job, deadline: Instant) -> Outcome {
    let cred = Credential { secret: &job.secret, pair: job.pair.as_deref(), account: job.account.as_deref() };
    if matches!(job.check.auth, Auth::GcpServiceAccount) {
        let host = job.check.hosts[0];
        return outcome(host, gcp::ask(client, host, &cred, unix_now(), deadline));
    }
    let mut last = None;
    for &host in job.check.hosts {
        let judgement = match job.check.request(host, &cred, unix_now()) {
            Err(why) => return outcome(host, Judgement::unknown(why.into())),
            Ok(req) => match client.send(&req, deadline) {
                Ok(answer) => job.check.judge(&answer),
                Err(why) => Judgement::unknown(why),
            },
        };
        if judgement.status != Status::Revoked {
            return outcome(host, judgement);
        }
        last = Some((host, judgement));
    }
    let (host, judgement) = last.expect("every check has a host");
    outcome(host, judgement)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn outcome(host: &str, j: Judgement) -> Outcome {
    Outcome {
        liveness: Liveness {
            status: j.status,
            reason: j.reason,
            checked_at: crate::units::rfc3339_utc(unix_now()),
            host: host.to_string(),
            last_live_at: None,
            revoked_at: None,
        },
        facts: j.facts,
    }
}

/// Hands out jobs so that no provider has more than `PER_PROVIDER` requests in flight or
/// gets two requests closer than `SPACING`.
struct Gate {
    state: Mutex<GateState>,
    freed: Condvar,
}

struct GateState {
    queue: VecDeque<(Key, Job)>,
    busy: HashMap<&'static str, usize>,
    next: HashMap<&'static str, Instant>,
}

impl Gate {
    fn new(jobs: Vec<(Key, Job)>) -> Self {
        let state = GateState { queue: jobs.into(), busy: HashMap::new(), next: HashMap::new() };
        Self { state: Mutex::new(state), freed: Condvar::new() }
    }

    fn len(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).queue.len()
    }

    /// The next job whose provider has room, and when it may start; `None` when all are
    /// handed out.
    fn take(&self) -> Option<(Key, Job, Instant)> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if st.queue.is_empty() {
                return None;
            }
            let free = st
                .queue
                .iter()
                .position(|(_, j)| st.busy.get(j.check.provider).copied().unwrap_or(0) < PER_PROVIDER);
            if let Some(i) = free {
                let (key, job) = st.queue.remove(i).expect("position is in range");
                let provider = job.check.provider;
                *st.busy.entry(provider).or_insert(0) += 1;
                let now = Instant::now();
                let at = st.next.get(provider).copied().filter(|t| *t > now).unwrap_or(now);
                st.next.insert(provider, at + SPACING);
                return Some((key, job, at));
            }
            st = self.freed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn done(&self, provider: &'static str) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = st.busy.get_mut(provider) {
            *n = n.saturating_sub(1);
        }
        self.freed.notify_all();
    }
}
