//! Bounded fuzzing under `cargo test` (stable; the open-ended runs are the cargo-fuzz targets
//! in `fuzz/`, see docs/SECURITY.md): each parser and decoder a scanned repository can reach
//! gets the repository's own seeds (`signatures/`, `testdata/`) and a fixed number of
//! deterministic mutations of them (byte flips, truncations, splices, repeats, deep nesting,
//! tokens the parsers branch on), through the same entry points as the fuzz targets
//! (`sprawl::fuzzing`). A panic fails the test; the scanner must also stay within a time
//! and memory bound. Inputs that once failed a target are kept as regression tests below
//! and under `testdata/fuzz/regressions/TARGET/`.
use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use sprawl::fuzzing;

/// Counts the bytes this thread holds, and the most it held, so that a scan's memory can be
/// bounded without other tests' threads counting.
struct Counting;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = HELD.try_with(|held| {
        held.set(held.get() + delta);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(held.get())));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        account(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes this thread allocated at most while `f` ran, above what it held before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = HELD.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, usize::try_from(PEAK.with(Cell::get) - start).unwrap_or(0))
}

/// SplitMix64: small, fast and the same on every machine, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Tokens the parsers and decoders branch on, spliced into inputs.
const TOKENS: &[&[u8]] = &[
    b"\\Q",
    b"\\E",
    b"\\0",
    b"\\<",
    b"[[:alpha:]]",
    b"{",
    b"}",
    b"{1,}",
    b"(?i)",
    b"[^",
    b"&&",
    b"${{ secrets.X }}",
    b"${{",
    b"}}",
    b"run: |\n  ",
    b"\n- ",
    b": ",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"!!binary ",
    b"\"\"\"",
    b"'''",
    b"[[rules]]\n",
    b"[[allow]]\n",
    b"regex = '''",
    b"keywords = [\"",
    b"-----BEGIN PRIVATE KEY-----\n",
    b"-----END PRIVATE KEY-----\n",
    b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA",
    b"MII",
    b"eyJhbGciOiJIUzI1NiJ9.eyJ",
    b"pypi-AgE",
    b"LS0tLS1CRUdJTi",
    b"kind: Secret\ndata:\n  k: ",
    b"\"auth\": \"",
    b"client-key-data: ",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\0",
    b"\r\n",
    b"\\",
    b"process.env['",
    b"`${",
    b"FROM a AS b\nCOPY --from=b ",
    b"RUN --mount=type=secret,id=",
    b"!path",
    b"[Section][2] @o",
    b"**/",
    b"sprawl:allow",
];

