#!/usr/bin/env bash
# Fill fuzz/corpus/TARGET/ with seeds from the repository's own rules and fixtures (the
# corpus is git-ignored: it grows as libFuzzer finds new paths). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

seed() { # seed TARGET FILE...
    local dir=fuzz/corpus/$1
    shift
    mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$dir/seed-$(printf '%s' "$f" | tr '/' '_')"
    done
}

files() { find "$@" -type f 2>/dev/null | sort; }

seed rule_file signatures/*.toml
seed project_config .sprawl.toml $(files testdata/fuzz/seeds/project_config)
seed gitleaks_config $(files testdata/fuzz/seeds/gitleaks_config)
seed codeowners $(files testdata/fuzz/seeds/codeowners)
seed ci_files $(files testdata/egress testdata/egress-patterns)
seed decoders $(files testdata/fs)
seed scan $(files testdata/fs)
seed sweep_state $(files testdata/fuzz/seeds/sweep_state)
# Inputs that once crashed a target stay in its corpus.
for dir in testdata/fuzz/regressions/*/; do
    [ -d "$dir" ] && seed "$(basename "$dir")" $(files "$dir")
done
ls fuzz/corpus | while read -r t; do echo "$t: $(ls "fuzz/corpus/$t" | wc -l) files"; done
