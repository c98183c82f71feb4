#!/bin/bash
# lab/tests/recovery-walk.sh — INSIDE the guest (LAB_NET=open: the host's loopback is 10.0.2.2; LAB_HOSTFWD: host
# 127.0.0.1:PORT reaches this guest's PORT): the guest side of the recovery walk. lab/test.sh first runs
# lab/tools/recovery-stack.sh on the host (a real hub with its web UI, an admin token, a join token, and a runner that
# starts the Playwright spec e2e/lab-tests/recovery-walk.spec.ts once this guest is ready). Here:
#   1. an fsdax namespace, ext4 on it mounted -o dax, a known 1 MiB file whose every 4 KiB block carries its number,
#      and a bad range (8 sectors = one 4 KiB block) written to /sys/block/pmemX/badblocks under block BAD_BLOCK of
#      the file (its place on the device from filefrag, the independent oracle);
#   2. the daxfleet agent, enrolled with the join token, listening on the forwarded port and advertising
#      http://127.0.0.1:PORT, so the hub on the host can send it signed recovery commands; once the hub's ledger
#      lists the range with this file hit, $LAB_OUT/recovery-walk.ready tells the host's runner to start Playwright,
#      which walks the UI: plan a punch-hole, execute it, watch it, read the result and the audit log;
#   3. while Playwright runs, this guest polls the hub until the plan reached a final status, then checks the file on
#      its own: size kept, the punched block reads zeros, every other byte is the original content, and the kernel
#      still lists the range (QEMU cannot clear poison: the freed block stays listed until it is allocated again);
#   4. it waits for Playwright (the host's $LAB_OUT/playwright.done) and adds its results to results.txt.
# Expected values come from the setup here (filefrag, sysfs resource attributes), not from daxfleet.
source "$LAB_DIR/guest/lib.sh"
source "$LAB_DIR/tests/guest-lib.sh"
HOST_ID=lab-recovery
HUB=${LAB_RW_HUB:-}
PORT=${LAB_HOSTFWD:-}
MNT=/mnt/rw
FILE=$MNT/db/orders.tbl
BLOCKS=256          # the file: 256 blocks of 4 KiB
BAD_BLOCK=5         # the bad range sits under this block of the file
if [ "$SELF" = 1 ]; then skip recovery-walk "no daxfleet CLI at $CLI"; exit 0; fi
[ -n "$HUB" ] && [ -n "$PORT" ] || { fail recovery-walk "LAB_RW_HUB / LAB_HOSTFWD not set (run through lab/test.sh)"; exit 0; }

# hub PATH: GET from the hub with the admin token (body on stdout; non-2xx = failure)
hub() { curl -sS --fail-with-body --max-time 10 -H "authorization: Bearer ${DAXFLEET_LAB_HUB_TOKEN:-}" "$HUB/api/v1$1"; }
finish() {
  [ -n "${agent:-}" ] && { kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null; }
  [ -f "$LAB_OUT/playwright.results" ] || fail rw-ui "Playwright did not finish while the guest waited: $(tail -3 "$LAB_OUT/playwright.log" 2>/dev/null | tr '\n' ' ')"
}
trap finish EXIT

# the agent first: node starts slowly under TCG, the namespace and the file are made meanwhile (its next scan
# finds them)
step "agent -> $HUB, listening on :$PORT (host 127.0.0.1:$PORT)"
node "$CLI" serve --role agent --hub-url "$HUB" --hostname "$HOST_ID" --host-id "$HOST_ID" \
  --host 0.0.0.0 --port "$PORT" --advertise-url "http://127.0.0.1:$PORT" \
  --data-dir /tmp/daxfleet-agent --interval 5000 > "$LAB_OUT/agent.log" 2>&1 &
