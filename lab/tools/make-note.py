#!/usr/bin/env python3
"""make-note.py — write a recorded fixture's NOTE.md (stdout) from the guest's meta/ dir and MANIFEST.tsv."""
import argparse, datetime, os, re, subprocess

ap = argparse.ArgumentParser()
for a in ('--name', '--layout', '--layout-file', '--meta', '--fixture', '--qemu-cmdline', '--config'):
    ap.add_argument(a, required=True)
a = ap.parse_args()

def rd(p, default=''):
    try:
        with open(p) as f:
            return f.read()
    except OSError:
        return default

meta = lambda n: rd(os.path.join(a.meta, n)).rstrip('\n')
rows = [l.rstrip('\n').split('\t') for l in rd(os.path.join(a.fixture, 'MANIFEST.tsv')).splitlines()
        if l and not l.startswith('#')]
kinds = {}
for r in rows:
    kinds.setdefault(r[0], []).append(r)
dirs = {r[2] for r in kinds.get('D', [])}
parents = {os.path.dirname(r[2]) for r in rows}
empty_dirs = sorted(d for d in dirs if d not in parents)
qemu = subprocess.run(['qemu-system-x86_64', '--version'], capture_output=True, text=True).stdout.splitlines()[0]
# the DIMM part of the QEMU command line, with the per-run paths shortened
cmd = rd(a.qemu_cmdline).replace('\\,', ',')
dimm_args = re.findall(r'(-(?:object|device) (?:memory-backend-file|nvdimm)\S+)', cmd)
dimm_args = [re.sub(r'mem-path=\S*/(nv\d+\.img)', r'mem-path=\1', x) for x in dimm_args]
machine = re.search(r'-machine (\S+)', cmd)
mem = re.search(r' -m (\S+)', cmd)
size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(a.fixture) for f in fs
           if not os.path.islink(os.path.join(dp, f)))

out = []
w = out.append
w(f'# Fixture `{a.name}`\n')
w(f'Recorded {datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")} by '
  f'`lab/lab record {a.name}' + ('' if a.name == a.layout else f' --layout {a.layout}') + '` '
  '(generated file: rerun that command to refresh it).\n')
w('## Environment\n')
w('| | |\n|---|---|')
for l in meta('versions').splitlines():
    k, _, v = l.partition(' ')
    w(f'| {k} | `{v}` |')
w(f'| qemu | `{qemu}` (TCG) |')
w(f'| lab config | `{a.config}` |')
w(f'| machine | `-machine {machine.group(1) if machine else "?"} -m {mem.group(1) if mem else "?"} -smp 2` |')
w('')
w('QEMU DIMMs (each backing file = region size + label area, so every region stays 16 MiB aligned):\n')
w('```\n' + '\n'.join(dimm_args) + '\n```\n')
w('## Layout\n')
w(f'`lab/layouts/{a.layout}.sh` (runs in the guest with `lab/guest/lib.sh`):\n')
w('```bash\n' + rd(a.layout_file).rstrip('\n') + '\n```\n')
w('Transcript (commands as run, `+` lines, with their output):\n')
w('```\n' + meta('transcript.txt') + '\n```\n')
w('## Result\n')
w(meta('namespaces.md') + '\n')
dm = meta('dax-mounts')
if dm:
    w('Filesystems on pmem (mount point, fstype, source, mount options, super options):\n')
    w('```\n' + dm + '\n```\n')
w('## Files\n')
w('| file | what |\n|---|---|')
w('| `sys/` | sysfs tree: point a reader at this dir as its sysfs root |')
w('| `MANIFEST.tsv` | every recorded entry: kind, real mode, path, info (size / link target / reason) |')
w('| `ndctl.json` | stdout of `ndctl list -BDRNMX -v` |')
w('| `ndctl-idle.json` | stdout of `ndctl list -BDRNMX -v -i` (adds disabled/idle namespaces and seeds) |')
w('| `daxctl.json` | stdout of `daxctl list -DRM` |')
if os.path.exists(os.path.join(a.fixture, 'daxctl-idle.json')):
    w('| `daxctl-idle.json` | stdout of `daxctl list -DRM -i` (differs from daxctl.json) |')
w('| `mounts.txt` | /proc/self/mountinfo at recording time |')
w('| `uname.txt` | `uname -a` |')
w('')
w(f'Total size {size // 1024} KiB. Entries: ' + ', '.join(f'{k} {len(v)}' for k, v in sorted(kinds.items()))
  + ' (D dir, F file, L symlink, W write-only, E read error, S skipped).\n')
w('Captured roots (walked without following symlinks; links to anything outside them dangle):\n')
w('```\n' + meta('roots') + '\n```\n')
w('### Write-only attributes (present as empty files)\n')
w('\n'.join(f'- `{r[2]}` (mode {r[1]})' for r in kinds.get('W', [])) or '(none)')
w('\n### Attributes whose read() failed (present as empty files; a reader of the live sysfs gets the error)\n')
w('\n'.join(f'- `{r[2]}`: {r[3]}' for r in kinds.get('E', [])) or '(none)')
w('\n### Skipped attributes (not in the tree)\n')
w('\n'.join(f'- `{r[2]}`: {r[3]}' for r in kinds.get('S', [])) or '(none)')
w('\n### Empty directories\n')
w('git does not store empty directories, so these exist in the recording but are absent from a checkout '
  '(treat a missing directory as empty):\n')
w('\n'.join(f'- `{d}`' for d in empty_dirs) or '(none)')
print('\n'.join(out))
