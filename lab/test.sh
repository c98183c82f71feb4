#!/bin/bash
# lab/test.sh — pmem lab tests: boots QEMU guests with emulated NVDIMMs and checks daxfleet's inventory
# against the real ndctl and daxctl inside them (lab/tests/). Output ends with "N passed, M failed"; exit 1 on any
# failure. If the lab cannot run here (no QEMU, no guest kernel) it prints why and exits 0, unless
# LAB_REQUIRED=1.
#
# env: LAB_CLI=path/to/cli.js (default <repo>/apps/api/dist/cli.js; if absent ndctl/daxctl are compared with themselves)
#      LAB_COMPARE_SELF=1  LAB_TEST_TIMEOUT=240 (s per guest)  LAB_TESTS="transitions layout:NAME ..."
#      LAB_TEST_FULL=1 (check after every transition step, all layouts)  LAB_REQUIRED=1  LAB_CACHE
#      LAB_RW_TIMEOUT=360 (s, the recovery-walk guest: agent start + the Playwright walk of the web UI)
#      LAB_DW_TIMEOUT=600 (s, the dax-walk guest: agent start + the Playwright walk), LAB_DW_PLAYWRIGHT_SECONDS=420
set -uo pipefail
LAB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
LAB=$LAB_DIR/lab
LAB_CACHE=${LAB_CACHE:-$LAB_DIR/.cache}; export LAB_CACHE
# default: ~2-2.5 min on 2 idle cores; LAB_TEST_FULL=1: a check after every transition step and every layout
if [ "${LAB_TEST_FULL:-0}" = 1 ]; then TESTS=${LAB_TESTS:-"transitions layout:four-dimm-mixed layout:two-dimm-all-modes layout:devdax-system-ram layout:one-dimm-label-less agent media-webhook recovery-walk dax-walk"}
else TESTS=${LAB_TESTS:-"transitions layout:four-dimm-mixed agent media-webhook recovery-walk dax-walk"}; fi
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

