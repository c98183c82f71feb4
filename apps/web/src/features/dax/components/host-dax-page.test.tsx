import type { DaxFilesystem, FsDaxEntry, FsDaxInspectResult, HostDetail } from '@daxfleet/shared';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub, type StubRoutes } from '@/testing/stub-hub';
import { planned, policyPlanned } from '../testing/changes';

afterEach(() => {
  vi.unstubAllGlobals();
});

// a real scan of a tree recorded in the lab: region0 has 320 MiB free, namespace0.0 is fsdax, dax1.0 devdax, dax1.2 system-ram
const { inventory } = inject('recordedKernels')['two-dimm-all-modes'];

const FILESYSTEMS: DaxFilesystem[] = [
  { mountpoint: '/mnt/pmem', source: '/dev/pmem0', fstype: 'ext4', dev: '259:0', blockdev: 'pmem0', namespace: 'namespace0.0', dax: 'inode', dax_option: 'dax=inode', device_dax: true, read_only: false, per_inode: true },
  { mountpoint: '/mnt/xfs', source: '/dev/pmem0.1', fstype: 'xfs', dev: '259:1', blockdev: 'pmem0.1', dax: 'inode', dax_option: 'default', device_dax: true, read_only: false, per_inode: true },
  { mountpoint: '/mnt/legacy', source: '/dev/pmem0.3', fstype: 'ext2', dev: '259:3', blockdev: 'pmem0.3', dax: 'always', dax_option: 'dax', device_dax: false, read_only: true, per_inode: false },
];

function hostDetail(): HostDetail {
  return { ...hostSummary(), inventory: { ...inventory, filesystems: FILESYSTEMS } };
}

const entry = (overrides: Partial<FsDaxEntry> & Pick<FsDaxEntry, 'path'>): FsDaxEntry => ({ kind: 'file', inode: 12, flag: false, effective: false, requested: false, state: 'not-dax', ...overrides });

function inspection(entries: FsDaxEntry[], overrides: Partial<FsDaxInspectResult> = {}): FsDaxInspectResult {
  const counts = { dax: 0, 'not-dax': 0, pending: 0, 'n/a': 0 };
  for (const item of entries) counts[item.state] += 1;
  return { filesystem: FILESYSTEMS[0], entries, scanned: entries.length, truncated: false, counts, inspected_at: new Date().toISOString(), ...overrides };
}

const MNT = inspection([
  entry({ path: '/mnt/pmem', kind: 'dir', flag: false, effective: undefined, requested: undefined, state: 'n/a' }),
  entry({ path: '/mnt/pmem/db', kind: 'dir', flag: true, effective: undefined, requested: undefined, state: 'n/a' }),
  entry({ path: '/mnt/pmem/fast.dat', flag: true, effective: true, requested: true, state: 'dax' }),
  entry({
    path: '/mnt/pmem/held.log', flag: true, effective: false, requested: true, state: 'pending', reason: 'not-evicted',
    detail: 'the flag was set while pid 4711 held it open', holders: [{ pid: 4711, command: 'postgres' }],
  }),
]);
const DB = inspection([entry({ path: '/mnt/pmem/db', kind: 'dir', flag: true, effective: undefined, requested: undefined, state: 'n/a' })]);
const AUDIT = inspection([MNT.entries[3]!], { scanned: 40 });

function hub(role: 'viewer' | 'operator', extra: StubRoutes = {}) {
  return stubHub({
    'GET /auth/me': { body: principal(role) },
    'GET /hosts': { body: { hosts: [hostSummary()] } },
    'GET /hosts/host-a': { body: hostDetail() },
    'GET /hosts/host-a/dax/changes': { body: { changes: [planned()] } },
    'GET /hosts/host-a/fs-dax': ({ query }) => {
      if (query.get('mismatches_only') === 'true') return { body: AUDIT };
      return { body: query.get('path') === '/mnt/pmem/db' ? DB : MNT };
    },
    ...extra,
  });
}

const cellTexts = (row: HTMLElement) => [...row.querySelectorAll(':scope > th, :scope > td')].map((cell) => cell.textContent);

