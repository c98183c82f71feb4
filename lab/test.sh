#!/bin/bash
# lab/test.sh — pmem lab tests: boots QEMU guests with emulated NVDIMMs and checks daxfleet's inventory
# against the real ndctl and daxctl inside them (lab/tests/). Output ends with "N passed, M failed"; exit 1 on any
# failure. If the lab cannot run here (no QEMU, no guest kernel) it prints why and exits 0, unless
# LAB_REQUIRED=1.
#
# env: LAB_CLI=path/to/cli.js (default <repo>/apps/api/dist/cli.js; if absent ndctl/daxctl are compared with themselves)
#      LAB_COMPARE_SELF=1  LAB_TEST_TIMEOUT=240 (s per guest)  LAB_TESTS="transitions layout:NAME ..."
#      LAB_TEST_FULL=1 (check after every transition step, all layouts)  LAB_REQUIRED=1  LAB_CACHE
set -uo pipefail
LAB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
LAB=$LAB_DIR/lab
LAB_CACHE=${LAB_CACHE:-$LAB_DIR/.cache}; export LAB_CACHE
# default: ~2-2.5 min on 2 idle cores; LAB_TEST_FULL=1: a check after every transition step and every layout
if [ "${LAB_TEST_FULL:-0}" = 1 ]; then TESTS=${LAB_TESTS:-"transitions layout:four-dimm-mixed layout:two-dimm-all-modes layout:devdax-system-ram layout:one-dimm-label-less"}
else TESTS=${LAB_TESTS:-"transitions layout:four-dimm-mixed"}; fi
T0=$SECONDS

why=$("$LAB" _unavailable)
if [ -n "$why" ]; then
  if [ "${LAB_REQUIRED:-0}" = 1 ]; then echo "FAIL lab: cannot run the pmem lab: $why (LAB_REQUIRED=1)"; echo "0 passed, 1 failed"; exit 1; fi
  echo "SKIP pmem lab tests: $why"; echo "0 passed, 0 failed"; exit 0
fi
"$LAB_DIR/setup.sh" >"$LAB_CACHE/setup.log" 2>&1 || { cat "$LAB_CACHE/setup.log"; echo "FAIL lab setup"; echo "0 passed, 1 failed"; exit 1; }
CLI=${LAB_CLI:-$(cd "$LAB_DIR/.." && pwd)/apps/api/dist/cli.js}
if [ "${LAB_COMPARE_SELF:-0}" = 1 ] || [ ! -f "$CLI" ]; then
  echo "NOTE: no daxfleet CLI at $CLI (or LAB_COMPARE_SELF=1): comparing ndctl and daxctl with themselves, json checks skipped"
else echo "testing daxfleet CLI $CLI"; fi

passed=0; failed=0; skipped=0
for t in $TESTS; do
  id=test-$(date +%Y%m%d-%H%M%S)-$$-${t//[:\/]/-}
  case $t in
    transitions) args=(tests/transitions.sh); cfg=(NDIMM=3 REGION_MB=512 MEM=2G) ;;
    layout:*) args=(--layout "${t#layout:}" tests/layout-check.sh "${t#layout:}"); cfg=() ;;
    *) echo "FAIL $t: unknown test"; failed=$((failed + 1)); continue ;;
  esac
  s=$SECONDS
  echo "--- $t"
  ( cd "$LAB_DIR" && env "${cfg[@]}" LAB_RUN_ID="$id" LAB_VERBOSE=0 LAB_TIMEOUT="${LAB_TEST_TIMEOUT:-240}" \
      ${LAB_CLI:+LAB_CLI="$LAB_CLI"} "$LAB" run "${args[@]}" ) >/dev/null 2>"$LAB_CACHE/$id.stderr"
  rc=$?
  rd=$LAB_CACHE/runs/$id
  res=$rd/out/results.txt
  [ -f "$res" ] && sed -n '/^\(PASS\|FAIL\|SKIP\)/p' "$res"
  # print the diffs of failed checks
  [ -f "$res" ] && grep '^FAIL' "$res" | while read -r _ name _; do
    name=${name%:}; for f in "$rd/out/$name.diff" "$rd/out/$name.bb"; do [ -f "$f" ] && sed 's/^/    /' "$f" | head -40; done; done
  p=$(grep -c '^PASS' "$res" 2>/dev/null); f=$(grep -c '^FAIL' "$res" 2>/dev/null); k=$(grep -c '^SKIP' "$res" 2>/dev/null)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
  if [ "$rc" != 0 ]; then
    # the guest script died, timed out or a step before the checks failed
    reason=$(grep -h -E 'FATAL|timed out|died' "$rd/console.log" "$LAB_CACHE/$id.stderr" 2>/dev/null | head -3 | tr '\n' ' ')
    echo "FAIL $t: guest exit $rc ${reason:-} (console: $rd/console.log)"; failed=$((failed + 1))
    { cat "$LAB_CACHE/$id.stderr"; tail -15 "$rd/console.log" 2>/dev/null; } | sed 's/^/    /'
  fi
  rm -f "$LAB_CACHE/$id.stderr"
  echo "    ($t: $((SECONDS - s)) s, artifacts in $rd/out)"
done
echo "lab tests took $((SECONDS - T0)) s$([ "$skipped" -gt 0 ] && echo ", $skipped check(s) skipped")"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