# The agent test: a hub on this host's loopback, the agent in a guest reporting to it over QEMU user-net (the
# guest reaches host 127.0.0.1 as 10.0.2.2, hence LAB_NET=open for that guest only), then the hub's stored inventory,
# printed as ndctl and daxctl would, compared with what they printed in the guest.
HUB_PID=""
stop_hub() { [ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null; HUB_PID=""; }
trap stop_hub EXIT
start_hub() {
  HUB_PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  HUB_DIR=$(mktemp -d /tmp/daxfleet-lab-hub.XXXXXX)
  local password; password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  DAXFLEET_ADMIN_PASSWORD=$password node "$CLI" serve --role hub --host 127.0.0.1 --port "$HUB_PORT" \
    --data-dir "$HUB_DIR" > "$HUB_DIR/hub.log" 2>&1 &
  HUB_PID=$!
  local up=0
  for _ in $(seq 1 100); do grep -q 'listening on' "$HUB_DIR/hub.log" 2>/dev/null && { up=1; break; }; sleep 0.1; done
  [ "$up" = 1 ] || { echo "hub did not start: $(tail -5 "$HUB_DIR/hub.log")"; return 1; }
  # an admin API token (to read the hub) and a join token for the guest's agent
  local tokens; tokens=$(node "$LAB_DIR/tools/hub-tokens.mjs" "http://127.0.0.1:$HUB_PORT" "$password" lab-test) || return 1
  HUB_TOKEN=${tokens%% *}; JOIN_TOKEN=${tokens##* }
}
# hub_checks OUT: the hub's inventory of host lab-agent as ndctl/daxctl text vs the guest's recordings
hub_checks() {
  local out=$1 f
  for f in ndctl daxctl; do
    if ! DAXFLEET_TOKEN=$HUB_TOKEN node "$LAB_DIR/tests/hub-inventory-as.mjs" "http://127.0.0.1:$HUB_PORT" lab-agent "$f" > "$out/hub-$f.json" 2>"$out/hub-$f.err"; then
      echo "FAIL agent-hub-$f: $(head -c 300 "$out/hub-$f.err")" >> "$out/results.txt"
    elif python3 "$LAB_DIR/tests/compare-json.py" "$out/agent-$f.json" "$out/hub-$f.json" --names "$f",hub > "$out/agent-hub-$f.diff" 2>&1; then
      echo "PASS agent-hub-$f" >> "$out/results.txt"
    else
      echo "FAIL agent-hub-$f: $(tail -1 "$out/agent-hub-$f.diff")" >> "$out/results.txt"
    fi
  done
}

passed=0; failed=0; skipped=0
for t in $TESTS; do
  id=test-$(date +%Y%m%d-%H%M%S)-$$-${t//[:\/]/-}
  case $t in
    transitions) args=(tests/transitions.sh); cfg=(NDIMM=3 REGION_MB=512 MEM=2G) ;;
    layout:*) args=(--layout "${t#layout:}" tests/layout-check.sh "${t#layout:}"); cfg=() ;;
    agent)
      if [ ! -f "$CLI" ] || [ "${LAB_COMPARE_SELF:-0}" = 1 ]; then echo "SKIP agent: no daxfleet CLI to run"; skipped=$((skipped + 1)); continue; fi
      start_hub || { echo "FAIL agent: $(tail -3 "$HUB_DIR/hub.log")"; failed=$((failed + 1)); continue; }
      # DAXFLEET_* variables reach the guest: the agent enrolls with the join token, the guest polls with the token
      args=(--layout two-dimm-all-modes tests/agent-report.sh "http://10.0.2.2:$HUB_PORT")
      cfg=(LAB_NET=open DAXFLEET_JOIN_TOKEN="$JOIN_TOKEN" DAXFLEET_LAB_HUB_TOKEN="$HUB_TOKEN") ;;
    media-webhook)
      # media-error alerts end to end: hub, webhook receiver and subscriptions on this host (tools/alert-stack.sh,
      # which stops them when the guest is done), the agent and the injections in the guest (tests/media-webhook.sh)
      if [ ! -f "$CLI" ] || [ "${LAB_COMPARE_SELF:-0}" = 1 ]; then echo "SKIP media-webhook: no daxfleet CLI to run"; skipped=$((skipped + 1)); continue; fi
      mw=$(LAB_MW_MAX_SECONDS=$(( ${LAB_TEST_TIMEOUT:-240} + 60 )) "$LAB_DIR/tools/alert-stack.sh" "$CLI" \
             "$(mktemp -d /tmp/daxfleet-lab-alerts.XXXXXX)" $$ "$LAB_CACHE/runs/$id/out") \
        || { echo "FAIL media-webhook: $mw"; failed=$((failed + 1)); continue; }
      args=(tests/media-webhook.sh); read -r -a cfg <<< "LAB_NET=open NDIMM=2 REGION_MB=512 $mw" ;;
    recovery-walk)
      # a recovery through the web UI end to end: hub + Playwright (Chromium) on this host (tools/recovery-stack.sh),
      # the agent, ext4 -o dax, the file and its bad block in the guest (tests/recovery-walk.sh); the hub sends its
      # commands to the agent through a forwarded loopback port (LAB_HOSTFWD)
      if [ ! -f "$CLI" ] || [ "${LAB_COMPARE_SELF:-0}" = 1 ]; then echo "SKIP recovery-walk: no daxfleet CLI to run"; skipped=$((skipped + 1)); continue; fi
      RW_STATE=$(mktemp -d /tmp/daxfleet-lab-recovery.XXXXXX)
      rw=$("$LAB_DIR/tools/recovery-stack.sh" "$CLI" "$RW_STATE" $$ "$LAB_CACHE/runs/$id/out") \
        || { echo "FAIL recovery-walk: $rw"; failed=$((failed + 1)); continue; }
      # its own guest timeout: node starts the agent slowly under TCG, then the UI walk runs (LAB_RW_TIMEOUT)
      args=(tests/recovery-walk.sh); read -r -a cfg <<< "LAB_NET=open NDIMM=1 REGION_MB=512 $rw"; tmo=${LAB_RW_TIMEOUT:-360} ;;
    dax-walk)
      # filesystem and device DAX through the web UI end to end: the same host side as recovery-walk
      # (tools/recovery-stack.sh with LAB_WALK=dax-walk runs e2e/lab-tests/dax-walk.spec.ts), in the guest ext4
      # dax=inode on an fsdax namespace, a free region, the agent, and answers to the spec's requests (tests/dax-walk.sh)
      if [ ! -f "$CLI" ] || [ "${LAB_COMPARE_SELF:-0}" = 1 ]; then echo "SKIP dax-walk: no daxfleet CLI to run"; skipped=$((skipped + 1)); continue; fi
      RW_STATE=$(mktemp -d /tmp/daxfleet-lab-dax.XXXXXX)
      rw=$(LAB_WALK=dax-walk LAB_WALK_PREFIX=dw-ui LAB_RW_PLAYWRIGHT_SECONDS=${LAB_DW_PLAYWRIGHT_SECONDS:-420} \
        LAB_RW_MAX_SECONDS=${LAB_RW_MAX_SECONDS:-720} "$LAB_DIR/tools/recovery-stack.sh" "$CLI" "$RW_STATE" $$ "$LAB_CACHE/runs/$id/out") \
        || { echo "FAIL dax-walk: $rw"; failed=$((failed + 1)); continue; }
      args=(tests/dax-walk.sh); read -r -a cfg <<< "LAB_NET=open NDIMM=2 REGION_MB=512 $rw"; tmo=${LAB_DW_TIMEOUT:-600} ;;
    *) echo "FAIL $t: unknown test"; failed=$((failed + 1)); continue ;;
  esac
  s=$SECONDS
  echo "--- $t"
  tmo=${tmo:-${LAB_TEST_TIMEOUT:-240}}
  ( cd "$LAB_DIR" && env "${cfg[@]}" LAB_RUN_ID="$id" LAB_VERBOSE=0 LAB_TIMEOUT="$tmo" \
      ${LAB_CLI:+LAB_CLI="$LAB_CLI"} "$LAB" run "${args[@]}" ) >/dev/null 2>"$LAB_CACHE/$id.stderr"
  rc=$?
  rd=$LAB_CACHE/runs/$id
  res=$rd/out/results.txt
  if [ "$t" = agent ]; then
    [ "$rc" = 0 ] && grep -q '^PASS agent-reported' "$res" 2>/dev/null && hub_checks "$rd/out"
    stop_hub; rm -rf "$HUB_DIR"
  fi
  case $t in recovery-walk|dax-walk) touch "$RW_STATE/stop" ;; esac   # stops the host side (hub, Playwright if still running)
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
  rm -f "$LAB_CACHE/$id.stderr"; tmo=""
  echo "    ($t: $((SECONDS - s)) s, artifacts in $rd/out)"
done
echo "lab tests took $((SECONDS - T0)) s$([ "$skipped" -gt 0 ] && echo ", $skipped check(s) skipped")"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
