# lab/guest/lib.sh — helpers for guest scripts (sourced, bash). Runs INSIDE the guest.
# Env set by the host's job wrapper: LAB_DIR (lab/ on the host, read-only here), LAB_REPO, LAB_CACHE,
# LAB_RUN (this run's dir in the shared cache, read-write), LAB_OUT (= $LAB_RUN/out).
step() { echo; echo "=== $* (uptime $(cut -d' ' -f1 /proc/uptime))"; }
# run CMD...: echo and run; the transcript ("+ cmd" lines) ends up in NOTE.md of recorded fixtures
# (the "+" line goes to stderr so it survives a caller's >/dev/null)
run()  { echo "+ $*" >&2; "$@"; local rc=$?; [ $rc = 0 ] || echo "[rc=$rc]" >&2; return $rc; }
# must CMD...: like run, but abort the script on failure
must() { run "$@" || { echo "FATAL: '$*' failed" >&2; exit 1; }; }
# ndctl list -N prints a bare object, not a list, when there is exactly one namespace: normalize
ns_json() { ndctl list -N -i "$@" | python3 -c 'import json,sys
t=sys.stdin.read().strip(); n=json.loads(t) if t else []; print(json.dumps(n if isinstance(n,list) else [n]))'; }
# nsfield NAME FIELD: a field of the namespace with that name (blockdev, chardev, dev, ...)
nsfield() { ns_json | python3 -c 'import json,sys
n=[x for x in json.load(sys.stdin) if x.get("name")==sys.argv[1]]
print(n[0].get(sys.argv[2], "") if n else "")' "$1" "$2"; }
# devdax_chardev NAME: the daxX.Y of a devdax namespace
devdax_chardev() { ndctl list -N -X -i | python3 -c 'import json,sys
n=json.load(sys.stdin); n=n if isinstance(n,list) else [n]
print([d["chardev"] for x in n if x.get("name")==sys.argv[1] for d in x["daxregion"]["devices"]][0])' "$1"; }
regions() { ls -d /sys/bus/nd/devices/region* 2>/dev/null | xargs -n1 basename | sort -V; }
# init_labels: give every DIMM an empty label area (fresh QEMU DIMMs are label-less: one raw namespace)
init_labels() { must ndctl disable-region all >/dev/null; must ndctl init-labels -f all
                must ndctl enable-region all >/dev/null; }
# mkns REGION MODE SIZE NAME [extra create-namespace args]
mkns() { local r=$1 m=$2 s=$3 n=$4; shift 4
         must ndctl create-namespace -r "$r" -m "$m" -s "$s" -n "$n" "$@" >/dev/null; }
# inject_bb BLOCKDEV SECTOR COUNT: a bad-block range in /sys/block/BLOCKDEV/badblocks (512-byte sectors,
# block-device relative). It stays in that list only: it never reaches regionN/badblocks.
inject_bb() { run sh -c "echo '$2 $3' > /sys/block/$1/badblocks"; }
# mce_poison REGION BYTE_OFFSET [LOG2_LEN=12]: region-level poison as hardware reports it, through a
# software-injected uncorrectable memory-error MCE at SPA = regionN/resource + offset. The NFIT driver's
# MCE handler adds it to the bus poison list: regionN/badblocks, pmemX/badblocks and ndctl -M show it.
mce_poison() {
  local r=$1 off=$2 lg=${3:-12} base spa d=/sys/kernel/debug/mce-inject
  modprobe mce-inject 2>/dev/null
  mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
  base=$(cat /sys/bus/nd/devices/$r/resource); spa=$(( base + off ))
  printf '+ mce-inject: %s SPA 0x%x (region offset %d), 2^%d bytes\n' "$r" "$spa" "$off" "$lg" >&2
  echo sw > $d/flags; echo 0 > $d/cpu
  printf "0x%x\n" $(( (1<<63) | (1<<61) | (1<<60) | (1<<58) | (0x8<<16) )) > $d/status   # VAL|UC|EN|ADDRV, mem error
  echo "$spa" > $d/addr; echo "$lg" > $d/misc
  local before i; before=$(wc -l < /sys/bus/nd/devices/$r/badblocks)
  echo 4 > $d/bank                               # writing bank triggers the injection
  # the decoder runs from a workqueue: wait (<= 10 s) for the region's list to grow
  for i in $(seq 1 40); do
    [ "$(wc -l < /sys/bus/nd/devices/$r/badblocks)" -gt "$before" ] && break; sleep 0.25; done
  echo "  $r/badblocks: $(tr '\n' ' ' < /sys/bus/nd/devices/$r/badblocks)"
}
