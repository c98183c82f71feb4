#!/bin/bash
# lab/guest/record.sh LAYOUT — runs INSIDE the guest (via `lab record`): builds the layout
# (lab/layouts/LAYOUT.sh), then records the fixture into $LAB_OUT/fixture:
#   sys/...  MANIFEST.tsv  ndctl.json  ndctl-idle.json  daxctl.json  [daxctl-idle.json]  mounts.txt
#   uname.txt  and meta/ (layout transcript, versions, roots) that the host turns into NOTE.md
# The tree is built in the guest's tmpfs and shipped as ONE tar file: creating ~1500 files and links one
# by one over 9p under TCG takes minutes.
source "$LAB_DIR/guest/lib.sh"
LAYOUT=$1
F=/tmp/fixture; META=$LAB_OUT/meta
rm -rf "$F" "$META" "$LAB_OUT/fixture.tar"; mkdir -p "$F" "$META"

step "layout $LAYOUT"
# the layout runs in this shell (it uses lib.sh helpers); its transcript goes to meta/transcript.txt
( source "$LAB_DIR/layouts/$LAYOUT.sh" ) 2>&1 | tee "$META/transcript.txt"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || { echo "FATAL: layout $LAYOUT failed (rc=$rc)"; exit 1; }
sync; sleep 1     # let async probes (kmem onlining, fs module autoload) settle

step "snapshot"
ROOTS=(/sys/bus/nd /sys/bus/dax /sys/class/nd /sys/class/dax)
# /sys/block and /sys/class/block: only the pmem* links (the real block dirs live under the namespace device)
ROOTS+=( $(ls -d /sys/block/pmem* /sys/class/block/pmem* 2>/dev/null) )
# /sys/dev/{block,char}/MAJ:MIN links of the pmem block devices and the dax/ndctl/nmem char devices
# (how a reader maps a mountinfo / stat() st_rdev major:minor back to its device)
for l in /sys/dev/block/* /sys/dev/char/*; do
  case $(readlink "$l") in */ACPI0012:*) ROOTS+=("$l");; esac
done
# the real device directories the bus/class links point to: the ACPI0012 (NFIT) root device tree,
# and /sys/devices/virtual/<class>/<dev> for anything virtual
for r in /sys/bus/nd /sys/bus/dax /sys/class/nd /sys/class/dax /sys/block/pmem*; do
  [ -e "$r" ] || continue
  for l in "$r" "$r"/* "$r"/devices/*; do [ -L "$l" ] && readlink -f "$l"; done
done 2>/dev/null | sed -n 's#^\(/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:[0-9]*\).*#\1#p;
                        s#^\(/sys/devices/virtual/[^/]*/[^/]*\).*#\1#p;
                        s#^\(/sys/devices/platform/[^/]*\).*#\1#p' | sort -u > "$META/devroots"
ROOTS+=( $(cat "$META/devroots") )
# memory blocks (system-ram dax) and NUMA nodes: what daxctl reads
ROOTS+=(/sys/devices/system/memory /sys/devices/system/node)
printf '%s\n' "${ROOTS[@]}" > "$META/roots"
python3 "$LAB_DIR/tools/sysfs-snap.py" "$F" "${ROOTS[@]}" | tee "$META/snap-summary"

ndctl list -BDRNMX -v   > "$F/ndctl.json"
ndctl list -BDRNMX -v -i > "$F/ndctl-idle.json"
daxctl list -DRM        > "$F/daxctl.json"
daxctl list -DRM -i     > "$F/daxctl-idle.json"
cmp -s "$F/daxctl.json" "$F/daxctl-idle.json" && rm "$F/daxctl-idle.json"
cat /proc/self/mountinfo > "$F/mounts.txt"
uname -a > "$F/uname.txt"
{ echo "ndctl $(ndctl --version)"; echo "daxctl $(daxctl --version)"; echo "kernel $(uname -r)"
  echo "kernel_version $(cat /proc/version)"; } > "$META/versions"
# namespace summary for NOTE.md
ndctl list -N -i -X | python3 -c 'import json,sys
n=json.load(sys.stdin); n=n if isinstance(n,list) else [n]
print("| dev | mode | map | size | name | blockdev/chardev | enabled |"); print("|---|---|---|---|---|---|---|")
for x in sorted(n, key=lambda x: [int(v) for v in x["dev"][9:].split(".")]):
    dev = x.get("blockdev") or ",".join(d["chardev"] for d in x.get("daxregion",{}).get("devices",[])) or ""
    print("| %s | %s | %s | %s | %s | %s | %s |" % (x["dev"], x["mode"], x.get("map",""), x["size"], x.get("name",""), dev, "no" if x.get("state")=="disabled" else "yes"))' > "$META/namespaces.md"
grep -E ' - (xfs|ext4) ' /proc/self/mountinfo | awk '{print $5, $(NF-2), $(NF-1), $6, $NF}' > "$META/dax-mounts" || true
tar -C "$F" -cf "$LAB_OUT/fixture.tar.tmp" . && mv "$LAB_OUT/fixture.tar.tmp" "$LAB_OUT/fixture.tar"
echo "record: done"
