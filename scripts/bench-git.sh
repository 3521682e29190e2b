#!/usr/bin/env bash
# Benchmark `sprawl git` (full history, every blob once) against the floor, decoding every
# blob of the repository's packs once with the gix pack traversal sprawl uses, on 2 threads
# and scanning nothing (examples/pack_floor.rs), and against kingfisher's full-history scan
# (default and --turbo). Warm cache, 2 threads, same run, same machine. Also prints what
# sprawl read (blobs, bytes) and its peak memory.
#
#   scripts/bench-git.sh REPO        # a clone (bare or not); nothing is committed from it
#
# The repository used for the committed figures is curl (github.com/curl/curl).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=${1:?usage: scripts/bench-git.sh REPO}

command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
. scripts/peers.sh
kingfisher=$(kingfisher_binary)
cargo build --release --quiet --bin sprawl --example pack_floor
sprawl=$PWD/target/release/sprawl
floor=$PWD/target/release/examples/pack_floor

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); $(lscpu | sed -n 's/^Model name: *//p')"
echo "repo: $repo: $(git -C "$repo" rev-list --all | wc -l) commits, $(git -C "$repo" count-objects -vH | sed -n 's/^size-pack: //p') packed"
echo "rules: $($sprawl rules | wc -l)"

out=$(mktemp -d)
hyperfine --warmup 1 --runs 3 --ignore-failure --export-json "$out/h.json" \
  -n floor "$floor '$repo' 2" \
  -n sprawl "$sprawl git -j2 --format jsonl -q -o $out/sprawl.jsonl '$repo'" \
  -n kingfisher "$kingfisher scan '$repo' --git-history full --no-validate --no-update-check -j2 --format json -o $out/kf.json" \
  -n kingfisher-turbo "$kingfisher scan '$repo' --git-history full --no-validate --no-update-check --turbo -j2 --format json -o $out/kft.json" \
  >/dev/null
python3 - "$out/h.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
t = {r["command"]: r["median"] for r in runs}
print(f"{'tool':<12}{'median s':>10}")
for name, s in t.items():
    print(f"{name:<12}{s:>10.2f}")
print(f"sprawl/floor wall-time ratio: {t['sprawl'] / t['floor']:.2f}")
print(f"sprawl/kingfisher wall-time ratio: {t['sprawl'] / t['kingfisher']:.2f}")
print(f"sprawl/kingfisher --turbo wall-time ratio: {t['sprawl'] / t['kingfisher-turbo']:.2f} (target <= 0.5)")
PY
# Peak memory, sampled: anonymous memory (what sprawl allocates) apart from file-backed pages
# (the memory-mapped packs and indexes, page cache that the kernel can drop).
"$sprawl" git -j2 --format jsonl -o /dev/null "$repo" 2>"$out/summary" &
pid=$!
anon=0 file=0
while kill -0 "$pid" 2>/dev/null; do
  read -r a f < <(awk '/RssAnon/{a=$2} /RssFile/{f=$2} END{print a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
  [ "$a" -gt "$anon" ] && anon=$a
  [ "$f" -gt "$file" ] && file=$f
  sleep 0.1
done
wait "$pid" || true
tail -1 "$out/summary"
echo "sprawl peak memory: $((anon / 1024)) MiB anonymous (target < 300), $((file / 1024)) MiB file-backed (mapped packs)"
echo "findings: sprawl $(wc -l < "$out/sprawl.jsonl")"
