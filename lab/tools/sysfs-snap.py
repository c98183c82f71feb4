#!/usr/bin/env python3
"""sysfs-snap.py DEST ROOT... — copy sysfs subtrees into DEST/sys/... as a plain-file fixture tree.

Each ROOT (an absolute /sys path) is walked WITHOUT following symlinks and mirrored under DEST with
the same path (DEST/sys/bus/nd/...):
  * directories -> directories (mode 0755)
  * symlinks    -> symlinks with the identical relative target, so e.g. sys/bus/nd/devices/region0 ->
                   ../../../devices/LNXSYSTM:00/... resolves inside DEST as long as the target subtree
                   was captured too (pass those roots as well); links out of the captured set dangle
  * attributes  -> regular files (mode 0644) holding exactly the bytes read() returned
                   - write-only attributes (no r bit)  -> empty file, manifest kind W
                   - read error (EIO, ENXIO, ...)       -> empty file, manifest kind E, info = errno name
                   - larger than 64 KiB, or binary (NUL bytes / not UTF-8) -> NOT written, kind S
A ROOT that is itself a symlink is recorded as that link only (e.g. /sys/block/pmem0).
Writes DEST/MANIFEST.tsv: kind<TAB>mode<TAB>path<TAB>info, path relative to DEST, sorted; kinds
D dir, F file (info = size), L link (info = target), W write-only, E read error, S skipped (info = reason).
Real modes are kept in the manifest only (git keeps no mode bits but x).
"""
import errno, os, stat, sys

MAX = 64 * 1024
dest, roots = sys.argv[1], sys.argv[2:]
rows = {}

def rel(p):
    return p.lstrip('/')

def mirror(p):
    return os.path.join(dest, rel(p))

def ensure_parents(p):
    # create the ancestors of p inside DEST as directories (recorded as D with the real mode)
    parent = os.path.dirname(p)
    chain = []
    while parent not in ('/', '') and rel(parent) not in rows:
        chain.append(parent)
        parent = os.path.dirname(parent)
    for a in reversed(chain):
        os.makedirs(mirror(a), exist_ok=True)
        rows[rel(a)] = ('D', '%o' % stat.S_IMODE(os.lstat(a).st_mode), rel(a), '')

def handle(p):
    st = os.lstat(p)
    mode = stat.S_IMODE(st.st_mode)
    d = mirror(p)
    ensure_parents(p)
    if stat.S_ISLNK(st.st_mode):
        t = os.readlink(p)
        if not os.path.lexists(d):
            os.symlink(t, d)
        rows[rel(p)] = ('L', '%o' % mode, rel(p), t)
    elif stat.S_ISDIR(st.st_mode):
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        rows[rel(p)] = ('D', '%o' % mode, rel(p), '')
    elif stat.S_ISREG(st.st_mode):
        data, kind, info = b'', 'F', None
        if not mode & 0o444:
            kind, info = 'W', 'write-only'
        else:
            try:
                with open(p, 'rb', buffering=0) as f:
                    data = f.read(MAX + 1)
            except OSError as e:
                kind, info = 'E', errno.errorcode.get(e.errno, str(e.errno))
        if kind == 'F':
            if len(data) > MAX:
                kind, info = 'S', 'larger than 64 KiB'
            elif b'\0' in data:
                kind, info = 'S', 'binary (NUL bytes, %d bytes)' % len(data)
            else:
                try:
                    data.decode('utf-8')
                except UnicodeDecodeError:
                    kind, info = 'S', 'binary (not UTF-8, %d bytes)' % len(data)
        if kind != 'S':
            with open(d, 'wb') as f:
                f.write(data)
            os.chmod(d, 0o644)
        rows[rel(p)] = (kind, '%o' % mode, rel(p), str(len(data)) if info is None else info)
    else:
        rows[rel(p)] = ('S', '%o' % mode, rel(p), 'not a regular file')

for root in roots:
    if not os.path.lexists(root):
        continue
    handle(root)
    if os.path.islink(root):
        continue
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for n in sorted(dirnames) + sorted(filenames):
            handle(os.path.join(dirpath, n))

out = sorted(rows.values(), key=lambda r: r[2])
with open(os.path.join(dest, 'MANIFEST.tsv'), 'w') as f:
    f.write('# kind\tmode\tpath\tinfo   (D dir, F file: size, L link: target, W write-only: empty file, '
            'E read error: empty file, S skipped: not in tree)\n')
    for r in out:
        f.write('\t'.join(r) + '\n')
count = {k: sum(r[0] == k for r in out) for k in 'DFLWES'}
print('sysfs-snap: %d entries: %s' % (len(out), ' '.join('%s=%d' % kv for kv in count.items())))
