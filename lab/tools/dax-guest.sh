# lab/tools/dax-guest.sh — sourced INSIDE the guest by lab/tests/dax-walk.sh (after guest/lib.sh and
# tests/guest-lib.sh): what the guest tells the DAX walk, and its own checks. Every answer comes from ndctl, xfs_io
# and statx here, never from daxfleet.
#
# The request channel: the Playwright spec (e2e/lab-tests/dax-guest.ts) writes $DG_REQ/NAME.json, one JSON object
# {"action": ..., ...} (written to a temp name and renamed), and waits for $DG_ANS/NAME.json. Both directories are in
# the run dir that host and guest share at the same path. Actions:
#   create-file {path}  a new 4 KiB file (what a workload does in a flagged directory) -> its attrs
#   hold-open {path}    `sleep 600 < path` in the background (a process holding it open) -> {pid, command}
#   attrs {paths}       -> {path: {flag, dax}} (dg_attrs)
#   ndctl {label}       -> ndctl list -R -N -X -i by region, and bytes by mode (dg_ndctl); kept as dw-ndctl-LABEL.json
DG_REQ=$LAB_OUT/dax-walk.req
DG_ANS=$LAB_OUT/dax-walk.ans
mkdir -p "$DG_REQ" "$DG_ANS"

# dg_attrs PATH...: {"PATH": {"flag": FS_XFLAG_DAX per `xfs_io -r -c lsattr` ('x'), "dax": STATX_ATTR_DAX per statx(2)
# (files only; directories never report it)}, ...}; a missing path: {"missing": true}
dg_attrs() {
  local p flags
  for p in "$@"; do
    if [ -e "$p" ]; then flags=$(xfs_io -r -c lsattr "$p" 2>&1 | awk '{print $1}'); else flags=MISSING; fi
    printf '%s\t%s\n' "$p" "$flags"
  done | python3 -c '
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
STATX_ATTR_DAX = 0x00200000
def statx_dax(path):
    buf = ctypes.create_string_buffer(256)
    if libc.statx(-100, path.encode(), 0x100, 0xfff, buf) != 0:   # AT_FDCWD, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), path)
    attributes = int.from_bytes(buf.raw[8:16], "little")             # struct statx: stx_attributes at offset 8
    return bool(attributes & STATX_ATTR_DAX)
out = {}
for line in sys.stdin.read().splitlines():
    path, flags = line.split("\t")
    if flags == "MISSING": out[path] = {"missing": True}; continue
    entry = {"flag": "x" in flags, "xfs_io": flags}
    if os.path.isfile(path): entry["dax"] = statx_dax(path)
    out[path] = entry
print(json.dumps(out))'
}

# dg_ndctl LABEL: `ndctl list -R -N -X -i` (disabled namespaces too, as the agent scans them; idle seeds of size 0
# left out) as {regions: [{dev, size, available_size, namespaces: [{dev, mode, size, space, name, devices}]}],
# capacity: bytes by mode}. size is ndctl's (an fsdax/devdax/sector namespace's usable size); space is the region
# space it takes (the kernel's namespaceX.Y/size): capacity counts space, so raw + sector + fsdax + devdax +
# system-ram + free = total, and per region the namespaces' space plus ndctl's available_size must be ndctl's size
# (checked: "consistent"). A devdax namespace counts as system-ram when its devices are. Saved as dw-ndctl-LABEL.json.
dg_ndctl() {
  ndctl list -R -N -X -i | python3 -c '
import json, sys
text = sys.stdin.read().strip()
regions = json.loads(text) if text else []
regions = regions if isinstance(regions, list) else [regions]
capacity = dict.fromkeys(["raw", "sector", "fsdax", "devdax", "system-ram", "free", "total"], 0)
out, consistent = [], []
for r in sorted(regions, key=lambda r: r["dev"]):
    nss, occupied = [], 0
    for n in r.get("namespaces", []):
        space = int(open("/sys/bus/nd/devices/" + n["dev"] + "/size").read().strip() or 0)
        if space == 0: continue
        devices = [{"chardev": d.get("chardev"), "mode": d.get("mode")} for d in (n.get("daxregion") or {}).get("devices", [])]
        mode = n.get("mode")
        key = "system-ram" if mode == "devdax" and devices and all(d["mode"] == "system-ram" for d in devices) else mode
        if key in capacity: capacity[key] += space
        occupied += space
        nss.append({"dev": n["dev"], "mode": mode, "size": n.get("size"), "space": space, "name": n.get("name"), "devices": devices})
    capacity["free"] += r.get("available_size", 0)
    capacity["total"] += r.get("size", 0)
    consistent.append(occupied + r.get("available_size", 0) == r.get("size"))
    out.append({"dev": r["dev"], "size": r.get("size"), "available_size": r.get("available_size"), "namespaces": nss})
print(json.dumps({"label": sys.argv[1], "regions": out, "capacity": capacity, "consistent": all(consistent)}))' "$1" | tee "$LAB_OUT/dw-ndctl-$1.json"
}

