#!/usr/bin/env bash
# Pre-commit latency: `sprawl git --staged` on a small staged change in a repository with
# 100,000 tracked files (generated: 1,000 directories of 100 small files), warm cache.
#
#   scripts/bench-staged.sh [FILES]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-100000}

command -v hyperfine >/dev/null || apt-get install -y -qq hyperfine >/dev/null
cargo build --release --quiet
sprawl=$PWD/target/release/sprawl

repo=${TMPDIR:-/tmp}/sprawl-bench/staged-$files
if [ ! -d "$repo/.git" ]; then
  rm -rf "$repo" && mkdir -p "$repo"
  python3 - "$repo" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"pkg{i // 100:04d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"mod{i % 100:03d}.py"), "w") as f:
        f.write(f"# module {i}\nVALUE = {i}\n")
PY
  git -C "$repo" init -q
  git -C "$repo" add -A
  git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -qm "$files files"
fi
# A small change: one modified file, one new file with a secret-shaped line.
echo "TIMEOUT = 30" >> "$repo/pkg0042/mod007.py"
# sprawl:allow (a fake the benchmark stages)
printf 'DB_PASSWORD = "Bench-Staged-9xQ"\n' > "$repo/pkg0042/settings.py"
git -C "$repo" add pkg0042/mod007.py pkg0042/settings.py

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -m); $(lscpu | sed -n 's/^Model name: *//p')"
echo "repo: $(git -C "$repo" ls-files | wc -l) tracked files, 2 staged"
hyperfine --warmup 3 --runs 30 --ignore-failure -N \
  -n "sprawl git --staged" "$sprawl git --staged -q --format jsonl $repo" \
  -n "git diff --cached --name-only" "git -C $repo diff --cached --name-only"
git -C "$repo" reset -q --hard
