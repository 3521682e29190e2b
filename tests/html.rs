//! The HTML report rendered in headless Chromium: it loads without a script error or a
//! blocked request, shows the counts the inventory has, filters by severity and provider,
//! escapes what the repository names, and holds no secret.
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{root, run_in, valid_github_token};

/// The DOM after the page's scripts ran, and the console messages (errors, blocked loads).
struct Rendered {
    dom: String,
    console: Vec<String>,
}

/// Render `page` (with an address fragment) in headless Chromium, or `None` when Chromium
/// is missing and the environment does not require it (CI sets SPRAWL_REQUIRE_CHROMIUM=1).
fn render(page: &Path, fragment: &str) -> Option<Rendered> {
    let found = Command::new("chromium").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("SPRAWL_REQUIRE_CHROMIUM").is_none_or(|v| v != "1"),
            "chromium is required (SPRAWL_REQUIRE_CHROMIUM=1) but not installed"
        );
        eprintln!("html: chromium not installed, the HTML report was not rendered");
        return None;
    }
    let profile = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}{fragment}", page.display());
    let out = Command::new("timeout")
        .args(["120", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom", &url])
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE:"))
        .map(str::to_string)
        .collect();
    Some(Rendered { dom: String::from_utf8(out.stdout).expect("UTF-8 DOM"), console })
}

/// The text of the element with this id.
fn text_of(dom: &str, id: &str) -> String {
    let open = format!("id=\"{id}\">");
    let start = dom.find(&open).unwrap_or_else(|| panic!("no #{id} in the DOM")) + open.len();
    dom[start..].split('<').next().unwrap_or_default().to_string()
}

#[test]
fn html_report_renders_in_chromium() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // The egress fixture (identities with CI paths), plus a secret in a file whose name is
    // markup: the page must show it as text.
    let copy = Command::new("cp").arg("-r").arg(root().join("testdata/egress")).arg(d.join("repo")).status();
    assert!(copy.expect("cp runs").success());
    let repo = d.join("repo");
    let token = valid_github_token("html-report-token");
    let evil = "<img src=x onerror=alert(1)>.env";
    fs::write(repo.join(evil), format!("GITHUB_TOKEN={token}\n")).expect("write");
    let scan = ["dir", "repo", "--no-config", "-q"];

    let inventory = run_in(d, &[&scan[..], &["--format", "inventory"]].concat());
    let rows: Vec<Value> = serde_json::from_str(&inventory.stdout).expect("inventory JSON");
    let findings = run_in(d, &[&scan[..], &["--format", "jsonl"]].concat()).findings();
    let with_identity = findings.iter().filter(|f| f.get("identity").is_some()).count();
    let count = |key: &str, value: &str| rows.iter().filter(|r| r[key] == value).count();
    assert!(count("severity", "critical") > 0 && rows.len() > count("severity", "critical"));

    let html = run_in(d, &[&scan[..], &["--format", "html", "-o", "report.html"]].concat());
    assert_eq!(html.code, 1, "{}", html.stderr);
    let page = fs::read_to_string(d.join("report.html")).expect("report written");
    assert!(page.contains("Content-Security-Policy") && page.contains("default-src 'none'"));
    assert!(!page.contains("<img") && page.contains("&lt;img src=x onerror=alert(1)&gt;.env"));
    assert!(!page.contains(&token) && !page.contains(&token[..10]), "a secret is in the page");
    for f in findings.iter().filter(|f| f["kind"] == "secret") {
        let redacted = f["secret"]["redacted"].as_str().expect("redacted");
        assert!(redacted.len() < 4 || !page.contains(redacted), "redacted {redacted} is in the page");
    }
    assert!(page.matches("<svg class=\"egress").count() >= rows.len(), "egress graphs");
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "no remote resources");

    let Some(all) = render(&d.join("report.html"), "") else { return };
    assert!(all.console.is_empty(), "console: {:?}", all.console);
    assert!(all.dom.contains("data-ready=\"1\""), "the script did not finish");
    assert_eq!(text_of(&all.dom, "total-identities"), rows.len().to_string());
    assert_eq!(text_of(&all.dom, "shown-identities"), rows.len().to_string());
    assert_eq!(text_of(&all.dom, "shown-findings"), with_identity.to_string());

    let critical = render(&d.join("report.html"), "#severity=critical").expect("rendered once already");
    assert!(critical.console.is_empty(), "console: {:?}", critical.console);
    assert_eq!(text_of(&critical.dom, "shown-identities"), count("severity", "critical").to_string());

    let github = render(&d.join("report.html"), "#severity=critical,high,medium,low&provider=github")
        .expect("rendered once already");
    assert_eq!(text_of(&github.dom, "shown-identities"), count("provider", "github").to_string());
    assert_eq!(count("provider", "github"), 1, "the token in the file named like markup");
}

/// A sweep's HTML report holds the identities of every repository, located by repository.
#[test]
fn sweep_writes_one_html_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for name in ["alpha", "beta"] {
        let repo = d.join("repos").join(name);
        fs::create_dir_all(&repo).expect("mkdir");
        let token = valid_github_token(&format!("sweep-{name}-token"));
        fs::write(repo.join("ci.env"), format!("GITHUB_TOKEN={token}\n")).expect("write");
        crate::common::git(&repo, &["init", "-q"]);
        crate::common::git(&repo, &["add", "."]);
        crate::common::git(&repo, &["commit", "-q", "-m", "init"]);
    }
    let run = run_in(d, &["sweep", "repos", "--format", "html", "-o", "sweep.html", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let page = fs::read_to_string(d.join("sweep.html")).expect("report written");
    assert_eq!(page.matches("<tbody class=\"identity\"").count(), 2, "{page}");
    for name in ["alpha", "beta"] {
        assert!(page.contains(&format!("{name}:ci.env:1")), "{name} not located");
    }
    let Some(shown) = render(&d.join("sweep.html"), "") else { return };
    assert!(shown.console.is_empty(), "console: {:?}", shown.console);
    assert_eq!(text_of(&shown.dom, "shown-identities"), "2");
}
