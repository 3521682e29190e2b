//! `sprawl sweep` over generated repositories: incremental runs, new and closed findings,
//! resumption after a failure, the lock, and shards.
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{git, run_in, Run};

fn commit(repo: &Path, files: &[(&str, &str)], msg: &str) {
    for (rel, text) in files {
        let path = repo.join(rel);
        fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", msg, "--allow-empty"]);
}

fn new_repo(root: &Path, name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let repo = root.join(name);
    fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q"]);
    commit(&repo, files, "init");
    repo
}

fn lines(run: &Run, kind: &str) -> Vec<Value> {
    run.findings().into_iter().filter(|l| l["type"] == kind).collect()
}

fn summary<'a>(sums: &'a [Value], repo: &str) -> &'a Value {
    sums.iter()
        .find(|s| s["repo"].as_str().is_some_and(|r| r.ends_with(repo)))
        .unwrap_or_else(|| panic!("no summary for {repo}"))
}

#[test]
fn incremental_sweeps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repos = dir.path().join("repos");
    let a = new_repo(&repos, "alpha", &[("app.env", "DB_PASSWORD=Alph4-Sw33p-Pw\n"), ("README", "a\n")]);
    new_repo(&repos, "beta", &[("x.txt", "nothing here\n")]);
    let c = new_repo(&repos, "gamma", &[("svc/token.env", "API_TOKEN=G4mma-Sw33p-T0ken-X9\n")]);
    let sweep = |extra: &[&str]| {
        let mut args = vec!["sweep", "repos", "--state", "state", "--format", "jsonl"];
        args.extend_from_slice(extra);
        run_in(dir.path(), &args)
    };

    // First sweep: everything is new.
    let first = sweep(&[]);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let found = lines(&first, "finding");
    let mut got: Vec<(String, String)> = found
        .iter()
        .map(|f| {
            (
                f["repo"].as_str().expect("repo").rsplit('/').next().unwrap_or("").to_string(),
                f["status"].as_str().expect("status").to_string(),
            )
        })
        .collect();
    got.sort(); // repositories are written as they finish
    assert_eq!(got, [("alpha".to_string(), "new".to_string()), ("gamma".to_string(), "new".to_string())]);
    assert_eq!(lines(&first, "summary").len(), 3);

    // Nothing changed: nothing is read, and --only-new reports nothing.
    let unchanged = sweep(&["--only-new"]);
    assert_eq!(unchanged.code, 0, "{}", unchanged.stdout);
    let sums = lines(&unchanged, "summary");
    assert!(sums.iter().all(|s| s["unchanged"] == true && s["blobs_scanned"] == 0), "{sums:?}");

    // One new commit in alpha with one new secret: only its new blob is read.
    commit(&a, &[("deploy/ci.env", "DEPLOY_PASSWORD=N3w-C0mmit-Pw-7\n")], "ci");
    let second = sweep(&["--only-new"]);
    let new: Vec<String> = lines(&second, "finding")
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["location"]["path"].as_str().expect("path"),
                f["status"].as_str().expect("status")
            )
        })
        .collect();
    assert_eq!(new, ["deploy/ci.env new"]);
    let sums = lines(&second, "summary");
    assert_eq!(summary(&sums, "alpha")["blobs_scanned"], 1, "{sums:?}");
    assert_eq!(summary(&sums, "alpha")["findings_open"], 2);
    assert_eq!(summary(&sums, "gamma")["unchanged"], true);

    // gamma's secret leaves every ref (history rewritten): it is closed.
    git(&c, &["checkout", "-q", "--orphan", "fresh"]);
    git(&c, &["rm", "-rq", "--cached", "."]);
    fs::remove_dir_all(c.join("svc")).expect("rm");
    commit(&c, &[("clean.txt", "ok\n")], "fresh start");
    git(&c, &["branch", "-D", "main"]);
    git(&c, &["reflog", "expire", "--expire=now", "--all"]);
    let third = sweep(&["--only-new"]);
    let closed = lines(&third, "finding");
    assert_eq!(closed.len(), 1, "{}", third.stdout);
    assert_eq!(
        (closed[0]["status"].as_str(), closed[0]["location"]["path"].as_str()),
        (Some("closed"), Some("svc/token.env"))
    );
    assert_eq!(summary(&lines(&third, "summary"), "gamma")["findings_closed"], 1);

    // The inventory works across repositories.
    let inventory = run_in(dir.path(), &["sweep", "repos", "--format", "inventory"]);
    let rows: Vec<Value> = serde_json::from_str(&inventory.stdout).expect("inventory JSON");
    assert_eq!(rows.len(), 2, "{}", inventory.stdout);
    assert!(rows.iter().all(|r| r["locations"][0].as_str().expect("location").contains("alpha:")));
    // Gathered from the repositories through a spill: a budget of one byte gives the same
    // inventory and HTML page as holding them.
    let tmp = tempfile::tempdir().expect("tempdir");
    for format in ["inventory", "html"] {
        let args = ["sweep", "repos", "--format", format];
        let held = run_in(dir.path(), &args);
        let spilled = crate::common::with_budget(dir.path(), tmp.path(), Some("1")).args(args).output();
        let spilled = Run::from(spilled.expect("sprawl runs"));
        assert_eq!(spilled.code, held.code, "{format}: {}", spilled.stderr);
        assert!(spilled.stdout == held.stdout && !held.stdout.is_empty(), "{format}: spilled output differs");
    }
}

