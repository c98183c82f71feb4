#!/bin/bash
# lab/tools/alert-stack.sh CLI STATE_DIR WATCH_PID [COPY_TO] — ON THE HOST: the host side of the media-error
# alert test and benchmark. Starts
#   * a real hub (`daxfleet serve --role hub` on a free loopback port, a random first-admin password),
#   * lab/tools/webhook-receiver.mjs on a free loopback port (signature checks, receipt times, the injection clock),
#   * through the hub's REST API (admin API token from tools/hub-tokens.mjs): three webhook subscriptions pointing
#     at the receiver, one per body format: dx (daxfleet), am (alertmanager), ce (cloudevents), each with its own
#     secret, which the receiver gets in its secrets file,
# and a join token for the guest's agent. LAB_MW_HOOKS picks the subscriptions (default "dx am ce"; the
# benchmark uses "dx" only). Prints one line of KEY=VALUE words for the guest's environment
# (`lab run` passes LAB_* and DAXFLEET_* into the guest): LAB_MW_RX (the receiver), LAB_MW_HUB (the hub, both as the
# guest sees the host: 10.0.2.2), DAXFLEET_JOIN_TOKEN, DAXFLEET_LAB_HUB_TOKEN; LAB_MW_RX_LOCAL for the host.
#
# Everything runs in the background and stops by itself: when the receiver exits (the guest ends with
# POST /quit; the receiver's --max-seconds LAB_MW_MAX_SECONDS, default 900, is the backstop) or WATCH_PID (the
# caller, e.g. lab/test.sh) is gone. Then hub.log, receiver.jsonl and subscriptions.json are copied into COPY_TO
# (if given and it exists: the run's out/ dir) and STATE_DIR is removed.
set -uo pipefail
[ $# -ge 3 ] || { echo "usage: alert-stack.sh CLI STATE_DIR WATCH_PID [COPY_TO]" >&2; exit 2; }
CLI=$1 DIR=$2 WATCH=$3 COPY_TO=${4:-}
TOOLS=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
[ -f "$CLI" ] || { echo "no daxfleet CLI at $CLI (build it: pnpm -r build)"; exit 1; }
mkdir -p "$DIR" || exit 1
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

HUB_PORT=$(free_port)
password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
DAXFLEET_ADMIN_PASSWORD=$password setsid node "$CLI" serve --role hub --host 127.0.0.1 --port "$HUB_PORT" \
  --data-dir "$DIR/hub" > "$DIR/hub.log" 2>&1 < /dev/null &
HUB_PID=$!
echo '{}' > "$DIR/secrets.json"
setsid node "$TOOLS/webhook-receiver.mjs" --port 0 --port-file "$DIR/rx.port" --secrets "$DIR/secrets.json" \
  --log "$DIR/receiver.jsonl" --max-seconds "${LAB_MW_MAX_SECONDS:-900}" > "$DIR/receiver.out" 2>&1 < /dev/null &
RX_PID=$!
cleanup_now() { kill "$HUB_PID" "$RX_PID" 2>/dev/null; rm -rf "$DIR"; }
up=0
for _ in $(seq 1 150); do
  grep -q 'listening on' "$DIR/hub.log" 2>/dev/null && [ -s "$DIR/rx.port" ] && { up=1; break; }
  sleep 0.1
done
if [ "$up" = 0 ]; then
  echo "hub or receiver did not start: $(tail -3 "$DIR/hub.log" "$DIR/receiver.out" 2>/dev/null | tr '\n' ' ')"
  cleanup_now; exit 1
fi
RX_PORT=$(cat "$DIR/rx.port")
HUB_LOCAL=http://127.0.0.1:$HUB_PORT
tokens=$(node "$TOOLS/hub-tokens.mjs" "$HUB_LOCAL" "$password" lab-media 2>&1) || { echo "$tokens"; cleanup_now; exit 1; }
ADMIN=${tokens%% *} JOIN=${tokens##* }

# the subscriptions: secrets made here (>= 16 characters); a secret the hub answers with wins
if ! node - "$HUB_LOCAL" "$ADMIN" "http://127.0.0.1:$RX_PORT" "$DIR/secrets.json" > "$DIR/subscriptions.json" 2> "$DIR/subscriptions.err" <<'JS'
const [hub, token, rx, secretsFile] = process.argv.slice(2);
const { randomBytes } = await import('node:crypto');
const { writeFileSync } = await import('node:fs');
const secrets = {}, subs = [];
const formats = { dx: 'daxfleet', am: 'alertmanager', ce: 'cloudevents' };
const wanted = (process.env.LAB_MW_HOOKS ?? 'dx am ce').split(/\s+/).filter(Boolean);
for (const name of wanted) {
  const format = formats[name];
  if (!format) { console.error(`LAB_MW_HOOKS: unknown subscription "${name}" (dx, am, ce)`); process.exit(1); }
  const secret = `lab_${randomBytes(24).toString('base64url')}`;
  const res = await fetch(`${hub}/api/v1/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: `lab-${name}`, url: `${rx}/hook/${name}`, format, secret }),
  });
  const text = await res.text();
  if (!res.ok) { console.error(`POST /api/v1/webhooks (${format}): HTTP ${res.status} ${text}`); process.exit(1); }
  const body = JSON.parse(text);
  secrets[name] = body.secret ?? secret;
  subs.push({ name, format, id: body.id ?? body.subscription?.id });
}
writeFileSync(secretsFile, JSON.stringify(secrets));
console.log(JSON.stringify(subs));
JS
then echo "creating the webhook subscriptions failed: $(head -c 400 "$DIR/subscriptions.err")"; cleanup_now; exit 1; fi

# the watchdog: stop and clean up when the receiver is done or the caller is gone
(
  while kill -0 "$RX_PID" 2>/dev/null && kill -0 "$WATCH" 2>/dev/null; do sleep 1; done
  kill "$RX_PID" 2>/dev/null; kill "$HUB_PID" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$HUB_PID" 2>/dev/null || break; sleep 0.5; done
  if [ -n "$COPY_TO" ] && [ -d "$COPY_TO" ]; then
    cp "$DIR/hub.log" "$COPY_TO/host-hub.log" 2>/dev/null
    cp "$DIR/receiver.jsonl" "$COPY_TO/host-receiver.jsonl" 2>/dev/null
    cp "$DIR/subscriptions.json" "$COPY_TO/host-subscriptions.json" 2>/dev/null
  fi
  rm -rf "$DIR"
) > /dev/null 2>&1 < /dev/null &
disown

echo "LAB_MW_RX=http://10.0.2.2:$RX_PORT LAB_MW_HUB=http://10.0.2.2:$HUB_PORT LAB_MW_RX_LOCAL=http://127.0.0.1:$RX_PORT DAXFLEET_JOIN_TOKEN=$JOIN DAXFLEET_LAB_HUB_TOKEN=$ADMIN"