# dg_answer NAME REQUEST_FILE: one request -> $DG_ANS/NAME.json
dg_answer() {
  local name=$1 req=$2 action path label
  action=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("action",""))' "$req" 2>/dev/null)
  path=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("path",""))' "$req" 2>/dev/null)
  echo "request $name: $action $path"
  case $action in
    create-file)
      case $path in "$MNT"/*) ;; *) echo '{"error":"create-file: path outside the walk'"'"'s mount"}'; return ;; esac
      head -c 4096 /dev/urandom > "$path" && sync && dg_attrs "$path" ;;
    hold-open)
      [ -f "$path" ] || { echo '{"error":"hold-open: no such file"}'; return; }
      sleep 600 < "$path" > /dev/null 2>&1 &
      holder=$!
      echo "{\"pid\":$holder,\"command\":\"sleep\"}" ;;
    attrs)
      mapfile -t paths < <(python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["paths"]))' "$req")
      dg_attrs "${paths[@]}" ;;
    ndctl)
      label=$(python3 -c 'import json,sys,re; l=json.load(open(sys.argv[1])).get("label","x"); print(re.sub("[^a-z0-9-]","-",l))' "$req")
      dg_ndctl "$label" ;;
    *) echo "{\"error\":\"unknown action '$action'\"}" ;;
  esac
}

# dg_serve DONE_FILE SECONDS: answer requests (in name order) until DONE_FILE exists or SECONDS passed
dg_serve() {
  local done_file=$1 deadline=$((SECONDS + $2)) req name
  while [ $SECONDS -lt "$deadline" ] && [ ! -f "$done_file" ]; do
    for req in "$DG_REQ"/*.json; do
      [ -f "$req" ] || continue
      name=$(basename "$req" .json)
      [ -f "$DG_ANS/$name.json" ] && continue
      dg_answer "$name" "$req" > "$DG_ANS/$name.json.tmp" 2>"$LAB_OUT/dw-request-$name.err"
      mv "$DG_ANS/$name.json.tmp" "$DG_ANS/$name.json"
      cat "$DG_ANS/$name.json"
    done
    sleep 0.2
  done
  [ -f "$done_file" ] || fail dw-playwright-done "no $done_file after $2 s"
}

# dg_check_after ATTRS.json HOLDER_PID: what the policy steps of the walk must have left, as this guest sees it
dg_check_after() {
  local alive=0
  [ -n "$2" ] && kill -0 "$2" 2>/dev/null && alive=1
  python3 - "$1" "$MNT" "$alive" > "$LAB_OUT/dw-guest-checks.txt" 2>&1 <<'PY'
import json, sys
a, mnt, alive = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3] == "1"
def get(rel): return a.get(f"{mnt}/{rel}", {"missing": True})
def line(name, ok, why): print(f"PASS {name}" if ok else f"FAIL {name}: {why}")
d, sub, old, new = get("data"), get("data/sub"), get("data/old.tbl"), get("data/new.tbl")
line("dw-guest-dir-flag", d.get("flag") is True and sub.get("flag") is False and old.get("flag") is False,
     f"data/ flag {d.get('flag')} (want True), data/sub {sub.get('flag')} and data/old.tbl {old.get('flag')} (want False: existing none)")
line("dw-guest-old-file-not-dax", old.get("dax") is False, f"data/old.tbl statx DAX {old.get('dax')} (want False)")
line("dw-guest-new-file-dax", new.get("flag") is True and new.get("dax") is True,
     f"data/new.tbl {new} (want flag True inherited, statx DAX True)")
logs, held = get("logs"), get("logs/held.log")
line("dw-guest-held-flagged", logs.get("flag") is True and held.get("flag") is True,
     f"logs/ flag {logs.get('flag')}, logs/held.log flag {held.get('flag')} (want both True: existing all)")
if alive:
    line("dw-guest-held-pending", held.get("dax") is False, f"logs/held.log statx DAX {held.get('dax')} while held open (want False: not evicted)")
else:
    print("FAIL dw-guest-held-pending: the walk never had the guest hold logs/held.log open (no holder process)")
PY
  cat "$LAB_OUT/dw-guest-checks.txt"
  grep -E '^(PASS|FAIL) ' "$LAB_OUT/dw-guest-checks.txt" >> "$RESULTS"
}

# dg_check_namespaces FREE_REGION: the namespace sequence the walk asked ndctl about (labels after-create,
# after-reconfigure, after-destroy) and the end state against the start (dw-ndctl-before / -after)
dg_check_namespaces() {
  python3 - "$LAB_OUT" "$1" > "$LAB_OUT/dw-guest-namespaces.txt" 2>&1 <<'PY'
import json, os, sys
out, free = sys.argv[1], sys.argv[2]
def load(label):
    p = f"{out}/dw-ndctl-{label}.json"
    return json.load(open(p)) if os.path.exists(p) else None
def in_free(snap): return [n for r in snap["regions"] if r["dev"] == free for n in r["namespaces"]]
def line(name, ok, why): print(f"PASS {name}" if ok else f"FAIL {name}: {why}")
created, reconf, destroyed = load("after-create"), load("after-reconfigure"), load("after-destroy")
if created is None: line("dw-guest-ns-created", False, "the walk never asked for ndctl after its create")
else:
    ns = in_free(created)
    line("dw-guest-ns-created", len(ns) == 1 and ns[0]["mode"] == "devdax", f"{free} after the create: {ns} (want one devdax namespace)")
if reconf is None: line("dw-guest-ns-reconfigured", False, "the walk never asked for ndctl after its mode change")
else:
    ns = in_free(reconf)
    line("dw-guest-ns-reconfigured", len(ns) == 1 and ns[0]["mode"] == "fsdax", f"{free} after the mode change: {ns} (want one fsdax namespace)")
if destroyed is None: line("dw-guest-ns-destroyed", False, "the walk never asked for ndctl after its destroy")
else:
    ns = in_free(destroyed)
    line("dw-guest-ns-destroyed", ns == [], f"{free} after the destroy: {ns} (want none)")
before, after = load("before"), load("after")
key = lambda s: sorted((r["dev"], n["dev"], n["mode"], n["space"]) for r in s["regions"] for n in r["namespaces"])
line("dw-guest-ns-end-state", before is not None and after is not None and key(before) == key(after),
     f"namespaces at the end {key(after) if after else None} differ from the start {key(before) if before else None}")
PY
  cat "$LAB_OUT/dw-guest-namespaces.txt"
  grep -E '^(PASS|FAIL) ' "$LAB_OUT/dw-guest-namespaces.txt" >> "$RESULTS"
}
