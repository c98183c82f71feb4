# lab/tools/dax-guest.sh — sourced INSIDE the guest by lab/tests/dax-walk.sh (after guest/lib.sh and
# tests/guest-lib.sh): what the guest tells the DAX walk, and its own checks. Every answer comes from ndctl, xfs_io
# and statx here, never from daxfleet.
#
# The request channel: the Playwright spec (e2e/lab-tests/dax-guest.ts) writes $DG_REQ/NAME.json, one JSON object
# {"action": ..., ...} (written to a temp name and renamed), and waits for $DG_ANS/NAME.json. Both directories are in
# the run dir that host and guest share at the same path (9p without cache: a new file shows at once). One python
# process answers them all (a python start costs seconds under TCG). Actions:
#   create-file {path}  a new 4 KiB file under $MNT (what a workload does in a flagged directory) -> its attrs
#   hold-open {path}    `sleep 600 < path`, left running (a process holding it open) -> {pid, command};
#                       its pid also goes to $LAB_OUT/dw-holder.pid
#   attrs {paths}       -> {path: {flag, dax, xfs_io}} (see attrs below)
#   ndctl {label}       -> ndctl list -R -N -X -i by region, and bytes by mode (see ndctl below); kept as
#                       dw-ndctl-LABEL.json
DG_REQ=$LAB_OUT/dax-walk.req
DG_ANS=$LAB_OUT/dax-walk.ans
mkdir -p "$DG_REQ" "$DG_ANS"

