#!/usr/bin/env python3
"""compare-json.py EXPECTED ACTUAL [--names ndctl,daxfleet] [--unordered] [--ignore REGEX]...

Field-by-field comparison of two JSON documents (e.g. `ndctl list -BDRNMX -v` and
`daxfleet inventory --format ndctl`). Prints one line per difference, with a path such as
  [0].regions[dev=region1].namespaces[dev=namespace1.0].size: ndctl=262144000 daxfleet=262144001
and exits 1 if there is any, 0 if the documents are equal. Integers are compared exactly (Python ints:
iset_id's signed 64-bit values survive). Arrays of objects that all have a "dev" (or "chardev", "dimm")
key are matched by that key; a different order is a difference unless --unordered. Other arrays compare
element by element. Object key order is ignored (JSON semantics). --ignore drops differences whose path
matches REGEX (use sparingly; each is printed as "ignored").
"""
import json, re, sys

args = sys.argv[1:]
names, unordered, ignores, files = ['expected', 'actual'], False, [], []
i = 0
while i < len(args):
    a = args[i]
    if a == '--names': names = args[i + 1].split(','); i += 2; continue
    if a == '--unordered': unordered = True; i += 1; continue
    if a == '--ignore': ignores.append(re.compile(args[i + 1])); i += 2; continue
    files.append(a); i += 1
if len(files) != 2:
    sys.exit(__doc__)

def load(p):
    with open(p) as f:
        t = f.read()
    try:
        return json.loads(t) if t.strip() else None
    except json.JSONDecodeError as e:
        print(f'{p}: not JSON: {e}'); sys.exit(2)

A, B = load(files[0]), load(files[1])
diffs, ignored = [], []
na, nb = names

def show(v):
    s = json.dumps(v, sort_keys=True)
    return s if len(s) <= 120 else s[:117] + '...'

def add(path, msg):
    (ignored if any(r.search(path) for r in ignores) else diffs).append(f'{path}: {msg}')

def keyof(arr):
    for k in ('dev', 'chardev', 'dimm'):
        if arr and all(isinstance(x, dict) and k in x for x in arr):
            vals = [x[k] for x in arr]
            if len(set(map(str, vals))) == len(vals):
                return k
    return None

def cmp(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            p = f'{path}.{k}' if path else k
            if k not in b: add(p, f'only in {na} ({show(a[k])})')
            elif k not in a: add(p, f'only in {nb} ({show(b[k])})')
            else: cmp(a[k], b[k], p)
    elif isinstance(a, list) and isinstance(b, list):
        k = keyof(a) if a else keyof(b)
        if k and (not a or keyof(a) == k) and (not b or keyof(b) == k):
            ia = {str(x[k]): x for x in a}; ib = {str(x[k]): x for x in b}
            for v in [str(x[k]) for x in a] + [str(x[k]) for x in b if str(x[k]) not in ia]:
                p = f'{path}[{k}={v}]'
                if v not in ib: add(p, f'only in {na}')
                elif v not in ia: add(p, f'only in {nb}')
                else: cmp(ia[v], ib[v], p)
            oa = [str(x[k]) for x in a if str(x[k]) in ib]; ob = [str(x[k]) for x in b if str(x[k]) in ia]
            if oa != ob and not unordered:
                add(path, f'order differs: {na}={oa} {nb}={ob}')
        else:
            for j in range(max(len(a), len(b))):
                p = f'{path}[{j}]'
                if j >= len(b): add(p, f'only in {na} ({show(a[j])})')
                elif j >= len(a): add(p, f'only in {nb} ({show(b[j])})')
                else: cmp(a[j], b[j], p)
    elif type(a) is not type(b) or a != b:
        add(path or '(root)', f'{na}={show(a)} {nb}={show(b)}')

cmp(A, B, '')
for d in ignored:
    print('ignored:', d)
for d in diffs:
    print(d)
print(f'{len(diffs)} difference(s) between {na} ({files[0]}) and {nb} ({files[1]})'
      + (f', {len(ignored)} ignored' if ignored else ''))
sys.exit(1 if diffs else 0)