agent=$!
step "fsdax namespace, ext4 -o dax, the known file"
init_labels
R=($(regions))
mkns "${R[0]}" fsdax 256M rw-fsdax -M mem
NS=$(nsfield rw-fsdax dev); PX=$(nsfield rw-fsdax blockdev)
REGION=$(basename "$(readlink -f "/sys/bus/nd/devices/$NS/..")")
must mkfs.ext4 -q -F -b 4096 "/dev/$PX"
mkdir -p "$MNT"; must mount -o dax "/dev/$PX" "$MNT"
mkdir -p "$MNT/db"
# block N: "recovery-walk block N|" repeated, so no block is zeros and every block is distinct
python3 - "$FILE" "$BLOCKS" <<'PY'
import sys
path, blocks = sys.argv[1], int(sys.argv[2])
with open(path, 'wb') as f:
    for n in range(blocks):
        unit = f'recovery-walk block {n:04d}|'.encode()
        f.write((unit * (4096 // len(unit) + 1))[:4096])
PY
sync
cp "$FILE" /tmp/orders.orig      # the original content, for the check after the recovery (tmpfs, not pmem)
# the oracle: the file's first extent on the device (ext4, 4 KiB blocks): "0: 0.. 255: PHYS.. END: LEN:"
EXT=$(filefrag -v "$FILE" | sed -n 's/^ *0: *\([0-9]*\)\.\. *[0-9]*: *\([0-9]*\)\.\. *[0-9]*: *\([0-9]*\):.*/\1 \2 \3/p')
read -r LOGICAL PHYS LEN <<< "$EXT"
if [ "${LOGICAL:-x}" != 0 ] || [ "${LEN:-0}" -lt $((BAD_BLOCK + 1)) ]; then
  fail rw-setup "unexpected first extent of $FILE: '$EXT' ($(filefrag -v "$FILE" | tr '\n' ' '))"; exit 0; fi
SECTOR=$(( (PHYS + BAD_BLOCK) * 8 ))                 # block-device sector of the bad block (4096 / 512 = 8)
REGION_OFFSET=$(( ( $(ns_start "$NS") + $(data_offset "$NS") ) / 512 + SECTOR ))
inject_bb "$PX" "$SECTOR" 8
echo "file $FILE: blocks $PHYS.. on /dev/$PX; bad range /dev/$PX sector $SECTOR +8 = $REGION+$REGION_OFFSET, file bytes $((BAD_BLOCK * 4096))+4096"
# the premise: a read of that block fails before the recovery
if dd if="$FILE" of=/dev/null bs=4096 skip=$BAD_BLOCK count=1 2>/dev/null; then
  fail rw-setup "reading block $BAD_BLOCK of $FILE worked after the injection: no bad block under it"; exit 0; fi
pass rw-setup

step "waiting for the hub to list the range with the file it hits"
# the hub's ledger lists the range, mapped to the file (the agent maps a new range under a mounted filesystem)
ready=0; deadline=$((SECONDS + ${LAB_RW_MAP_WAIT:-200}))
while [ $SECONDS -lt $deadline ]; do
  hub "/hosts/$HOST_ID/ledger?state=open" > "$LAB_OUT/ledger-before.json" 2>/dev/null \
    && python3 - "$LAB_OUT/ledger-before.json" "$REGION" "$REGION_OFFSET" "$FILE" <<'PY' && { ready=1; break; }
import json, sys
page, region, offset, path = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), sys.argv[4]
ok = any(e['range']['region'] == region and e['range']['region_offset'] == offset
         and any(h.get('path') == path for h in (e.get('files') or {}).get('hits', [])) for e in page['entries'])
sys.exit(0 if ok else 1)
PY
  kill -0 $agent 2>/dev/null || break
  sleep 0.5
done
if [ "$ready" = 1 ]; then pass rw-agent-mapped
else fail rw-agent-mapped "the hub's ledger never listed $REGION+$REGION_OFFSET hitting $FILE (${LAB_RW_MAP_WAIT:-200} s)"; sed 's/^/    /' "$LAB_OUT/agent.log" | tail -20; exit 0; fi

# what the spec needs, in one write (the host's runner waits for this file)
cat > "$LAB_OUT/recovery-walk.ready.tmp" <<EOF
{"host_id":"$HOST_ID","path":"$FILE","mountpoint":"$MNT","namespace":"$NS","blockdev":"$PX","region":"$REGION",
 "region_offset":$REGION_OFFSET,"length":8,"sector":$SECTOR,"file_offset":$((BAD_BLOCK * 4096)),"file_length":4096,
 "file_size":$((BLOCKS * 4096))}
EOF
mv "$LAB_OUT/recovery-walk.ready.tmp" "$LAB_OUT/recovery-walk.ready"

step "waiting for the plan the UI makes to reach a final status"
status=""; deadline=$((SECONDS + ${LAB_RW_PLAN_WAIT:-150}))
while [ $SECONDS -lt $deadline ]; do
  if hub "/hosts/$HOST_ID/recovery/plans" > "$LAB_OUT/plans.json" 2>/dev/null; then
    status=$(python3 -c 'import json,sys
final = {"refused","expired","verified","still-present","failed","interrupted"}
plans = [p for p in json.load(open(sys.argv[1]))["plans"] if p["action"] == "punch-hole" and p["status"] != "planned"]
print(plans[0]["status"] if plans and plans[0]["status"] in final else "")' "$LAB_OUT/plans.json" 2>/dev/null)
    [ -n "$status" ] && break
  fi
  [ -f "$LAB_OUT/playwright.done" ] && break       # the walk ended without executing a plan
  sleep 0.5
done
echo "plan status: ${status:-none}"
if [ "$status" = still-present ]; then pass rw-plan-final
else fail rw-plan-final "the executed punch-hole plan ended '${status:-never}', expected still-present (QEMU cannot clear poison)"; fi

if [ -n "$status" ]; then
  step "the file, checked here"
  if python3 - "$FILE" /tmp/orders.orig "$BAD_BLOCK" > "$LAB_OUT/file-check.txt" 2>&1 <<'PY'
import os, sys
path, orig_path, bad = sys.argv[1], sys.argv[2], int(sys.argv[3])
orig = open(orig_path, 'rb').read()
size = os.stat(path).st_size
assert size == len(orig), f'size {size}, expected {len(orig)} (punch-hole keeps the size)'
data = open(path, 'rb').read()          # the whole file: no EIO any more
lo, hi = bad * 4096, (bad + 1) * 4096
assert data[lo:hi] == bytes(hi - lo), f'bytes {lo}-{hi - 1} are not all zeros'
assert data[:lo] == orig[:lo] and data[hi:] == orig[hi:], 'bytes outside the punched block differ from the original'
print(f'size {size} kept, bytes {lo}-{hi - 1} read zeros, the other {size - (hi - lo)} bytes are the original')
PY
  then pass rw-file-after; else fail rw-file-after "$(tail -1 "$LAB_OUT/file-check.txt")"; fi
  # QEMU's NVDIMM cannot clear poison: the freed block stays in the block device's list
  if grep -q "^$SECTOR 8$" "/sys/block/$PX/badblocks"; then pass rw-range-still-listed
  else fail rw-range-still-listed "/sys/block/$PX/badblocks: '$(tr '\n' ' ' < "/sys/block/$PX/badblocks")'"; fi
fi

step "waiting for Playwright on the host"
deadline=$((SECONDS + ${LAB_RW_PW_WAIT:-120}))
while [ $SECONDS -lt $deadline ] && [ ! -f "$LAB_OUT/playwright.done" ]; do sleep 0.5; done
hub "/hosts/$HOST_ID/ledger?state=open" > "$LAB_OUT/ledger-after.json" 2>/dev/null   # what the hub shows now
if [ -f "$LAB_OUT/playwright.results" ]; then
  cat "$LAB_OUT/playwright.results"
  grep -E '^(PASS|FAIL|SKIP) ' "$LAB_OUT/playwright.results" >> "$RESULTS"
fi
exit 0
