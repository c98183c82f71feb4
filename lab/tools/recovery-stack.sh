#!/bin/bash
# lab/tools/recovery-stack.sh CLI STATE_DIR WATCH_PID OUT_DIR — ON THE HOST: the host side of the recovery walk
# (lab/tests/recovery-walk.sh runs in the guest). Starts
#   * a real hub (`daxfleet serve --role hub` on a free loopback port, its built web UI, a random first-admin
#     password), an admin API token and a join token for the guest's agent (tools/hub-tokens.mjs);
#   * a runner that waits for the guest's OUT_DIR/recovery-walk.ready (the guest's agent has reported the bad range
#     and the file it hits), then runs the Playwright spec e2e/lab-tests/recovery-walk.spec.ts in Chromium against
#     that hub (`npx playwright test -c playwright.lab.config.ts`), and writes OUT_DIR/playwright.results (PASS/FAIL
#     lines, one per test) and then OUT_DIR/playwright.done, which the guest waits for.
# It picks a free host loopback port for the agent's listener: lab/lab forwards it into the guest (LAB_HOSTFWD), so
# the hub sends its signed commands to http://127.0.0.1:PORT, which the agent advertises.
#
# Prints one line of KEY=VALUE words for the guest's environment (`lab run` passes LAB_* and DAXFLEET_* in):
# LAB_HOSTFWD, LAB_RW_HUB (the hub as the guest sees it: 10.0.2.2), DAXFLEET_JOIN_TOKEN, DAXFLEET_LAB_HUB_TOKEN.
#
# LAB_WALK names the walk (default recovery-walk; also dax-walk): the ready file is OUT_DIR/$LAB_WALK.ready, the spec
# e2e/lab-tests/$LAB_WALK.spec.ts (only that one), the result lines are prefixed LAB_WALK_PREFIX (default rw-ui).
#
# Everything runs in the background and stops by itself once STATE_DIR/stop exists (lab/test.sh touches it when
# the guest is done), WATCH_PID is gone, or after LAB_RW_MAX_SECONDS (default 600). Then the hub's log is copied to
# OUT_DIR/host-hub.log and STATE_DIR is removed.
set -uo pipefail
[ $# -ge 4 ] || { echo "usage: recovery-stack.sh CLI STATE_DIR WATCH_PID OUT_DIR" >&2; exit 2; }
CLI=$1 DIR=$2 WATCH=$3 OUT=$4
WALK=${LAB_WALK:-recovery-walk} PREFIX=${LAB_WALK_PREFIX:-rw-ui}
TOOLS=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(cd "$TOOLS/../.." && pwd)
[ -f "$CLI" ] || { echo "no daxfleet CLI at $CLI (build it: pnpm -r build)"; exit 1; }
[ -f "$REPO/apps/web/dist/index.html" ] || { echo "no built web UI at $REPO/apps/web/dist (build it: pnpm -r build)"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "no /usr/bin/chromium (apt-get install -y chromium)"; exit 1; }
mkdir -p "$DIR" || exit 1
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

HUB_PORT=$(free_port)
AGENT_PORT=$(free_port)
password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
DAXFLEET_ADMIN_PASSWORD=$password setsid node "$CLI" serve --role hub --host 127.0.0.1 --port "$HUB_PORT" \
  --data-dir "$DIR/hub" > "$DIR/hub.log" 2>&1 < /dev/null &
HUB_PID=$!
up=0
for _ in $(seq 1 150); do grep -q 'listening on' "$DIR/hub.log" 2>/dev/null && { up=1; break; }; sleep 0.1; done
if [ "$up" = 0 ]; then
  echo "hub did not start: $(tail -3 "$DIR/hub.log" 2>/dev/null | tr '\n' ' ')"; kill "$HUB_PID" 2>/dev/null; rm -rf "$DIR"; exit 1
fi
HUB_LOCAL=http://127.0.0.1:$HUB_PORT
tokens=$(node "$TOOLS/hub-tokens.mjs" "$HUB_LOCAL" "$password" lab-recovery 2>&1) \
  || { echo "$tokens"; kill "$HUB_PID" 2>/dev/null; rm -rf "$DIR"; exit 1; }
ADMIN=${tokens%% *} JOIN=${tokens##* }

# the runner: Playwright once the guest is ready. The spec gets the hub, the admin's password and token, and the
# guest's ready file (what it set up: host id, file, range) in its environment.
(
  waited=0
  while [ ! -f "$OUT/$WALK.ready" ]; do
    [ -f "$DIR/stop" ] || ! kill -0 "$WATCH" 2>/dev/null && exit 0
    [ "$waited" -ge $(( 2 * ${LAB_RW_READY_SECONDS:-300} )) ] && exit 0
    sleep 0.5; waited=$((waited + 1))
  done
  sleep 0.2   # the guest writes the file in one go; a moment for 9p to show all of it
  t0=$(date +%s)
  # the playwright binary directly (what `npx playwright` runs): `timeout` passes a TERM on to it
  ( cd "$REPO/e2e" && exec env DAXFLEET_LAB_HUB_URL="$HUB_LOCAL" DAXFLEET_LAB_ADMIN_PASSWORD="$password" \
      DAXFLEET_LAB_ADMIN_TOKEN="$ADMIN" DAXFLEET_LAB_READY="$OUT/$WALK.ready" \
      DAXFLEET_LAB_PW_JSON="$OUT/playwright.json" DAXFLEET_LAB_PW_OUTPUT="$OUT/playwright-artifacts" \
      timeout -k 10 "${LAB_RW_PLAYWRIGHT_SECONDS:-240}" ./node_modules/.bin/playwright test -c playwright.lab.config.ts "lab-tests/$WALK.spec.ts" ) \
    > "$OUT/playwright.log" 2>&1 &
  echo $! > "$DIR/playwright.pid"
  wait $!
  rc=$?
  node "$TOOLS/recovery-pw-results.mjs" "$OUT/playwright.json" "$rc" "$(( $(date +%s) - t0 ))" "$PREFIX" > "$OUT/playwright.results.tmp" 2>&1
  mv "$OUT/playwright.results.tmp" "$OUT/playwright.results"
  touch "$OUT/playwright.done"
) > /dev/null 2>&1 < /dev/null &
RUNNER_PID=$!

# the watchdog: stop and clean up when the guest is done (STATE_DIR/stop), the caller is gone, or the backstop hits
(
  start=$SECONDS
  while [ ! -f "$DIR/stop" ] && kill -0 "$WATCH" 2>/dev/null && [ $((SECONDS - start)) -lt "${LAB_RW_MAX_SECONDS:-600}" ]; do
    sleep 1; done
  [ -f "$DIR/playwright.pid" ] && kill "$(cat "$DIR/playwright.pid")" 2>/dev/null
  kill "$RUNNER_PID" 2>/dev/null
  kill "$HUB_PID" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.5; done
  [ -d "$OUT" ] && cp "$DIR/hub.log" "$OUT/host-hub.log" 2>/dev/null
  rm -rf "$DIR"
) > /dev/null 2>&1 < /dev/null &
disown -a

echo "LAB_HOSTFWD=$AGENT_PORT LAB_RW_HUB=http://10.0.2.2:$HUB_PORT DAXFLEET_JOIN_TOKEN=$JOIN DAXFLEET_LAB_HUB_TOKEN=$ADMIN"
