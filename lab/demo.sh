#!/bin/bash
# lab/demo.sh (= `lab/lab demo`) — a namespace-rich pmem guest (every namespace mode, xfs + ext4 DAX
# mounts, bad blocks, system-ram) running the daxfleet AGENT, reporting to a daxfleet HUB on this host.
#
#   lab/lab demo [--port P] [--hub-url URL] [--layout L] [--seconds N] [--no-hub]
#     --port P       hub port on the host (default 7300). If nothing listens there, the demo starts a hub:
#                    node apps/api/dist/cli.js serve --role hub --host 127.0.0.1 --port P --data-dir <cache>/demo-hub
#                    and stops it when the guest exits (--no-hub: never start one)
#     --hub-url URL  what the agent in the guest connects to (default http://10.0.2.2:P)
#     --layout L     default two-dimm-all-modes
#     --seconds N    stop the agent after N seconds and power off (default 0: run until Ctrl-A X)
#
# Enrollment: the agent needs a join token. A hub the demo starts gets a random first-admin password, and the
# demo makes a join token through its REST API; for a hub already running, make one (UI: Admin -> Agents) and
# run `DAXFLEET_JOIN_TOKEN=dxf_join_... lab/lab demo` (DAXFLEET_* variables are passed into the guest).
#
# Networking: lab/lab normally gives guests `-netdev user,restrict=on` (or no NIC), which cannot reach the
# host. The demo uses LAB_NET=open (QEMU user-net WITHOUT restrict): in the guest 10.0.2.2 is the host's
# 127.0.0.1, so the agent reaches a hub listening on host loopback. The guest could also reach whatever
# the host can reach; that is why only the demo does this.
set -uo pipefail
LAB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
REPO=$(cd "$LAB_DIR/.." && pwd)
LAB_CACHE=${LAB_CACHE:-$LAB_DIR/.cache}; export LAB_CACHE
PORT=7300 HUB_URL="" LAYOUT=two-dimm-all-modes SECS=0 START_HUB=1
while [ $# -gt 0 ]; do
  case $1 in
    --port) PORT=$2; shift 2 ;;
    --hub-url) HUB_URL=$2; shift 2 ;;
    --layout) LAYOUT=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --no-hub) START_HUB=0; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "lab demo: unknown option $1" >&2; exit 2 ;;
  esac
done
HUB_URL=${HUB_URL:-http://10.0.2.2:$PORT}
CLI=${LAB_CLI:-$REPO/apps/api/dist/cli.js}
HUBPID="" ADMIN_TOKEN=""
cleanup() { [ -n "$HUBPID" ] && kill "$HUBPID" 2>/dev/null && wait "$HUBPID" 2>/dev/null; }
trap cleanup EXIT
if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  if [ "$START_HUB" = 1 ] && [ -f "$CLI" ]; then
    mkdir -p "$LAB_CACHE/demo-hub"
    echo "lab demo: starting a hub on 127.0.0.1:$PORT (log: $LAB_CACHE/demo-hub/hub.log)"
    # the demo hub's first admin: a random password made once and kept beside its data (0600), so a later demo on
    # the same data folder can log in again
    PWFILE=$LAB_CACHE/demo-hub/admin-password
    [ -s "$PWFILE" ] || ( umask 077; head -c 18 /dev/urandom | base64 | tr '+/' '-_' > "$PWFILE" )
    ADMIN_PASSWORD=${DAXFLEET_ADMIN_PASSWORD:-$(cat "$PWFILE")}
    DAXFLEET_ADMIN_PASSWORD=$ADMIN_PASSWORD node "$CLI" serve --role hub --host 127.0.0.1 --port "$PORT" \
      --data-dir "$LAB_CACHE/demo-hub" > "$LAB_CACHE/demo-hub/hub.log" 2>&1 &
    HUBPID=$!
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
    # log in as the first admin, make an API token (for the host list below) and a join token for the agent
    tokens=$(node "$LAB_DIR/tools/hub-tokens.mjs" "http://127.0.0.1:$PORT" "$ADMIN_PASSWORD" lab-demo) && {
      ADMIN_TOKEN=${tokens%% *}; export DAXFLEET_JOIN_TOKEN=${tokens##* }
      echo "lab demo: made a join token for the guest's agent (hub admin password in $PWFILE)"
    }
  else
    echo "lab demo: no hub listens on 127.0.0.1:$PORT$([ -f "$CLI" ] || echo " and no CLI at $CLI to start one")"
  fi
fi
echo "lab demo: layout $LAYOUT, agent -> $HUB_URL$([ "$SECS" -gt 0 ] && echo ", $SECS s")  (open http://127.0.0.1:$PORT/ for the UI)"
to=$(( SECS > 0 ? SECS + 300 : 86400 ))
LAB_NET=open LAB_HOSTNAME=${LAB_HOSTNAME:-pmemlab-demo} LAB_DEMO_SECONDS=$SECS LAB_TIMEOUT=$to LAB_VERBOSE=1 \
  "$LAB_DIR/lab" run --layout "$LAYOUT" "$LAB_DIR/guest/demo-agent.sh" "$HUB_URL"
rc=$?
if [ -n "$HUBPID" ]; then
  echo "lab demo: hosts the hub knows:"
  node -e 'fetch(process.argv[1], { headers: { authorization: "Bearer " + process.argv[2] } }).then(r=>r.json()).then(j=>console.log(JSON.stringify(j,null,1).slice(0,1500))).catch(e=>console.log(String(e)))' \
    "http://127.0.0.1:$PORT/api/v1/hosts" "$ADMIN_TOKEN"
fi
exit $rc
