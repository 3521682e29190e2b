#!/usr/bin/env bash
# The scan step of the GitHub Action (action.yml), kept here so that it can be tested
# (tests/action.rs). Everything comes from the environment, never from `${{ }}` expanded
# into the script:
#
#   SPRAWL        the sprawl binary
#   EVENT         github.event_name; a pull request scans BASE..HEAD, anything else all history
#   BASE, HEAD    the pull request's base and head commits
#   SARIF         where to write the SARIF log
#   BASELINE      a baseline file, or empty
#   ARGS          extra options for `sprawl git`, split on white space only: no quotes, no
#                 globs, no expansions, so a workflow input cannot run anything
#   GITHUB_OUTPUT the step's output file; `exit-code` is written there
#
# Exits 2 (and writes exit-code=2) on a usage or repository problem, else 0: whether the
# findings fail the job is the Action's next step's decision.
set -uo pipefail

fail() {
  echo "::error title=sprawl::$1" >&2
  echo "exit-code=2" >> "$GITHUB_OUTPUT"
  exit 2
}

set -f # no glob expansion of ARGS words
read -r -a extra <<< "${ARGS:-}"
set +f
for word in "${extra[@]}"; do
  case "$word" in
    --format|--format=*|-f|-f?*|--output|--output=*|-o|-o?*)
      fail "args: $word is set by the Action (it writes SARIF to the sarif-file input); remove it" ;;
  esac
done

if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
  fail "the checkout is shallow, so history and authors would be cut at its boundary: use actions/checkout with 'fetch-depth: 0'"
fi

scope=()
if [ "$EVENT" = pull_request ] || [ "$EVENT" = pull_request_target ]; then
  for commit in "$BASE" "$HEAD"; do
    git cat-file -e "$commit^{commit}" 2>/dev/null ||
      fail "commit $commit of the pull request is not in the checkout: use actions/checkout with 'fetch-depth: 0'"
  done
  scope=(--range "$BASE..$HEAD")
fi
if [ -n "${BASELINE:-}" ]; then
  extra+=(--baseline "$BASELINE")
fi

"$SPRAWL" git "${scope[@]}" "${extra[@]}" --format sarif -o "$SARIF" .
code=$?
echo "exit-code=$code" >> "$GITHUB_OUTPUT"
if [ "$code" -ge 2 ]; then
  exit "$code"
fi
exit 0
