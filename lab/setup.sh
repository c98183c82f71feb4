#!/bin/bash
# lab/setup.sh — prepare the pmem lab on a Debian 12 host (root). Idempotent; rerun from any state.
#   1. apt packages (apt-get update only if something is missing)
#   2. guest kernel: `apt-get download` the linux-image .deb into $LAB_CACHE/debs (cached), extract it to
#      $LAB_CACHE/kroot (never installed on the host), depmod, uncompressed PVH vmlinux
#   3. busybox initramfs with the NVDIMM/DAX/9p/fs modules + lab/guest/init.sh as /init
# env: LAB_CACHE (default: <lab>/.cache)   KERNEL_PKG (default: what linux-image-amd64 depends on)
set -euo pipefail
LABDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_CACHE=${LAB_CACHE:-$LABDIR/.cache}
mkdir -p "$LAB_CACHE"; cd "$LAB_CACHE"
log() { echo "lab setup: $*" >&2; }
# one setup at a time (every `lab run` calls this; several may start together)
exec 9>"$LAB_CACHE/.setup.lock"; flock 9

# ---- 1. packages
PKGS=(qemu-system-x86 ndctl daxctl busybox-static xfsprogs e2fsprogs cpio kmod xz-utils)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { log "need root to install: ${missing[*]}"; exit 1; }
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  dpkg --configure -a               # finish whatever an interrupted earlier install left half-configured
  apt-get update -qq
  apt-get install -y --no-install-recommends "${PKGS[@]}"
fi

# ---- 2. guest kernel (cached). Every step writes to a temp name and renames, so an interrupted run
#         leaves nothing half-made behind.
if [ ! -f kroot/.complete ]; then
  deb=$(ls debs/linux-image-[0-9]*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    IMG=${KERNEL_PKG:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')}
    if [ -z "$IMG" ]; then apt-get update -qq
      IMG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); fi
    log "downloading $IMG"
    rm -rf debs.tmp; mkdir -p debs.tmp
    # _apt cannot write into root-only dirs; download as root into a world-writable temp dir
    chmod 777 debs.tmp
    ( cd debs.tmp && apt-get download "$IMG" )
    mkdir -p debs; mv debs.tmp/*.deb debs/; rmdir debs.tmp
    deb=$(ls debs/linux-image-[0-9]*.deb | head -1)
  fi
  log "extracting $deb"
  rm -rf kroot kroot.tmp
  dpkg-deb -x "$deb" kroot.tmp
  KVER=$(ls kroot.tmp/lib/modules | head -1)
  # the .deb ships no modules.dep (its postinst runs depmod)
  depmod -b kroot.tmp "$KVER"
  touch kroot.tmp/.complete
  mv kroot.tmp kroot
fi
KVER=$(ls kroot/lib/modules | head -1)
# Uncompressed ELF vmlinux: the kernel has CONFIG_PVH=y, so QEMU boots it directly (saves ~2 s of in-guest
# XZ decompression under TCG).
if [ ! -s vmlinux ]; then
  python3 - "kroot/boot/vmlinuz-$KVER" vmlinux.tmp <<'PY'
import subprocess, sys
d = open(sys.argv[1], 'rb').read()
off = d.find(b'\xfd7zXZ\x00')                  # Debian 6.1 bzImage payload is XZ (CONFIG_KERNEL_XZ)
out = subprocess.run(['xz', '-dc', '--single-stream'], input=d[off:], capture_output=True, check=True).stdout
open(sys.argv[2], 'wb').write(out)
PY
  mv vmlinux.tmp vmlinux
fi
echo "$KVER" > kernel-version

# ---- 3. initramfs (rebuilt only when its inputs change)
MODS=(
  # NVDIMM / DAX stack
  libnvdimm nfit nd_pmem nd_btt dax_pmem device_dax kmem dax_hmem nd_e820 virtio_pmem
  # software MCE injection (region-level poison, see README)
  mce-inject
  # host root over 9p + writable share over 9p
  virtio_pci 9pnet_virtio 9p
  # guest network (hostfwd / demo)
  virtio_net
  # filesystems (crc32c needed by ext4 metadata_csum and xfs v5)
  ext4 xfs crc32c_generic crc32c-intel
  loop overlay
)
STAMP=$( { echo "$KVER"; printf '%s\n' "${MODS[@]}"; cat "$LABDIR/guest/init.sh" "$LABDIR/setup.sh"; } | sha256sum | cut -c1-16)
if [ "$(cat initramfs.stamp 2>/dev/null)" != "$STAMP" ] || [ ! -s initramfs.cpio.gz ]; then
  ST=$LAB_CACHE/initramfs.d
  rm -rf "$ST"; mkdir -p "$ST"/{bin,sbin,proc,sys,dev,host,tmp,run,etc,lib/modules/$KVER}
  cp /bin/busybox "$ST/bin/busybox"            # busybox-static: no shared libs
  # `busybox --list` includes "busybox": symlinking it would replace the binary with a self-loop
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$ST/bin/$a"; done
  ln -sf ../bin/busybox "$ST/sbin/modprobe"    # the kernel's request_module() calls /sbin/modprobe
  for m in "${MODS[@]}"; do
    # -C /dev/null: ignore the host's /etc/modprobe.d (ndctl ships an "install libnvdimm" rule that
    # would make --show-depends print no insmod line for libnvdimm)
    out=$(modprobe -C /dev/null -d "$LAB_CACHE/kroot" -S "$KVER" --show-depends "$m" 2>&1) \
      || { log "WARNING: module $m: $out"; continue; }
    awk '/^insmod/{print $2}' <<<"$out"
  done | sort -u | while read -r ko; do
    rel=${ko#$LAB_CACHE/kroot/lib/modules/$KVER/}
    mkdir -p "$ST/lib/modules/$KVER/$(dirname "$rel")"
    cp "$ko" "$ST/lib/modules/$KVER/$rel"
  done
  cp kroot/lib/modules/$KVER/modules.{order,builtin,builtin.modinfo} "$ST/lib/modules/$KVER/"
  depmod -b "$ST" "$KVER"
  printf '%s\n' "${MODS[@]}" > "$ST/etc/modules-to-load"
  cp "$LABDIR/guest/init.sh" "$ST/init"; chmod +x "$ST/init"
  ( cd "$ST" && find . | cpio -o -H newc --quiet | gzip -1 ) > initramfs.cpio.gz.tmp
  mv initramfs.cpio.gz.tmp initramfs.cpio.gz
  echo "$STAMP" > initramfs.stamp
  log "initramfs: $(find "$ST/lib/modules" -name '*.ko' | wc -l) modules, $(stat -c %s initramfs.cpio.gz) bytes"
fi
log "ready: kernel $KVER, cache $LAB_CACHE"
