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
#   daxctl {label, device} -> daxctl list -D, and the device's memory blocks as /sys/devices/system/memory shows
#                       them (state, zone), with MemTotal; kept as dw-daxctl-LABEL.json
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
            nss.append({"dev": n["dev"], "mode": mode, "size": n.get("size"), "space": space, "name": n.get("name"),
                        "sector_size": n.get("sector_size"), "devices": devices})
        capacity["free"] += r.get("available_size", 0)
        capacity["total"] += r.get("size", 0)
        consistent = consistent and occupied + r.get("available_size", 0) == r.get("size")
        out.append({"dev": r["dev"], "size": r.get("size"), "available_size": r.get("available_size"), "namespaces": nss})
    label = re.sub("[^a-z0-9-]", "-", label)
    answer = {"label": label, "regions": out, "capacity": capacity, "consistent": consistent}
    with open(os.path.join(out_dir, f"dw-ndctl-{label}.json"), "w") as f:
        json.dump(answer, f)
    return answer

def read(path):
    with open(path) as f:
        return f.read().strip()

def daxctl(label, device, out_dir):
    """daxctl list -D (every dax device: mode, online_memblocks / total_memblocks, movable) and, for `device`, the
    memory blocks its range covers as the kernel lists them: /sys/devices/system/memory/memoryN/state and, online,
    valid_zones (the zone it is in: "Movable" or "Normal"); in devdax mode there are none. MemTotal from
    /proc/meminfo: onlining the blocks adds them to it."""
    text = subprocess.run(["daxctl", "list", "-D"], capture_output=True, text=True, check=True).stdout.strip()
    listed = json.loads(text) if text else []
    devices = listed if isinstance(listed, list) else [listed]   # one device: a bare object
    block = int(read("/sys/devices/system/memory/block_size_bytes"), 16)
    found = next((d for d in devices if d.get("chardev") == device), None)
    blocks = []
    if found is not None:
        start = int(read(f"/sys/bus/dax/devices/{device}/resource"), 16)
        size = int(read(f"/sys/bus/dax/devices/{device}/size"))
        for i in range(-(-start // block), (start + size) // block):   # the whole blocks inside the range
            mem = f"/sys/devices/system/memory/memory{i}"
            if os.path.isdir(mem):
                state = read(mem + "/state")
                blocks.append({"id": i, "state": state, "zone": read(mem + "/valid_zones") if state == "online" else None})
    mem_total = int(next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal:"))) * 1024
    label = re.sub("[^a-z0-9-]", "-", label)
    answer = {"label": label, "device": found, "blocks": blocks, "block_size": block, "mem_total": mem_total, "devices": devices}
    with open(os.path.join(out_dir, f"dw-daxctl-{label}.json"), "w") as f:
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
    if action == "daxctl":
        return daxctl(request.get("label", "x"), request.get("device", ""), out_dir)
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

def checks(mnt, free, out_dir):
    """The guest's own verdict once the walk is done, one PASS/FAIL line each: the flags and effective states the
    policy steps must have left (xfs_io, statx), and the namespace sequence ndctl showed when the walk asked
    (after-create, after-reconfigure, after-destroy) with the end state against the start."""
    lines = []
    def line(name, ok, why): lines.append(f"PASS {name}" if ok else f"FAIL {name}: {why}")
    a = attrs([f"{mnt}/{rel}" for rel in ("data", "data/sub", "data/old.tbl", "data/new.tbl", "logs", "logs/held.log")])
    with open(os.path.join(out_dir, "dw-attrs-after.json"), "w") as f:
        json.dump(a, f)
    get = lambda rel: a[f"{mnt}/{rel}"]
    d, sub, old, new = get("data"), get("data/sub"), get("data/old.tbl"), get("data/new.tbl")
    line("dw-guest-dir-flag", d.get("flag") is True and sub.get("flag") is False and old.get("flag") is False,
         f"data/ flag {d.get('flag')} (want True), data/sub {sub.get('flag')} and data/old.tbl {old.get('flag')} (want False: existing none)")
    line("dw-guest-old-file-not-dax", old.get("dax") is False, f"data/old.tbl statx DAX {old.get('dax')} (want False)")
    line("dw-guest-new-file-dax", new.get("flag") is True and new.get("dax") is True, f"data/new.tbl {new} (want flag True inherited, statx DAX True)")
    logs, held = get("logs"), get("logs/held.log")
    line("dw-guest-held-flagged", logs.get("flag") is True and held.get("flag") is True,
         f"logs/ flag {logs.get('flag')}, logs/held.log flag {held.get('flag')} (want both True: existing all)")
    try:
        holder = int(open(os.path.join(out_dir, "dw-holder.pid")).read())
        os.kill(holder, 0)
        line("dw-guest-held-pending", held.get("dax") is False, f"logs/held.log statx DAX {held.get('dax')} while held open (want False: not evicted)")
    except (OSError, ValueError):
        line("dw-guest-held-pending", False, "no process holds logs/held.log open (the walk never asked for one, or it died)")

    def load(label, tool="ndctl"):
        path = os.path.join(out_dir, f"dw-{tool}-{label}.json")
        return json.load(open(path)) if os.path.exists(path) else None
    in_free = lambda snap: [n for r in snap["regions"] if r["dev"] == free for n in r["namespaces"]]
    # the namespace in the free region: devdax, then (after its device went to system-ram and back) raw, sector 4096,
    # fsdax, then gone
    for label, name, want_mode, want_sector, what in (
            ("after-create", "dw-guest-ns-created", "devdax", None, "create"),
            ("after-raw", "dw-guest-ns-raw", "raw", None, "change to raw"),
            ("after-sector", "dw-guest-ns-sector", "sector", 4096, "change to sector 4096"),
            ("after-reconfigure", "dw-guest-ns-reconfigured", "fsdax", None, "change to fsdax"),
            ("after-destroy", "dw-guest-ns-destroyed", None, None, "destroy")):
        snap = load(label)
        if snap is None:
            line(name, False, f"the walk never asked for ndctl after its {what}")
            continue
        ns = in_free(snap)
        ok = ns == [] if want_mode is None else (len(ns) == 1 and ns[0]["mode"] == want_mode
                                                and (want_sector is None or ns[0].get("sector_size") == want_sector))
        line(name, ok, f"{free} after the {what}: {ns} (want {'none' if want_mode is None else 'one ' + want_mode + ' namespace'})")
    # its dax device: system-ram with every block online in ZONE_MOVABLE, offline, online again, devdax (no blocks);
    # MemTotal grows by the blocks while they are online
    for label, name, want_mode, want_state in (("after-ram", "dw-guest-dax-system-ram", "system-ram", "online"),
                                               ("after-offline", "dw-guest-dax-offline", "system-ram", "offline"),
                                               ("after-online", "dw-guest-dax-online", "system-ram", "online"),
                                               ("after-devdax", "dw-guest-dax-devdax", "devdax", None)):
        snap = load(label, "daxctl")
        if snap is None:
            line(name, False, f"the walk never asked for daxctl ({label})")
            continue
        d, blocks = snap["device"] or {}, snap["blocks"]
        if want_state is None:
            ok = d.get("mode") == "devdax" and blocks == []
        else:
            online = want_state == "online"
            ok = (d.get("mode") == want_mode and len(blocks) >= 1 and d.get("total_memblocks") == len(blocks)
                  and d.get("online_memblocks") == (len(blocks) if online else 0)
                  and all(b["state"] == want_state and (b["zone"] == "Movable" if online else b["zone"] is None) for b in blocks))
        line(name, ok, f"{label}: daxctl {d}, memory blocks {blocks} (want {want_mode}{', every block ' + want_state if want_state else ', no memory blocks'}"
                       f"{' in ZONE_MOVABLE' if want_state == 'online' else ''})")
    ram, off = load("after-ram", "daxctl"), load("after-offline", "daxctl")
    if ram is not None and off is not None:
        grew = ram["mem_total"] - off["mem_total"]
        line("dw-guest-dax-memtotal", grew == len(ram["blocks"]) * ram["block_size"],
             f"MemTotal online {ram['mem_total']} - offline {off['mem_total']} = {grew} (want {len(ram['blocks'])} blocks x {ram['block_size']})")
    before, after = load("before"), ndctl("after", out_dir)
    key = lambda s: sorted((r["dev"], n["dev"], n["mode"], n["space"]) for r in s["regions"] for n in r["namespaces"])
    line("dw-guest-ns-end-state", before is not None and key(before) == key(after),
         f"namespaces at the end {key(after)} differ from the start {key(before) if before else None}")
    return lines

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "attrs":
        print(json.dumps(attrs(args)))
    elif cmd == "ndctl":
        print(json.dumps(ndctl(args[0], args[1])))
    elif cmd == "serve-then-check":
        # one process for both: a python start costs seconds under TCG
        req_dir, ans_dir, done_file, seconds, mnt, out_dir, free = args
        done = serve(req_dir, ans_dir, done_file, float(seconds), mnt, out_dir)
        print("\n".join(checks(mnt, free, out_dir) + ([] if done else [f"FAIL dw-playwright-done: no {done_file} after {seconds} s"])))
PY
)

# dg_attrs PATH...: {"PATH": {"flag": .., "dax": .., "xfs_io": ..}, ...}
dg_attrs() { python3 -c "$DG_PY" attrs "$@"; }
# dg_ndctl LABEL: the guest's namespaces and bytes by mode now (also saved as $LAB_OUT/dw-ndctl-LABEL.json)
dg_ndctl() { python3 -c "$DG_PY" ndctl "$1" "$LAB_OUT"; }
# dg_serve_then_check DONE_FILE SECONDS FREE_REGION: answer requests (in name order) until DONE_FILE exists or SECONDS
# passed, then the guest's own checks: their PASS/FAIL lines go to $RESULTS
dg_serve_then_check() {
  python3 -c "$DG_PY" serve-then-check "$DG_REQ" "$DG_ANS" "$1" "$2" "$MNT" "$LAB_OUT" "$3" > "$LAB_OUT/dw-guest.txt" 2>&1
  cat "$LAB_OUT/dw-guest.txt"
  grep -E '^(PASS|FAIL) ' "$LAB_OUT/dw-guest.txt" >> "$RESULTS"
  grep -q '^PASS dw-guest-ns-end-state' "$LAB_OUT/dw-guest.txt" || grep -q '^FAIL ' "$LAB_OUT/dw-guest.txt" \
    || fail dw-guest "the guest's checks did not run: $(tail -3 "$LAB_OUT/dw-guest.txt" | tr '\n' ' ')"
}
# dg_holder: the pid of the process a hold-open request started (empty when none)
dg_holder() { cat "$LAB_OUT/dw-holder.pid" 2>/dev/null; }

