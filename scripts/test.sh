#!/usr/bin/env bash
# scripts/test.sh — set everything up (scripts/setup.sh --for test: Chromium and the pmem lab included) and run
# the whole test suite: a type check of every package and its tests, the unit and API tests of every package
# (vitest), the lab tests in a real kernel with emulated NVDIMMs (QEMU), and the end-to-end tests in Chromium
# (Playwright). Every stage runs even when an earlier one failed;
# the exit code is non-zero if any failed, and the last line counts the tests of all stages.
#
# Scheduling: after the type check the stages run in two lanes at the same time (TEST_LANES=2, the default). The
# guest lane boots QEMU guests: dax-native's tests, apps/api's *.lab.test.ts, then lab/test.sh (in that order:
# dax-native's native.nfit.test.ts builds nfit_test, which apps/api's recovery lab test needs). The host lane runs
# the rest (hubs, CLIs and browsers on this machine), which mostly waits on sockets, timers and child processes;
# vitest runs one file at a time on 2 cores. TEST_LANES=3 also gives lab/test.sh a lane of its own (more overlap,
# but its guests have fixed timeouts, 240 s each, which they overran on a heavily loaded machine); TEST_LANES=1
# runs every stage in turn. Each stage's output is printed as one block when it ends, with its wall and CPU time
# (their ratio says how busy the stage kept the machine).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for test || { echo "test.sh: setup failed" >&2; exit 1; }

RESULTS=$(mktemp -d /tmp/daxfleet-test-results.XXXXXX)   # vitest-*.json, lab.log, playwright.json, <stage>.log
T0=$SECONDS

# run_stage KEY TITLE CMD...: runs CMD with its output in $RESULTS/KEY.log, then prints the title, that output
# and the stage's times as one block (the lanes take turns through a lock), and marks a failure as
# $RESULTS/KEY.failed.
run_stage() {
  local key=$1 title=$2 rc times
  shift 2
  { flock 9; printf '==> started: %s (at %d s)\n' "$title" $((SECONDS - T0)); } 9>"$RESULTS/.print.lock"
  { TIMEFORMAT='%R %U %S'; time "$@" >"$RESULTS/$key.log" 2>&1; } 2>"$RESULTS/$key.time"
  rc=$?
  [ "$rc" = 0 ] || : >"$RESULTS/$key.failed"
  times=$(awk '{ printf "%.0f s, cpu %.0f s", $1, $2 + $3 }' "$RESULTS/$key.time")
  {
    flock 9
    printf '\n\033[1m==> test stage: %s\033[0m\n' "$title"
    cat "$RESULTS/$key.log"
    printf '==> %s: %s (%s)\n' "$title" "$([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)")" "$times"
  } 9>"$RESULTS/.print.lock"
  return 0
}

vitest_stage() { # vitest_stage DIR JSON-NAME [VITEST ARGS...]
  local dir=$1 name=$2
  shift 2
  ( cd "$dir" && npx vitest run --reporter=default --reporter=json --outputFile="$RESULTS/vitest-$name.json" "$@" )
}

lab_stage() { lab/test.sh; }
e2e_stage() {
  ( cd e2e && PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/playwright.json" npx playwright test --reporter=list,json )
}

# The type check runs alone: apps/api's `prisma generate` rewrites the Prisma client that hubs and tests load.
# Packages whose dependencies are checked run two at a time (tsc uses one core); --no-bail: a package that fails
# does not stop (or kill) the check of the others.
run_stage typecheck "typecheck (every package, test code included)" \
  pnpm -r --workspace-concurrency=2 --no-bail run typecheck

# setup.sh and the type check built every package: the vitest global setups need not build again (and must
# not: a `prisma generate` in one lane would rewrite the client under the tests of the other)
export DAXFLEET_TESTS_PREBUILT=1

guest_lane() {
  run_stage dax-native "packages/dax-native (vitest)" vitest_stage packages/dax-native dax-native
  # the files of apps/api that boot guests: test/*.lab.test.ts (the host lane runs the others)
  run_stage api-lab "apps/api lab tests (vitest, QEMU guests)" vitest_stage apps/api api-lab '.lab.test.ts'
}
lab_lane() {
  run_stage lab "pmem lab (QEMU guest, real kernel)" lab_stage
}
host_lane() {
  run_stage shared "packages/shared (vitest)" vitest_stage packages/shared shared
  run_stage api "apps/api (vitest)" vitest_stage apps/api api --exclude 'test/**/*.lab.test.ts'
  run_stage web "apps/web (vitest)" vitest_stage apps/web web
  run_stage e2e "end to end (Playwright, Chromium)" e2e_stage
}

lanes=()
case ${TEST_LANES:-2} in
  1) host_lane; guest_lane; lab_lane ;;
  2) { guest_lane; lab_lane; } & lanes=($!); host_lane ;;
  3) guest_lane & lanes=($!); lab_lane & lanes+=($!); host_lane ;;
  *) echo "test.sh: TEST_LANES is 1, 2 or 3, not '${TEST_LANES}'" >&2; exit 2 ;;
esac
for pid in "${lanes[@]}"; do wait "$pid"; done

failed_stages=()
for f in "$RESULTS"/*.failed; do [ -e "$f" ] && failed_stages+=("$(basename "$f" .failed)"); done
echo
echo "==> all stages: $((SECONDS - T0)) s after setup"
node scripts/summarize-tests.mjs "$RESULTS"
summary_rc=$?
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "failed stages: ${failed_stages[*]}"
  exit 1
fi
exit $summary_rc
