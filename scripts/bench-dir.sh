#!/usr/bin/env bash
# Benchmark `sprawl dir` against ripgrep (one literal: the I/O + search floor) and kingfisher
# on a tree of real source code. Warm cache, 2 threads for every tool, same run, same machine.
#
#   scripts/bench-dir.sh [CORPUS_DIR]
#
# Without CORPUS_DIR, builds one from a clone of curl (CURL_GIT, a bare or normal clone):
# the last 14 `curl-8_*_0` release trees, about 297 MB. Nothing is committed from the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."

corpus=${1:-}
if [ -z "$corpus" ]; then
  curl_git=${CURL_GIT:?set CURL_GIT to a clone of curl, or pass a corpus directory}
  corpus=${TMPDIR:-/tmp}/sprawl-bench/curl-trees
  if [ ! -d "$corpus" ]; then
    mkdir -p "$corpus"
    for tag in $(git -C "$curl_git" tag | grep -E '^curl-8_[0-9]+_0$' | sort -V | tail -14); do
      mkdir -p "$corpus/$tag"
      git -C "$curl_git" archive "$tag" | tar -x -C "$corpus/$tag"
    done
  fi
fi

command -v rg >/dev/null || apt-get install -y -qq ripgrep >/dev/null
command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
. scripts/peers.sh
kingfisher=$(kingfisher_binary)
cargo build --release --quiet
sprawl=$PWD/target/release/sprawl

bytes=$(du -sb "$corpus" | cut -f1)
files=$(find "$corpus" -type f | wc -l)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); $(lscpu | sed -n 's/^Model name: *//p')"
echo "corpus: $corpus: $files files, $((bytes / 1000000)) MB"
echo "rules: $($sprawl rules | wc -l)"

out=$(mktemp -d)
hyperfine --warmup 1 --runs 5 --ignore-failure --export-json "$out/h.json" \
  -n rg "rg -j2 -uuu -c --no-messages AKIA '$corpus'" \
  -n sprawl "$sprawl dir -j2 --format jsonl -q -o $out/sprawl.jsonl '$corpus'" \
  -n kingfisher "$kingfisher scan '$corpus' --git-history none --no-validate --no-update-check -j2 --format json -o $out/kf.json" \
  >/dev/null
python3 - "$out/h.json" "$bytes" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
size = int(sys.argv[2]) / 1e6
t = {r["command"]: r["median"] for r in runs}
print(f"{'tool':<12}{'median s':>10}{'MB/s':>10}")
for name, s in t.items():
    print(f"{name:<12}{s:>10.3f}{size / s:>10.0f}")
print(f"sprawl/rg throughput ratio: {t['rg'] / t['sprawl']:.2f} (target >= 0.5)")
print(f"sprawl/kingfisher wall-time ratio: {t['sprawl'] / t['kingfisher']:.2f} (target <= 0.5)")
PY
echo "findings: sprawl $(wc -l < "$out/sprawl.jsonl")"