DG_PY=$(cat <<'PY'
import ctypes, json, os, re, subprocess, sys, time

STATX_ATTR_DAX = 0x00200000
libc = ctypes.CDLL(None, use_errno=True)

def statx_dax(path):
    buf = ctypes.create_string_buffer(256)
    if libc.statx(-100, path.encode(), 0x100, 0xfff, buf) != 0:   # AT_FDCWD, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), path)
    return bool(int.from_bytes(buf.raw[8:16], "little") & STATX_ATTR_DAX)   # struct statx: stx_attributes at 8

def attrs(paths):
    """FS_XFLAG_DAX as `xfs_io -r -c lsattr` shows it ('x'); STATX_ATTR_DAX from statx(2) for regular files
    (directories never report it); a missing path: {"missing": true}"""
    out = {}
    for path in paths:
        if not os.path.lexists(path):
            out[path] = {"missing": True}
            continue
        flags = subprocess.run(["xfs_io", "-r", "-c", "lsattr", path], capture_output=True, text=True).stdout.split()
        entry = {"flag": bool(flags) and "x" in flags[0], "xfs_io": flags[0] if flags else ""}
        if os.path.isfile(path):
            entry["dax"] = statx_dax(path)
        out[path] = entry
    return out

def ndctl(label, out_dir):
    """ndctl list -R -N -X -i (disabled namespaces too, as the agent scans them; idle seeds of size 0 left out):
    each namespace with ndctl's size (usable) and the region space it takes (the kernel's namespaceX.Y/size).
    capacity counts that space by mode, so raw + sector + fsdax + devdax + system-ram + free = total; per region the
    namespaces' space plus ndctl's available_size must be ndctl's size ("consistent"). A devdax namespace counts as
    system-ram when its devices are."""
    text = subprocess.run(["ndctl", "list", "-R", "-N", "-X", "-i"], capture_output=True, text=True, check=True).stdout.strip()
    listed = json.loads(text) if text else []
    # ndctl prints {"regions": [...]} for several regions, the bare region object for one
    regions = listed if isinstance(listed, list) else listed["regions"] if "regions" in listed else [listed]
    capacity = dict.fromkeys(["raw", "sector", "fsdax", "devdax", "system-ram", "free", "total"], 0)
    out, consistent = [], True
    for r in sorted(regions, key=lambda r: r["dev"]):
        nss, occupied = [], 0
        for n in r.get("namespaces", []):
            space = int(open("/sys/bus/nd/devices/" + n["dev"] + "/size").read().strip() or 0)
            if space == 0:
                continue
            devices = [{"chardev": d.get("chardev"), "mode": d.get("mode")} for d in (n.get("daxregion") or {}).get("devices", [])]
            mode = n.get("mode")
            key = "system-ram" if mode == "devdax" and devices and all(d["mode"] == "system-ram" for d in devices) else mode
            if key in capacity:
                capacity[key] += space
            occupied += space
            nss.append({"dev": n["dev"], "mode": mode, "size": n.get("size"), "space": space, "name": n.get("name"), "devices": devices})
        capacity["free"] += r.get("available_size", 0)
        capacity["total"] += r.get("size", 0)
        consistent = consistent and occupied + r.get("available_size", 0) == r.get("size")
        out.append({"dev": r["dev"], "size": r.get("size"), "available_size": r.get("available_size"), "namespaces": nss})
    label = re.sub("[^a-z0-9-]", "-", label)
    answer = {"label": label, "regions": out, "capacity": capacity, "consistent": consistent}
    with open(os.path.join(out_dir, f"dw-ndctl-{label}.json"), "w") as f:
        json.dump(answer, f)
    return answer

def answer(request, mnt, out_dir):
    action, path = request.get("action"), request.get("path", "")
    if action == "create-file":
        if not path.startswith(mnt + "/"):
            return {"error": f"create-file: {path} is outside {mnt}"}
        with open(path, "wb") as f:
            f.write(os.urandom(4096))
            os.fsync(f.fileno())
        return attrs([path])
    if action == "hold-open":
        if not os.path.isfile(path):
            return {"error": f"hold-open: no file {path}"}
        with open(path, "rb") as f:
            holder = subprocess.Popen(["sleep", "600"], stdin=f, stdout=subprocess.DEVNULL, start_new_session=True)
        with open(os.path.join(out_dir, "dw-holder.pid"), "w") as f:
            f.write(str(holder.pid))
        return {"pid": holder.pid, "command": "sleep"}
    if action == "attrs":
        return attrs(request.get("paths", []))
    if action == "ndctl":
        return ndctl(request.get("label", "x"), out_dir)
    return {"error": f"unknown action {action!r}"}

def serve(req_dir, ans_dir, done_file, seconds, mnt, out_dir):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not os.path.exists(done_file):
        for name in sorted(os.listdir(req_dir)):
            if not name.endswith(".json") or os.path.exists(os.path.join(ans_dir, name)):
                continue
            t0 = time.monotonic()
            try:
                reply = answer(json.load(open(os.path.join(req_dir, name))), mnt, out_dir)
            except Exception as err:   # the spec shows it; the walk goes on
                reply = {"error": f"{type(err).__name__}: {err}"}
            with open(os.path.join(ans_dir, name + ".tmp"), "w") as f:
                json.dump(reply, f)
            os.rename(os.path.join(ans_dir, name + ".tmp"), os.path.join(ans_dir, name))
            print(f"request {name} ({time.monotonic() - t0:.1f} s): {json.dumps(reply)[:400]}", flush=True)
        time.sleep(0.2)
    return os.path.exists(done_file)

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "attrs":
        print(json.dumps(attrs(args)))
    elif cmd == "ndctl":
        print(json.dumps(ndctl(args[0], args[1])))
    elif cmd == "serve":
        sys.exit(0 if serve(args[0], args[1], args[2], float(args[3]), args[4], args[5]) else 1)
PY
)

# dg_attrs PATH...: {"PATH": {"flag": .., "dax": .., "xfs_io": ..}, ...}
dg_attrs() { python3 -c "$DG_PY" attrs "$@"; }
# dg_ndctl LABEL: the guest's namespaces and bytes by mode now (also saved as $LAB_OUT/dw-ndctl-LABEL.json)
dg_ndctl() { python3 -c "$DG_PY" ndctl "$1" "$LAB_OUT"; }
# dg_serve DONE_FILE SECONDS: answer requests (in name order) until DONE_FILE exists or SECONDS passed
dg_serve() {
  python3 -c "$DG_PY" serve "$DG_REQ" "$DG_ANS" "$1" "$2" "$MNT" "$LAB_OUT" \
    || fail dw-playwright-done "no $1 after $2 s"
}
# dg_holder: the pid of the process a hold-open request started (empty when none)
dg_holder() { cat "$LAB_OUT/dw-holder.pid" 2>/dev/null; }

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