describe('the host DAX page', { timeout: 15_000 }, () => {
  it('lists the filesystems: how DAX is given, device support, per-inode flags, and the rules', async () => {
    hub('viewer');
    renderApp('/hosts/host-a/dax');
    const table = await screen.findByRole('table', { name: 'DAX filesystems' });
    const rows = within(table).getAllByRole('row').slice(1).map((row) => cellTexts(row).slice(0, 6));
    expect(rows).toEqual([
      ['/mnt/pmem', 'ext4', '/dev/pmem0 (namespace0.0)', 'dax=inode', 'yes', 'yes'],
      ['/mnt/xfs', 'xfs', '/dev/pmem0.1', 'inode (default)', 'yes', 'yes'],
      ['/mnt/legacy (read-only)', 'ext2', '/dev/pmem0.3', 'always (legacy -o dax)', 'no', 'no'],
    ]);
    expect(screen.getByText(/inherited by files and directories created in it/).textContent).toContain('evicted');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('DAX on pmem-a');
  });

  it('a viewer cannot inspect paths and the page asks the agent nothing', async () => {
    const calls = hub('viewer');
    renderApp('/hosts/host-a/dax');
    await screen.findByRole('table', { name: 'DAX filesystems' });
    expect(screen.getAllByRole('note').map((note) => note.textContent)).toContainEqual(expect.stringContaining('An operator must inspect paths'));
    expect(screen.queryByRole('form', { name: 'Browse a path' })).toBeNull();
    expect(calls.filter((call) => call.path.endsWith('/fs-dax'))).toEqual([]);
  });

  it('a 403 from the hub reads as the operator sentence', async () => {
    hub('operator', { 'GET /hosts/host-a/fs-dax': { status: 403, body: { statusCode: 403, code: 'DAXFLEET_ERR_AUTH_FORBIDDEN', error: 'Forbidden', message: 'needs operator' } } });
    renderApp('/hosts/host-a/dax');
    const form = await screen.findByRole('form', { name: 'Browse a path' });
    fireEvent.click(within(form).getByRole('button', { name: 'Show' }));
    expect((await screen.findByText(/An operator must inspect paths/, {}, { timeout: 5000 })).getAttribute('role')).toBe('note');
  });

  it('browses a mountpoint: flag, effective, state badges, the pending reason in words with its holders; a directory opens', async () => {
    const calls = hub('operator');
    renderApp('/hosts/host-a/dax');
    fireEvent.click(await screen.findByRole('button', { name: 'Browse /mnt/pmem' }, { timeout: 5000 }));
    const form = screen.getByRole('form', { name: 'Browse a path' });
    expect((within(form).getByLabelText('Path') as HTMLInputElement).value).toBe('/mnt/pmem');
    fireEvent.click(within(form).getByRole('button', { name: 'Show' }));
    const table = await screen.findByRole('table', { name: 'Entries of /mnt/pmem' }, { timeout: 5000 });
    expect(within(table).getAllByRole('row').slice(1).map((row) => cellTexts(row).slice(0, 5))).toEqual([
      ['/mnt/pmem (this path)', 'dir', 'off', '—', 'n/a'],
      ['/mnt/pmem/db/', 'dir', 'on', '—', 'n/a'],
      ['/mnt/pmem/fast.dat', 'file', 'on', 'DAX', 'dax'],
      ['/mnt/pmem/held.log', 'file', 'on', 'not DAX', 'pending'],
    ]);
    expect(screen.getByLabelText('State of /mnt/pmem/held.log').textContent).toBe('pending');
    const held = within(table).getAllByRole('row')[4]!;
    expect(held.textContent).toContain('not evicted yet: the file is still open, mapped or cached');
    expect(held.textContent).toContain('the flag was set while pid 4711 held it open');
    expect(within(within(held).getByRole('list', { name: 'Holders of /mnt/pmem/held.log' })).getAllByRole('listitem').map((item) => item.textContent))
      .toEqual(['pid 4711 (postgres)']);
    expect(screen.getByLabelText('Counts').textContent).toContain('1 dax, 0 not-dax, 1 pending, 2 n/a');

    fireEvent.click(within(table).getByRole('button', { name: 'Open /mnt/pmem/db' }));
    expect(await screen.findByRole('table', { name: 'Entries of /mnt/pmem/db' }, { timeout: 5000 })).toBeTruthy();
    expect((within(form).getByLabelText('Path') as HTMLInputElement).value).toBe('/mnt/pmem/db');
    // one look per path: showing a path again within a few seconds answers from the cache
    expect(calls.filter((call) => call.path === '/hosts/host-a/fs-dax')).toHaveLength(2);
    fireEvent.click(within(form).getByRole('button', { name: 'Up' }));
    expect(await screen.findByRole('table', { name: 'Entries of /mnt/pmem' }, { timeout: 5000 })).toBeTruthy();
  });

  it('Audit asks for the pending files of the whole subtree and lists them with why', async () => {
    const queries: URLSearchParams[] = [];
    hub('operator', { 'GET /hosts/host-a/fs-dax': ({ query }) => { queries.push(query); return { body: AUDIT }; } });
    renderApp('/hosts/host-a/dax');
    const form = await screen.findByRole('form', { name: 'Browse a path' });
    await vi.waitFor(() => expect((within(form).getByLabelText('Path') as HTMLInputElement).value).toBe('/mnt/pmem'));
    fireEvent.click(within(form).getByRole('button', { name: 'Audit' }));
    const table = await screen.findByRole('table', { name: 'Pending files under /mnt/pmem' });
    expect(within(table).getAllByRole('row')).toHaveLength(2);
    expect(table.textContent).toContain('not evicted yet');
    expect(Object.fromEntries(queries[0]!)).toEqual({ path: '/mnt/pmem', recursive: 'true', mismatches_only: 'true' });
    expect(screen.getByLabelText('Counts').textContent).toContain('Scanned 40');
  });

  it('refuses a relative path before asking the agent', async () => {
    const calls = hub('operator');
    renderApp('/hosts/host-a/dax');
    const form = await screen.findByRole('form', { name: 'Browse a path' });
    fireEvent.change(within(form).getByLabelText('Path'), { target: { value: 'mnt/pmem' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Show' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Give an absolute path on the host, e.g. /mnt/pmem.');
    expect(calls.filter((call) => call.path.endsWith('/fs-dax'))).toEqual([]);
  });

  it('Set DAX policy… plans a dry run with the flag and how far into what exists, then opens the change', async () => {
    const calls = hub('operator', {
      'POST /hosts/host-a/dax/changes': { status: 201, body: policyPlanned(3) },
      [`GET /dax/changes/${policyPlanned(3).id}`]: { body: policyPlanned(3) },
    });
    const { router } = renderApp('/hosts/host-a/dax');
    const browse = await screen.findByRole('form', { name: 'Browse a path' });
    fireEvent.click(within(browse).getByRole('button', { name: 'Show' }));
    fireEvent.click(within(await screen.findByRole('table', { name: 'Entries of /mnt/pmem' })).getByRole('button', { name: 'Set DAX policy on /mnt/pmem/db' }));
    const form = screen.getByRole('form', { name: 'Set DAX policy on /mnt/pmem/db' });
    fireEvent.click(within(form).getByRole('radio', { name: 'On' }));
    fireEvent.change(within(form).getByLabelText('Existing files and directories'), { target: { value: 'all' } });
    fireEvent.change(within(form).getByLabelText('Plan valid for'), { target: { value: '30' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Plan (dry run)' }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe(`/dax/changes/${policyPlanned(3).id}`));
    expect(calls.filter((call) => call.method === 'POST')).toEqual([{
      method: 'POST', path: '/hosts/host-a/dax/changes',
      body: { request: { kind: 'fs-dax-policy', path: '/mnt/pmem/db', dax: true, existing: 'all' }, ttl_seconds: 1800 },
    }]);
  });

  it('lists the namespaces with mode, size, align, map, sector size, and the host\'s recent changes', async () => {
    hub('viewer');
    renderApp('/hosts/host-a/dax');
    const table = await screen.findByRole('table', { name: 'Namespaces' });
    const row = within(table).getAllByRole('row').find((candidate) => candidate.querySelector('th')?.firstChild?.textContent === 'namespace0.1')!;
    expect(cellTexts(row).slice(1, 9)).toEqual([ 'region0', 'fsdax', '126.00 MiB', '2.00 MiB', 'mem', '512 B', '/dev/pmem0.1', 'enabled']);
    const sector = within(table).getAllByRole('row').find((candidate) => candidate.querySelector('th')?.firstChild?.textContent === 'namespace0.2')!;
    expect(cellTexts(sector).slice(2, 7)).toEqual(['sector', '126.84 MiB', '—', '—', '4096 B']);
    const changes = await screen.findByRole('table', { name: 'DAX changes' });
    expect(within(changes).getByRole('link').textContent).toBe('Change namespace mode: namespace0.0 → devdax');
  });

  it('a viewer sees the change forms but an operator must plan', async () => {
    const calls = hub('viewer');
    renderApp('/hosts/host-a/dax?change=namespace-destroy&target=namespace0.3');
    const form = await screen.findByRole('form', { name: 'Destroy namespace0.3' });
    expect(within(form).getByRole('note').textContent).toBe('An operator must plan a DAX change.');
    expect((within(form).getByRole('button', { name: 'Plan (dry run)' }) as HTMLButtonElement).disabled).toBe(true);
    expect(form.textContent).toContain('Destroys namespace0.3 (raw, 64.00 MiB) and everything on it.');
    expect(calls.filter((call) => call.method === 'POST')).toEqual([]);
  });
});

describe('namespace and dax device changes from the DAX page', { timeout: 15_000 }, () => {
  async function planFrom(button: string, formName: string, fill: (form: HTMLElement) => void): Promise<unknown> {
    const calls = hub('operator', {
      'POST /hosts/host-a/dax/changes': { status: 201, body: planned({ id: 'dc_new' }) },
      'GET /dax/changes/dc_new': { body: planned({ id: 'dc_new' }) },
    });
    const { router } = renderApp('/hosts/host-a/dax');
    fireEvent.click(await screen.findByRole('button', { name: button }));
    const form = screen.getByRole('form', { name: formName });
    fill(form);
    fireEvent.click(within(form).getByRole('button', { name: 'Plan (dry run)' }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe('/dax/changes/dc_new'));
    return calls.filter((call) => call.method === 'POST').map((call) => call.body);
  }

  it('Change mode… of a namespace: mode, size with a unit, align, map, name', async () => {
    const bodies = await planFrom('Change mode of namespace0.0', 'Change the mode of namespace0.0', (form) => {
      expect(form.textContent).toContain('Reconfiguring destroys everything on it.');
      fireEvent.change(within(form).getByLabelText('Mode'), { target: { value: 'devdax' } });
      fireEvent.change(within(form).getByLabelText('Size'), { target: { value: '256M' } });
      fireEvent.change(within(form).getByLabelText('Align'), { target: { value: '1G' } });
      fireEvent.change(within(form).getByLabelText('Map'), { target: { value: 'mem' } });
      fireEvent.change(within(form).getByLabelText('Name'), { target: { value: 'cache' } });
    });
    expect(bodies).toEqual([{
      request: { kind: 'namespace-reconfigure', namespace: 'namespace0.0', mode: 'devdax', size: 256 * 2 ** 20, align: 2 ** 30, map: 'mem', name: 'cache' },
      ttl_seconds: 600,
    }]);
  });

  it('Create namespace… shows the region\'s free space and sends only what was given', async () => {
    const bodies = await planFrom('Create namespace in region0', 'Create a namespace in region0', (form) => {
      expect(form.textContent).toContain('Available in region0: 320.00 MiB');
      fireEvent.change(within(form).getByLabelText('Mode'), { target: { value: 'sector' } });
      fireEvent.change(within(form).getByLabelText('Sector size'), { target: { value: '4096' } });
    });
    expect(bodies).toEqual([{ request: { kind: 'namespace-create', region: 'region0', mode: 'sector', sector_size: 4096 }, ttl_seconds: 600 }]);
  });

  it('a bad size is refused in words before anything is sent', async () => {
    const calls = hub('operator');
    renderApp('/hosts/host-a/dax?change=namespace-create&target=region0');
    const form = await screen.findByRole('form', { name: 'Create a namespace in region0' });
    fireEvent.change(within(form).getByLabelText('Size'), { target: { value: 'lots' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Plan (dry run)' }));
    expect(within(form).getByRole('alert').textContent).toContain('Size: "lots" is not a size');
    expect(calls.filter((call) => call.method === 'POST')).toEqual([]);
  });

  it('a devdax device goes to system-ram (online, movable by default); a system-ram device offlines', async () => {
    const bodies = await planFrom('Change dax1.0 to system-ram', 'Change the mode of dax1.0', (form) => {
      fireEvent.click(within(form).getByRole('checkbox', { name: 'Movable (ZONE_MOVABLE)' }));
    });
    expect(bodies).toEqual([{ request: { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram', online: true, movable: false }, ttl_seconds: 600 }]);
    vi.unstubAllGlobals();
  });

  it('a system-ram device whose memory is all online offers offline but not online', async () => {
    hub('operator');
    renderApp('/hosts/host-a/dax');
    const table = await screen.findByRole('table', { name: 'Dax devices' });
    expect((within(table).getByRole('button', { name: 'Online memory of dax1.2' }) as HTMLButtonElement).disabled).toBe(true);
    expect((within(table).getByRole('button', { name: 'Offline memory of dax1.2' }) as HTMLButtonElement).disabled).toBe(false);
    expect(within(table).getAllByRole('row').find((row) => row.querySelector('th')?.textContent === 'dax1.2')!.textContent).toContain('2/2 blocks online, movable');
  });

  it('the host page links each namespace and dax device to its change form', async () => {
    hub('operator');
    const { router } = renderApp('/hosts/host-a');
    const link = await screen.findByRole('link', { name: 'Change mode of namespace0.0' });
    expect(link.getAttribute('href')).toBe('/hosts/host-a/dax?change=namespace-reconfigure&target=namespace0.0');
    expect(screen.getByRole('link', { name: 'Change mode of dax1.2' }).getAttribute('href')).toBe('/hosts/host-a/dax?change=daxdev-reconfigure&target=dax1.2');
    expect(screen.getByRole('link', { name: 'DAX of pmem-a' }).getAttribute('href')).toBe('/hosts/host-a/dax');
    fireEvent.click(link);
    await vi.waitFor(() => expect(router.state.location.pathname).toBe('/hosts/host-a/dax'));
    expect(await screen.findByRole('form', { name: 'Change the mode of namespace0.0' })).toBeTruthy();
  });
});
