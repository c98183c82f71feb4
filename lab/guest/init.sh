#!/bin/sh
# lab/guest/init.sh — becomes /init in the initramfs (busybox sh, PID 1 in the guest).
#
#  1. mounts proc/sys/devtmpfs, loads the NVDIMM/DAX/9p/net/fs modules
#  2. mounts the HOST root (9p tag "hostroot", read-only) and builds /host = overlay(9p, tmpfs),
#     virtme-style; binds /proc /sys /dev, tmpfs on /tmp /run, and binds the initramfs's guest-kernel
#     modules at /host/lib/modules (so libkmod in ndctl/daxctl sees the *guest* kernel's)
#  3. mounts the lab cache dir (9p tag "labcache", read-write) at the SAME path it has on the host
#     (kernel cmdline pmemlab.share=PATH), so host and guest agree on every path under it
#  4. brings up eth0 (10.0.2.15/24, QEMU user-net, gateway/host 10.0.2.2) if a NIC is present
#  5. runs  chroot /host /bin/bash <pmemlab.script=PATH>  (path as seen on the host), or an
#     interactive shell (pmemlab.shell=1), then powers off.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "PMEMLAB: init start uptime=$(cut -d' ' -f1 /proc/uptime)"
arg() { sed -n "s/.*pmemlab\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

# filesystem modules (xfs ~0.9 s, ext4 ~0.4 s under TCG) load in the background, the rest synchronously
for m in $(cat /etc/modules-to-load); do
  case $m in xfs|ext4|crc32c_generic|crc32c-intel|loop) continue;; esac
  modprobe "$m" 2>/dev/null || echo "PMEMLAB: modprobe $m failed"
done
( for m in crc32c-intel crc32c_generic ext4 xfs loop; do modprobe "$m" 2>/dev/null; done ) &
FSMODS=$!
echo "PMEMLAB: modules loaded uptime=$(cut -d' ' -f1 /proc/uptime)"

# ---- host root, read-only 9p + tmpfs overlay (writes vanish at poweroff, never reach the host)
O9=trans=virtio,version=9p2000.L,msize=512000,cache=loose
mkdir -p /lower /ovl
mount -t 9p -o $O9,ro hostroot /lower || { echo "PMEMLAB: 9p hostroot mount FAILED"; exec sh; }
mount -t tmpfs -o size=1G tmpfs /ovl; mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/ovl/upper,workdir=/ovl/work /host \
  || { echo "PMEMLAB: overlay FAILED"; exec sh; }
mount --bind /proc /host/proc
mount --bind /sys  /host/sys
mount --bind /dev  /host/dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
for d in tmp run; do mount -t tmpfs -o mode=1777 tmpfs /host/$d; done
mkdir -p /host/lib/modules; mount --bind /lib/modules /host/lib/modules

# ---- the project checkout, read-only, at its host path (a checkout under /tmp is hidden by the tmpfs above);
# mounted before the lab cache, which may live inside it
REPO=$(arg repo)
if [ -n "$REPO" ]; then
  mkdir -p "/host$REPO"
  mount -t 9p -o $O9,ro repo "/host$REPO" || echo "PMEMLAB: repo share not mounted"
fi

# ---- lab cache dir, read-write, at its host path (no cache=loose: the host reads what we write)
SHARE=$(arg share)
if [ -n "$SHARE" ]; then
  mkdir -p "/host$SHARE"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 labcache "/host$SHARE" \
    || echo "PMEMLAB: lab cache share not mounted"
fi
HN=$(arg hostname); [ -n "$HN" ] && hostname "$HN"

ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
fi
wait $FSMODS
echo "PMEMLAB: userspace ready uptime=$(cut -d' ' -f1 /proc/uptime)"

SCRIPT=$(arg script)
if [ -n "$SCRIPT" ]; then
  chroot /host /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
      /bin/bash "$SCRIPT"
  echo "PMEMLAB: script exit=$? uptime=$(cut -d' ' -f1 /proc/uptime)"
fi
if grep -q 'pmemlab.shell=1' /proc/cmdline; then
  # setsid -c: the shell gets ttyS0 as its controlling terminal (job control, Ctrl-C)
  setsid -c chroot /host /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=linux \
    /bin/bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
fi
sync
echo "PMEMLAB: poweroff"
poweroff -f