#[test]
fn failures_are_reported_and_the_sweep_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    new_repo(d, "good", &[("app.env", "DB_PASSWORD=G00d-R3po-Pw-1\n")]);
    fs::create_dir_all(d.join("broken")).expect("mkdir");
    fs::write(d.join("list.txt"), "# repositories\ngood\nbroken   # not a repository\nmissing\n")
        .expect("write");

    // A lock left by a process that is gone is taken over.
    fs::create_dir_all(d.join("state")).expect("mkdir");
    fs::write(d.join("state/lock"), "999999999\n").expect("write");
    let run = run_in(d, &["sweep", "list.txt", "--state", "state"]);
    assert_eq!(run.code, 2, "a failed repository fails the sweep: {}", run.stderr);
    let sums = lines(&run, "summary");
    assert_eq!(sums.len(), 3);
    assert!(summary(&sums, "broken")["error"].as_str().is_some_and(|e| e.contains("not a git repository")));
    assert!(summary(&sums, "missing")["error"].is_string());
    assert_eq!(summary(&sums, "good")["findings_new"], 1);
    assert!(run.stderr.contains("taking over the lock"), "{}", run.stderr);

    // The next run resumes: the good repository is not read again.
    fs::write(d.join("list.txt"), "good\n").expect("write");
    let again = run_in(d, &["sweep", "list.txt", "--state", "state", "--only-new"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(summary(&lines(&again, "summary"), "good")["unchanged"], true);

    // A live lock (held by this test process) is refused.
    let held = fs::OpenOptions::new().write(true).open(d.join("state/lock")).expect("lock file");
    held.try_lock().expect("nobody else holds it");
    let refused = run_in(d, &["sweep", "list.txt", "--state", "state"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("in use by another sweep"), "{}", refused.stderr);
}

#[test]
fn shards_partition_the_targets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repos = dir.path().join("repos");
    for i in 0..7 {
        new_repo(&repos, &format!("r{i}"), &[("f.txt", "x\n")]);
    }
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for shard in ["1/3", "2/3", "3/3"] {
        let run = run_in(dir.path(), &["sweep", "repos", "--shard", shard]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        for s in lines(&run, "summary") {
            total += 1;
            seen.insert(s["repo"].as_str().expect("repo").to_string());
        }
    }
    assert_eq!((total, seen.len()), (7, 7), "each repository in exactly one shard: {seen:?}");
}

/// A sweep goes through the same pipeline as `sprawl git`: each repository's CI model is
/// built from its HEAD tree, so its findings carry their egress paths and its CI secrets
/// reaching a sink are findings of their own.
#[test]
fn sweep_reports_egress_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workflow = "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo \"$DEPLOY_BOT_TOKEN\"\n        env:\n          DEPLOY_BOT_TOKEN: ${{ secrets.DEPLOY_BOT_TOKEN }}\n";
    new_repo(
        &dir.path().join("repos"),
        "ci",
        &[
            ("config/.env", "DEPLOY_BOT_TOKEN=Sw33p-Egr3ss-T0ken-Q7\n"),
            (".github/workflows/ci.yml", workflow),
        ],
    );
    let run = run_in(dir.path(), &["sweep", "repos", "--format", "jsonl"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = lines(&run, "finding");
    let secret = found.iter().find(|f| f["location"]["path"] == "config/.env").expect("the .env finding");
    let sinks: Vec<&str> = secret["egress"]
        .as_array()
        .expect("egress paths")
        .iter()
        .filter_map(|e| e["sink"].as_str())
        .collect();
    assert_eq!(sinks, ["log-print"], "{secret}");
    assert_eq!(secret["identity"]["owners"][1]["source"], "variable-name", "{secret}");
    assert!(found.iter().any(|f| f["rule"] == "egress.log-print" && f["kind"] == "ci-egress"), "{found:?}");
}

/// `--baseline` applies to sweeps: only findings not in the baseline are reported.
#[test]
fn sweep_honours_the_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = new_repo(&dir.path().join("repos"), "app", &[("old.env", "DB_PASSWORD=Old-Sw33p-Pw-K4\n")]);
    let baseline = run_in(&repo, &["baseline", "create", "."]);
    assert_eq!(baseline.code, 0, "{}", baseline.stderr);
    fs::write(dir.path().join("known.baseline"), &baseline.stdout).expect("write baseline");
    commit(&repo, &[("new.env", "DB_PASSWORD=New-Sw33p-Pw-K5\n")], "add");
    let run = run_in(dir.path(), &["sweep", "repos", "--format", "jsonl", "--baseline", "known.baseline"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = lines(&run, "finding");
    let paths: Vec<&str> = found.iter().filter_map(|f| f["location"]["path"].as_str()).collect();
    assert_eq!(paths, ["new.env"]);
}

/// A repository's state is recorded only once its findings are written: when the output
/// cannot be written, the next `--only-new` sweep reports them again.
#[test]
fn state_is_recorded_only_after_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repos = dir.path().join("repos");
    new_repo(&repos, "alpha", &[("app.env", "DB_PASSWORD=Alph4-Str34m-Pw\n")]);
    new_repo(&repos, "beta", &[("svc.env", "API_TOKEN=B3ta-Str34m-T0ken-X9\n")]);
    let full = fs::File::create("/dev/full").expect("/dev/full");
    let failed = crate::common::sprawl()
        .current_dir(dir.path())
        .args(["sweep", "repos", "--state", "state", "--format", "jsonl"])
        .stdout(full)
        .output()
        .expect("sprawl runs");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("its state is not recorded"), "{stderr}");

    let again =
        run_in(dir.path(), &["sweep", "repos", "--state", "state", "--format", "jsonl", "--only-new"]);
    let new: Vec<Value> = lines(&again, "finding").into_iter().filter(|f| f["status"] == "new").collect();
    assert_eq!(new.len(), 2, "{}", again.stdout);
}

/// A sweep killed after its first repository has written that repository's findings; what
/// its state did not record is new on the next `--only-new` sweep: nothing is lost.
#[test]
fn a_killed_sweep_loses_nothing() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("tempdir");
    let repos = dir.path().join("repos");
    for i in 0..24 {
        let env = format!("DB_PASSWORD=K1ll-Sw33p-Pw-{i}x\nAPI_TOKEN=K1ll-T0ken-{i}-Zq8w\n");
        new_repo(&repos, &format!("r{i}"), &[("app.env", &env)]);
    }
    let mut child = crate::common::sprawl()
        .current_dir(dir.path())
        .args(["sweep", "repos", "--state", "state", "--format", "jsonl", "-j1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("sprawl starts");
    // Kill it after the first repository's summary, then read whatever it wrote before it
    // died: a finding written is a finding reported.
    let mut seen = BTreeSet::new();
    let mut killed = false;
    let out = std::io::BufReader::new(child.stdout.take().expect("piped"));
    for line in out.lines().map_while(Result::ok) {
        let Ok(v) = serde_json::from_str::<Value>(&line) else { continue }; // cut by the kill
        if v["type"] == "summary" && !killed {
            child.kill().expect("kill");
            killed = true;
        }
        if v["type"] == "finding" {
            seen.insert(v["secret"]["fingerprint"].as_str().expect("fingerprint").to_string());
        }
    }
    child.wait().expect("reaped");
    assert!(seen.len() >= 2 && seen.len() < 48, "killed part-way: {} findings written", seen.len());

    let rest = run_in(dir.path(), &["sweep", "repos", "--state", "state", "--format", "jsonl", "--only-new"]);
    let new: BTreeSet<String> = lines(&rest, "finding")
        .iter()
        .filter(|f| f["status"] == "new")
        .map(|f| f["secret"]["fingerprint"].as_str().expect("fingerprint").to_string())
        .collect();
    let all: BTreeSet<String> = seen.union(&new).cloned().collect();
    assert_eq!(all.len(), 48, "every finding was reported by one of the two sweeps");
}

/// A state file made unusable in `name`'s way, from the sound `good`: its sections are found
/// from the layout (magic line, header length and header, scanned ids, hit ids, open lines,
/// trailer of two id counts and a 32-byte digest).
fn damage(good: &[u8], name: &str) -> Vec<u8> {
    let n = |at: usize| {
        usize::try_from(u64::from_le_bytes(good[at..at + 8].try_into().expect("8 bytes"))).expect("fits")
    };
    let magic = b"sprawl-sweep-state-v3\n".len();
    let header = magic + 8 + n(magic);
    let body = good.len() - 48;
    let scanned = header + 20 * n(body);
    let hits = scanned + 20 * n(body + 8);
    assert!(n(body) >= 2 && n(body + 8) >= 2 && hits < body, "a state with ids and open findings");
    let cut = |at: usize| good[..at].to_vec();
    let flip = |at: usize| {
        let mut v = good.to_vec();
        v[at] ^= 1;
        v
    };
    let opens: Vec<&[u8]> = good[hits..body].split_inclusive(|b| *b == b'\n').collect();
    let with_opens = |lines: &[&[u8]]| [&good[..hits], &lines.concat(), &good[body..]].concat();
    let key = hits + memchr_at(&good[hits..], b"\"key\":\"") + 7;
    match name {
        "cut in the header length" => cut(magic + 4),
        "cut in the header" => cut(header - 3),
        "cut in the scanned ids" => cut(header + 30),
        "cut in the hit ids" => cut(scanned + 5),
        "cut in an open line" => cut(hits + 20),
        "cut before the last newline" => cut(body - 1),
        "cut in the counts" => cut(body + 10),
        "cut in the digest" => cut(good.len() - 1),
        "flipped scanned id" => flip(header + 19),
        "flipped hit id" => flip(scanned + 39),
        "flipped key letter" => flip(key),
        "swapped open lines" => with_opens(&[opens[1], opens[0], &opens[2..].concat()]),
        "duplicated open line" => with_opens(&[opens[0], &opens.concat()]),
        "50 MB line" => with_opens(&[&vec![b'a'; 50 << 20], b"\n", &opens.concat()]),
        other => panic!("no damage named {other}"),
    }
}

fn memchr_at(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).expect("present")
}

/// A state file is untrusted input: however it was damaged, the sweep warns naming the
/// repository and the file (never a secret), scans that repository from scratch with the
/// counts of a sweep without state, and records a sound state that the next sweep uses. The
/// same with refs unchanged since the state (the fast path) and moved.
#[test]
fn a_damaged_state_is_a_warning_and_a_fresh_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let secrets = ["D4mag3d-St4te-Pw-1x", "D4mag3d-T0ken-Zq8w-2", "D4mag3d-Depl0y-Pw-3y"];
    let repo = new_repo(
        &d.join("repos"),
        "app",
        &[
            ("a.env", &format!("DB_PASSWORD={}\n", secrets[0])),
            ("b/b.env", &format!("API_TOKEN={}\n", secrets[1])),
            ("c.env", &format!("DEPLOY_PASSWORD={}\n", secrets[2])),
            ("README", "app\n"),
        ],
    );
    let sweep = |state: &Path| {
        let state = state.to_str().expect("utf-8");
        run_in(d, &["sweep", "repos", "--state", state, "--format", "jsonl", "--only-new"])
    };
    let counts = |run: &Run| {
        let sums = lines(run, "summary");
        assert_eq!(sums.len(), 1, "{}", run.stdout);
        ["unchanged", "blobs_scanned", "findings_new", "findings_open", "findings_closed", "error"]
            .map(|k| sums[0][k].clone())
    };
    let state = d.join("state");
    let first = sweep(&state);
    assert_eq!(counts(&first)[2], 3, "{}", first.stdout);
    let file =
        fs::read_dir(state.join("repos")).expect("state").next().expect("one state").expect("entry").path();
    let good = fs::read(&file).expect("state file");
    let damages = [
        "cut in the header length",
        "cut in the header",
        "cut in the scanned ids",
        "cut in the hit ids",
        "cut in an open line",
        "cut before the last newline",
        "cut in the counts",
        "cut in the digest",
        "flipped scanned id",
        "flipped hit id",
        "flipped key letter",
        "swapped open lines",
        "duplicated open line",
        "50 MB line",
    ];
    for moved in [false, true] {
        if moved {
            commit(&repo, &[("d.txt", "nothing\n")], "more");
        }
        let fresh = tempfile::tempdir().expect("tempdir");
        let without = sweep(fresh.path());
        for name in damages {
            fs::write(&file, damage(&good, name)).expect("damage");
            let run = sweep(&state);
            let what = format!("{name} (refs moved: {moved})");
            assert_eq!((run.code, counts(&run)), (without.code, counts(&without)), "{what}: {}", run.stderr);
            let warning: Vec<&str> =
                run.stderr.lines().filter(|l| l.contains("scanning from scratch")).collect();
            assert_eq!(warning.len(), 1, "{what}: {}", run.stderr);
            assert!(
                warning[0].contains("app") && warning[0].contains(&file.display().to_string()),
                "{what}: {}",
                warning[0]
            );
            assert!(
                warning[0].len() < 400 && !secrets.iter().any(|s| run.stderr.contains(s)),
                "{what}: {}",
                warning[0]
            );
            let next = sweep(&state);
            assert_eq!(next.code, 0, "{what}: {}", next.stderr);
            assert!(
                !next.stderr.contains("damaged") && lines(&next, "finding").is_empty(),
                "{what}: {}",
                next.stderr
            );
            assert_eq!(counts(&next)[..3], [Value::from(true), 0.into(), 0.into()], "{what}");
            assert_eq!(counts(&next)[3], counts(&without)[3], "{what}");
        }
    }
}
