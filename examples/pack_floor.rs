//! The floor `scripts/bench-git.sh` times `sprawl git` against: every blob in a repository's
//! packs decoded once, on the threads given, by the same gix pack traversal `sprawl git`
//! reads history with (blobs over sprawl's default 100 MiB limit are skipped, as sprawl
//! skips them), and nothing scanned. What sprawl takes beyond this is its own work.
//!
//!     cargo run --release --example pack_floor -- REPO [THREADS]
use sprawl::source::git;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or_else(|| anyhow::anyhow!("usage: pack_floor REPO [THREADS]"))?;
    let threads = args.next().map_or(Ok(2), |t| t.parse())?;
    let repo = git::open(path.as_ref())?;
    let say = |msg: String| eprintln!("pack_floor: {msg}");
    let counts =
        git::for_each_unique_blob(&repo, threads, 100 << 20, |_: &gix::oid, _: &[u8]| {}, &say, &say)?;
    println!(
        "{} blobs, {} bytes decoded, {} over 100 MiB skipped",
        counts.blobs, counts.bytes, counts.skipped_large
    );
    Ok(())
}
