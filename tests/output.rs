//! Output a person reads and errors that come before the work: exit code 2 before any
//! scanning for a bad revision, an unwritable `-o` or an option the subcommand does not
//! honour; human output worst first with a summary; unreachable objects off by default.
use std::fs;
use std::path::Path;

use crate::common::{git, run_in, Run};

/// Two rules of our own, critical and low, so the order of severities is known.
const RULES: &str = r#"
[[rule]]
id = "test.low"
name = "Test low"
provider = "testlow"
keywords = ["lowtok_"]
regex = '''lowtok_(?P<secret>[a-z0-9]{12})'''
severity = "low"
examples = ["lowtok_ab12cd34ef56"]

[[rule]]
id = "test.critical"
name = "Test critical"
provider = "testcrit"
keywords = ["crittok_"]
regex = '''crittok_(?P<secret>[a-z0-9]{12})'''
severity = "critical"
examples = ["crittok_ab12cd34ef56"]
"#;

/// A work tree with the two rules in `rules.toml` (outside the scanned `src/`), a low
/// finding in `src/a.txt` and a critical one in `src/z.txt`, committed.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    fs::write(d.join("rules.toml"), RULES).expect("write rules");
    fs::create_dir(d.join("src")).expect("mkdir");
    fs::write(d.join("src/a.txt"), "first = lowtok_q1w2e3r4t5y6\nsecond = lowtok_p0o9i8u7y6t5\n")
        .expect("write");
    fs::write(d.join("src/z.txt"), "last = crittok_m9n8b7v6c5x4\n").expect("write");
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "init"]);
    dir
}

fn scan(d: &Path, args: &[&str]) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--no-builtin-rules", "--rules", "rules.toml"]);
    run_in(d, &all)
}