/// One mutation of `input`; `other` is another seed, for splices.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, other: &[u8]) {
    let len = input.len();
    let at = if len == 0 { 0 } else { rng.below(len + 1) };
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = rng.next() as u8;
        }
        2 => input.truncate(at),
        3 if len > 0 => {
            let end = (at + rng.below(64)).min(len);
            input.drain(at..end);
        }
        4 if !other.is_empty() => {
            let from = rng.below(other.len());
            let to = (from + rng.below(256)).min(other.len());
            input.splice(at..at, other[from..to].iter().copied());
        }
        5 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            input.splice(at..at, token.iter().copied());
        }
        6 if len > 0 => {
            // A huge count: a short piece of the input many times over.
            let from = rng.below(len);
            let piece = input[from..(from + 1 + rng.below(16)).min(len)].to_vec();
            let times = 1 + rng.below(4096);
            let repeated: Vec<u8> = piece.iter().copied().cycle().take(piece.len() * times).collect();
            input.splice(at..at, repeated);
        }
        7 => {
            // Deep nesting, in the syntax of TOML, YAML, JSON and regexes.
            let (open, close): (&[u8], &[u8]) =
                [(&b"["[..], &b"]"[..]), (b"{", b"}"), (b"(", b")"), (b"- ", b""), (b"a:\n ", b"")]
                    [rng.below(5)];
            let depth = 1 + rng.below(2000);
            let mut nest = open.repeat(depth);
            nest.extend(close.repeat(depth));
            input.splice(at..at, nest);
        }
        _ => input.extend_from_slice(&other[..other.len().min(rng.below(512))]),
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dirs` (relative to the repository), sorted, plus the regressions kept
/// for `target`.
fn seeds(target: &str, dirs: &[&str]) -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for dir in
        dirs.iter().map(|d| root().join(d)).chain([root().join("testdata/fuzz/regressions").join(target)])
    {
        if dir.is_file() {
            files.push(dir);
        } else {
            walk(&dir, &mut files);
        }
    }
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).expect("read a seed")).collect();
    assert!(!seeds.is_empty(), "no seeds for {target} in {dirs:?}");
    seeds
}

/// Run `entry` on every seed, then on `rounds` mutated inputs; seeds longer than `cap` bytes
/// are cut there, so that the debug build stays within its time.
fn fuzz(target: &str, dirs: &[&str], rounds: usize, cap: usize, entry: impl Fn(&[u8])) {
    let seeds: Vec<Vec<u8>> =
        seeds(target, dirs).into_iter().map(|s| s[..s.len().min(cap)].to_vec()).collect();
    for s in &seeds {
        entry(s);
    }
    // A fixed seed per target: the same inputs on every run and machine.
    let mut rng = Rng(target
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)));
    for _ in 0..rounds {
        let mut input = seeds[rng.below(seeds.len())].clone();
        let other = &seeds[rng.below(seeds.len())];
        for _ in 0..1 + rng.below(8) {
            mutate(&mut rng, &mut input, other);
        }
        entry(&input);
    }
}

#[test]
fn rule_files() {
    fuzz("rule_file", &["signatures/aws.toml", "signatures/generic.toml"], 40, 16 << 10, fuzzing::rule_file);
}

#[test]
fn project_configs() {
    fuzz(
        "project_config",
        &[".sprawl.toml", "testdata/fuzz/seeds/project_config"],
        400,
        64 << 10,
        fuzzing::project_config,
    );
}

#[test]
fn gitleaks_configs() {
    fuzz(
        "gitleaks_config",
        &["testdata/fuzz/seeds/gitleaks_config"],
        300,
        64 << 10,
        fuzzing::gitleaks_config,
    );
}

#[test]
fn codeowners() {
    fuzz("codeowners", &["testdata/fuzz/seeds/codeowners"], 60, 64 << 10, fuzzing::codeowners);
}

#[test]
fn ci_files() {
    fuzz("ci_files", &["testdata/egress", "testdata/egress-patterns"], 100, 16 << 10, fuzzing::ci_files);
}

#[test]
fn decoders() {
    fuzz("decoders", &["testdata/fs"], 100, 16 << 10, fuzzing::decoders);
}

/// A sweep's state file, mutated: any damage is refused or read without a panic.
#[test]
fn sweep_states() {
    fuzz("sweep_state", &["testdata/fuzz/seeds/sweep_state"], 300, 64 << 10, fuzzing::sweep_state);
}

/// Bounds one scan of `input`: time (debug build; a release scan is ~10x faster) and the
/// most memory held above the input's size.
fn bounded_scan(input: &[u8]) {
    let started = Instant::now();
    let (findings, peak) = peak_during(|| fuzzing::scan(input));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "{} bytes took {took:?}", input.len());
    assert!(peak < (64 << 20) + 8 * input.len(), "{} bytes held {peak} bytes at most", input.len());
    assert!(findings <= input.len(), "{findings} findings in {} bytes", input.len());
}

/// The scanner on mutated fixtures: no panic, and each input within the bounds.
#[test]
fn scanner() {
    fuzz("scan", &["testdata/fs"], 150, 64 << 10, bounded_scan);
}

/// The scanner on 256 KiB of what makes a matcher work hardest: a keyword, a secret's prefix,
/// an encoded-value marker, a PEM header or a whole match over and over on one line.
#[test]
fn scanner_on_huge_counts() {
    for piece in [
        &b"AKIA"[..],
        b"password=",
        b"ghp_",
        b"eyJ",
        b"LS0tLS1CRUdJTi",
        b"-----BEGIN RSA PRIVATE KEY-----\n",
        b"token: \"a\"\n",
        b"AKIAQWERTYUIOPASDF23 ",
        b"x ghp_0123456789abcdefghijABCDEFGHIJ0123456 ",
        b"password=Rf5tG8yHu2 ",
    ] {
        bounded_scan(&piece.repeat((256 << 10) / piece.len()));
    }
}

// `scanner_on_huge_counts` is the regression test of three quadratic costs it found: the
// delimiter check and the inline-marker check each read a finding's whole line, and
// overlapping hits were compared pairwise (50,000 findings on one 1 MiB line took minutes).

/// Found by the stable harness (issue 13): a CI file of nested block lists (`- - - …`) overflowed
/// the stack in saphyr's recursive loader; 1.7 KB was enough in a debug build.
#[test]
fn regression_yaml_deep_block_list_overflowed_the_stack() {
    fuzzing::ci_files("- ".repeat(100_000).as_bytes());
    fuzzing::ci_files(format!("jobs:\n  a:\n    steps: {}x", "- ".repeat(5_000)).as_bytes());
}
