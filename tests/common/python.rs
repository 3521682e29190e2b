//! A Python virtual environment for the tests that drive Python tools (the pre-commit
//! framework, the reference JSON Schema validator), so that `cargo test` needs nothing but
//! Python on the machine: made once under `target/` with `python3 -m venv` and pip, and
//! reused by later runs while its package list is unchanged.
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Pinned, so that every machine validates and hooks with the same code.
const PACKAGES: &[&str] = &["pre-commit==4.7.0", "jsonschema==4.26.0"];

/// The environment's interpreter; run tools with `-m` (`python -m pre_commit`), which works
/// wherever the environment lies.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| interpreter(&ready_venv()))
}

fn interpreter(venv: &Path) -> PathBuf {
    venv.join(if cfg!(windows) { "Scripts/python.exe" } else { "bin/python" })
}

/// The cached environment, made first if missing or made for other packages. A new one is
/// built in a directory of its own and renamed into place, so two test processes never see
/// a half-made one.
fn ready_venv() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
    let stamp = PACKAGES.join("\n");
    let is_ready = |dir: &Path| fs::read_to_string(dir.join("sprawl-packages")).is_ok_and(|s| s == stamp);
    if is_ready(&venv) {
        return venv;
    }
    let fresh = venv.with_extension(format!("new-{}", std::process::id()));
    let _ = fs::remove_dir_all(&fresh);
    step(
        Command::new("python3").args(["-m", "venv"]).arg(&fresh),
        "python3 -m venv (on Debian: apt install python3-venv)",
    );
    step(
        Command::new(interpreter(&fresh))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(PACKAGES),
        "pip install (needs the network once; the environment is then cached)",
    );
    fs::write(fresh.join("sprawl-packages"), &stamp).expect("write the venv's package list");
    if !is_ready(&venv) {
        let _ = fs::remove_dir_all(&venv);
    }
    if fs::rename(&fresh, &venv).is_err() {
        // Another test process put its own in place first.
        let _ = fs::remove_dir_all(&fresh);
        assert!(is_ready(&venv), "no usable Python environment at {}", venv.display());
    }
    venv
}

fn step(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
}