/// No scan ran: no summary line, nothing on standard output.
fn failed_early(run: &Run, what: &str) {
    assert_eq!(run.code, 2, "{what}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
    assert!(!run.stderr.contains("findings in"), "{what} scanned first: {}", run.stderr);
}

/// Issue 17: a typo in `--branch` used to scan every ref and exit 1.
#[test]
fn unknown_revisions_fail_before_scanning() {
    let dir = tree();
    let d = dir.path();
    for (args, named) in [
        (&["git", "--branch", "mian"][..], "mian"),
        (&["git", "--range", "main..nope"][..], "nope"),
        (&["git", "--range", "nope..HEAD"][..], "nope"),
        (&["git", "--range", "HEAD"][..], "BASE..HEAD"),
    ] {
        let run = scan(d, args);
        failed_early(&run, &format!("{args:?}"));
        assert!(run.stderr.contains(named), "{args:?}: {}", run.stderr);
    }
    assert_eq!(scan(d, &["git", "--branch", "main", "--format", "jsonl"]).code, 1);
}

/// `-o` is opened before the scan: a missing folder or a directory fails at once.
#[test]
fn unwritable_output_fails_before_scanning() {
    let dir = tree();
    let d = dir.path();
    for command in ["dir", "git"] {
        let run = scan(d, &[command, "-o", "missing/out.json"]);
        failed_early(&run, command);
        assert!(run.stderr.contains("cannot write missing/out.json"), "{}", run.stderr);
        failed_early(&scan(d, &[command, "-o", "src"]), "-o a directory");
    }
    let run = run_in(d, &["baseline", "create", "-o", "missing/base"]);
    failed_early(&run, "baseline create");
    let run = run_in(d, &["sweep", "src", "-o", "missing/out.jsonl"]);
    failed_early(&run, "sweep");
}

/// Each subcommand offers only the options it honours.
#[test]
fn subcommands_offer_only_what_they_honour() {
    let d = Path::new(".");
    for args in [
        &["baseline", "create", "--format", "sarif"][..],
        &["baseline", "create", "--color", "always"],
        &["baseline", "create", "--show-suppressed"],
        &["baseline", "create", "--files", "--branch", "main"],
        &["sweep", "x", "--format", "sarif"],
        &["sweep", "x", "--format", "human"],
        &["sweep", "x", "--show-suppressed"],
        &["git", "--unreachable", "--branch", "main"],
    ] {
        let run = run_in(d, args);
        assert_eq!(run.code, 2, "{args:?} is accepted");
        assert!(run.stderr.contains("error:"), "{args:?}: {}", run.stderr);
    }
    let help = run_in(d, &["baseline", "create", "--help"]).stdout;
    for absent in ["--format", "--color", "--show-suppressed", "--no-redact", "--baseline "] {
        assert!(!help.contains(absent), "baseline create --help lists {absent}:\n{help}");
    }
    assert!(help.contains("--files") && help.contains("--output"), "{help}");
    let help = run_in(d, &["sweep", "--help"]).stdout;
    assert!(help.contains("jsonl") && help.contains("inventory") && !help.contains("sarif"), "{help}");
    assert!(!help.contains("--color"), "{help}");
}

/// Outside a git repository, `baseline create` says how to baseline files instead.
#[test]
fn baseline_outside_git_suggests_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = run_in(dir.path(), &["baseline", "create"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not a git repository"), "{}", run.stderr);
    assert!(run.stderr.contains("baseline create --files"), "{}", run.stderr);
    let files = run_in(dir.path(), &["baseline", "create", "--files"]);
    assert_eq!(files.code, 0, "{}", files.stderr);
}

/// Critical findings come first whatever their path, and a summary by severity and identity
/// (worst first) ends the report.
#[test]
fn human_output_is_worst_first_with_a_summary() {
    let dir = tree();
    let run = scan(dir.path(), &["dir", "src", "--format", "human", "--color", "never"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("src/z.txt:1:") && lines[0].contains("critical"), "{}", run.stdout);
    assert!(lines[1].starts_with("src/a.txt:1:") && lines[1].contains("low"), "{}", run.stdout);
    assert!(lines[2].starts_with("src/a.txt:2:"), "{}", run.stdout);
    let summary = &lines[3..];
    assert_eq!(summary[0], "", "a blank line before the summary");
    assert_eq!(summary[1], "3 findings: 1 critical, 2 low");
    assert_eq!(summary[2], "3 identities, worst first:");
    assert!(
        summary[3].trim_start().starts_with("critical") && summary[3].contains("testcrit:"),
        "{summary:?}"
    );
    assert!(summary[4].trim_start().starts_with("low") && summary[4].contains("testlow:"), "{summary:?}");
    assert_eq!(summary.len(), 6, "{summary:?}");

    // Suppressed findings listed with --show-suppressed say so, and are not counted.
    fs::write(dir.path().join("src/a.txt"), "first = lowtok_q1w2e3r4t5y6 # sprawl:allow\n").expect("write");
    let shown =
        scan(dir.path(), &["dir", "src", "--format", "human", "--color", "never", "--show-suppressed"]);
    assert!(shown.stdout.contains("[suppressed: inline sprawl:allow]"), "{}", shown.stdout);
    assert!(
        shown.stdout.contains("\n1 finding: 1 critical (and 1 suppressed, listed above)\n"),
        "{}",
        shown.stdout
    );

    // Nothing found: no summary, nothing on standard output.
    fs::write(dir.path().join("clean.txt"), "nothing here\n").expect("write");
    let clean = scan(dir.path(), &["dir", "clean.txt", "--format", "human"]);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""), "{}", clean.stderr);
}

/// Unreachable objects are reported only with `--unreachable`, in every format, and their
/// location is a label, never a bare blob id.
#[test]
fn unreachable_objects_are_off_by_default() {
    let dir = tree();
    let d = dir.path();
    fs::write(d.join("dangling.txt"), "crittok_z1x2c3v4b5n6\n").expect("write");
    let blob = git(d, &["hash-object", "-w", "dangling.txt"]);
    fs::remove_file(d.join("dangling.txt")).expect("rm");
    for format in ["jsonl", "json", "sarif", "human", "inventory"] {
        let run = scan(d, &["git", "--format", format, "--color", "never"]);
        assert!(!run.stdout.contains(&blob[..12]), "{format} reports the unreachable blob by default");
        assert!(!run.stdout.contains("<unreachable"), "{format}: {}", run.stdout);
        let on = scan(d, &["git", "--format", format, "--color", "never", "--unreachable"]);
        assert!(on.stdout.contains(&blob[..12]), "{format} --unreachable: {}", on.stdout);
    }
    let on = scan(d, &["git", "--format", "jsonl", "--unreachable"]);
    let found = on.findings();
    let dangling: Vec<_> = found.iter().filter(|f| f["git"]["unreachable"] == true).collect();
    assert_eq!(dangling.len(), 1, "{}", on.stdout);
    assert_eq!(dangling[0]["location"]["path"], format!("<unreachable blob {}>", &blob[..12]));
    assert_eq!(dangling[0]["git"]["blob"], blob.as_str());
    let human = scan(d, &["git", "--format", "human", "--color", "never", "--unreachable"]);
    assert!(
        human.stdout.lines().next().is_some_and(|l| l.starts_with("<unreachable blob ")),
        "{}",
        human.stdout
    );
}

/// Run sprawl in `dir` on a pseudo-terminal `columns` wide.
fn on_terminal(dir: &Path, args: &[&str], columns: usize) -> String {
    let mut cmd = crate::common::sprawl();
    cmd.args(args).current_dir(dir);
    crate::common::on_terminal(&cmd, columns)
}

/// The inventory table fits 80 and 120 columns, each row says where its identity was found,
/// and `--wide` shows every column in full.
#[test]
fn inventory_fits_the_terminal_and_shows_locations() {
    let dir = tree();
    let d = dir.path();
    fs::write(d.join("CODEOWNERS"), "* @example/platform-security-team\n").expect("write");
    let deep = "services/payments/deployment/config/production";
    fs::create_dir_all(d.join(deep)).expect("mkdir");
    for (i, tail) in ["a1b2c3d4e5f6", "g7h8i9j0k1l2", "m3n4o5p6q7r8"].iter().enumerate() {
        fs::write(d.join(format!("{deep}/secrets-{i}.env")), format!("KEY = crittok_{tail}\n"))
            .expect("write");
    }
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "more"]);
    let args = ["git", "--format", "inventory", "-q", "--no-builtin-rules", "--rules", "rules.toml"];
    let rows = |out: &str| out.lines().skip(1).filter(|l| !l.is_empty()).count();
    let mut counts = Vec::new();
    for columns in [80, 120] {
        let out = on_terminal(d, &args, columns);
        let header = out.lines().next().unwrap_or_default();
        assert!(header.contains("IDENTITY") && header.contains("LOCATION"), "{columns}: {out}");
        for line in out.lines() {
            assert!(
                line.chars().count() <= columns,
                "{columns} columns, {} wide: {line}",
                line.chars().count()
            );
        }
        // The last column is the location (no egress here): `path:line`, shortened from the left.
        for line in out.lines().skip(1).filter(|l| !l.is_empty()) {
            let location = line.rsplit("  ").next().unwrap_or_default();
            let line_number = location.rsplit_once(':').map(|(_, n)| n);
            assert!(line_number.is_some_and(|n| n.parse::<u64>().is_ok()), "{columns}: no location: {line}");
        }
        counts.push(rows(&out));
    }
    let wide = on_terminal(d, &[&args[..], &["--wide"]].concat(), 80);
    assert!(wide.lines().any(|l| l.chars().count() > 120), "{wide}");
    assert!(wide.contains(&format!("{deep}/secrets-0.env:1")), "{wide}");
    assert!(wide.contains("@example/platform-security-team"), "{wide}");
    counts.push(rows(&wide));
    assert_eq!(counts, [8, 8, 8], "two examples in rules.toml, two lows, four criticals");
}

/// Long scans show a spinner on a terminal; never when standard error is not one, or
/// with `-q`.
#[test]
fn progress_only_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // About 25 MB: seconds in the tests' debug build, well over the spinner's half-second delay.
    let line = "alpha beta gamma delta config value and some more words to read\n";
    fs::write(d.join("big.txt"), line.repeat(400_000)).expect("write");
    let piped = run_in(d, &["dir", "big.txt", "--format", "jsonl"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(!piped.stderr.contains('\r') && !piped.stderr.contains("scanned ("), "{:?}", piped.stderr);
    assert!(piped.stderr.starts_with("sprawl: 0 findings in 1 file"), "{}", piped.stderr);
    let shown = on_terminal(d, &["dir", "big.txt", "--format", "jsonl"], 80);
    assert!(shown.contains("scanned ("), "no progress on a terminal: {shown:?}");
    let quiet = on_terminal(d, &["dir", "big.txt", "--format", "jsonl", "-q"], 80);
    assert_eq!(quiet, "", "-q: {quiet:?}");
}
