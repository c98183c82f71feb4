#!/usr/bin/env bash
# scripts/test.sh — set everything up (scripts/setup.sh --for test: Chromium and the pmem lab included) and run
# the whole test suite: a type check of every package and its tests, the unit and API tests of every package
# (vitest), the lab tests in a real kernel with emulated NVDIMMs (QEMU), and the end-to-end tests in Chromium
# (Playwright). Every stage runs even when an earlier one failed;
# the exit code is non-zero if any failed, and the last line counts the tests of all stages.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for test || { echo "test.sh: setup failed" >&2; exit 1; }

RESULTS=$(mktemp -d /tmp/daxfleet-test-results.XXXXXX)
failed_stages=()
stage() { printf '\n\033[1m==> test stage: %s\033[0m\n' "$1"; }

stage "typecheck (every package, test code included)"
pnpm -r --workspace-concurrency=1 run typecheck || failed_stages+=(typecheck)

for pkg in packages/shared packages/dax-native apps/api apps/web; do
  name=$(basename "$pkg")
  stage "$pkg (vitest)"
  ( cd "$pkg" && npx vitest run --reporter=default --reporter=json --outputFile="$RESULTS/vitest-$name.json" ) \
    || failed_stages+=("$pkg")
done

stage "pmem lab (QEMU guest, real kernel)"
lab/test.sh 2>&1 | tee "$RESULTS/lab.log"
[ "${PIPESTATUS[0]}" = 0 ] || failed_stages+=(lab)

stage "end to end (Playwright, Chromium)"
( cd e2e && PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/playwright.json" npx playwright test --reporter=list,json ) \
  || failed_stages+=(e2e)

echo
node scripts/summarize-tests.mjs "$RESULTS"
summary_rc=$?
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "failed stages: ${failed_stages[*]}"
  exit 1
fi
exit $summary_rc
