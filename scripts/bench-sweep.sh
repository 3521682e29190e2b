#!/usr/bin/env bash
# Sweep benchmark: a first sweep of a set of real repositories with fresh state, then a
# second, unchanged sweep with the state of the first. Target: the second at most 5% of the
# first. Repositories are local clones (bare or not), given as arguments; nothing from them
# is committed.
#
#   scripts/bench-sweep.sh REPO...
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: scripts/bench-sweep.sh REPO..." >&2; exit 2; }
cargo build --release --quiet
sprawl=$PWD/target/release/sprawl

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for r in "$@"; do (cd "$r" && pwd); done > "$work/targets.txt"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); $(lscpu | sed -n 's/^Model name: *//p')"
echo "repositories: $#, $(for r in "$@"; do git -C "$r" count-objects -v | sed -n 's/^size-pack: //p'; done | awk '{s+=$1} END {print int(s/1024)}') MiB packed"
echo "rules: $($sprawl rules | wc -l)"

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$work/err" || [ $? -eq 1 ]; e=$(date +%s.%N); echo "$e - $s" | bc; }
first=$(t "$sprawl" sweep "$work/targets.txt" --state "$work/state" -j2 -q -o "$work/first.jsonl")
second=$(t "$sprawl" sweep "$work/targets.txt" --state "$work/state" -j2 -q -o "$work/second.jsonl")
printf 'first sweep:  %8.3f s (%s findings)\n' "$first" "$(grep -c '"type":"finding"' "$work/first.jsonl" || true)"
printf 'second sweep: %8.3f s (unchanged)\n' "$second"
printf 'second/first: %8.4f (target <= 0.05)\n' "$(echo "$second / $first" | bc -l)"
