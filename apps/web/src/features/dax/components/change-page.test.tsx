import type { DaxChange } from '@daxfleet/shared';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub, type StubAnswer, type StubRoutes } from '@/testing/stub-hub';
import { CHANGE_ID, DIGEST, failed, interrupted, onlinePlanned, planned, policyPlanned, RECONFIGURE, refused, verified } from '../testing/changes';

afterEach(() => {
  vi.unstubAllGlobals();
});

const CHANGE_PATH = `/dax/changes/${CHANGE_ID}`;

function hub(role: 'viewer' | 'operator', change: () => DaxChange, extra: StubRoutes = {}) {
  return stubHub({
    'GET /auth/me': { body: principal(role) },
    'GET /hosts': { body: { hosts: [hostSummary()] } },
    [`GET ${CHANGE_PATH}`]: () => ({ body: change() }),
    ...extra,
  });
}

function conflict(code: string, message: string): StubAnswer {
  return { status: 409, body: { statusCode: 409, code, error: 'Conflict', message, reqId: 'req-9' } };
}

const checkResults = (table: HTMLElement) => within(table).getAllByRole('row').slice(1).map((row) => {
  const cells = within(row).getAllByRole('cell');
  return `${cells[0]!.textContent} ${cells[1]!.textContent}`;
});

describe('reviewing a DAX change', { timeout: 15_000 }, () => {
  it('shows the request, before → expected, the steps, the data lost in bytes, the checks and the time left', async () => {
    hub('operator', () => planned());
    renderApp(`/dax/changes/${CHANGE_ID}`);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Change namespace mode: namespace0.0 → devdax');
    expect(screen.getByLabelText('Change status').textContent).toBe('planned');
    const loss = screen.getByRole('region', { name: 'Data loss' });
    expect(within(loss).getByRole('heading').textContent).toBe('Data that will be lost');
    expect(within(loss).getByRole('listitem').textContent).toBe('all data on namespace0.0 (fsdax, /dev/pmem0) (376.00 MiB)');
    const rows = within(screen.getByRole('table', { name: 'Before and expected' })).getAllByRole('row').slice(1)
      .map((row) => [...row.querySelectorAll('th,td')].map((cell) => cell.textContent).join(' | '));
    expect(rows).toEqual(['mode | fsdax | devdax', 'size | 376.00 MiB | 376.00 MiB', 'align | 2.00 MiB | 2.00 MiB']);
    const steps = within(screen.getByRole('list', { name: 'Steps' })).getAllByRole('listitem');
    expect(steps.map((step) => step.querySelector('code')?.textContent)).toEqual(['ndctl_namespace_disable_safe', 'ndctl_namespace_delete', 'ndctl_dax_enable']);
    expect(checkResults(screen.getByRole('table', { name: 'Preconditions' }))).toEqual(['namespace-exists ✓', 'namespace-not-mounted ✓', 'mode-differs ✓']);
    expect(screen.getByRole('timer', { name: 'Time left to execute' }).textContent).toMatch(/^9:5\d$/);
    expect(screen.getByRole('region', { name: 'Request' }).textContent).toContain('align2.00 MiB (2097152 bytes)');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('a refused change says why, shows the failed check, and plans again with the same request', async () => {
    const calls = hub('operator', () => refused(), {
      'POST /hosts/host-a/dax/changes': { status: 201, body: planned({ id: 'dc_second' }) },
      'GET /dax/changes/dc_second': { body: planned({ id: 'dc_second' }) },
    });
    const { router } = renderApp(`/dax/changes/${CHANGE_ID}`);
    const alert = await screen.findByRole('alert', { name: 'Refused' });
    expect(alert.textContent).toContain('Refused: /dev/pmem0 is mounted on /mnt/pmem: unmount it, then plan again');
    expect(checkResults(screen.getByRole('table', { name: 'Preconditions' }))).toContain('namespace-not-mounted ✗');
    expect(screen.queryByRole('button', { name: 'Execute…' })).toBeNull();
    fireEvent.click(within(alert).getByRole('button', { name: 'Plan again' }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe('/dax/changes/dc_second'));
    expect(calls.filter((call) => call.method === 'POST')).toEqual([{ method: 'POST', path: '/hosts/host-a/dax/changes', body: { request: RECONFIGURE } }]);
  });

  it('an expired change offers Plan again instead of Execute', async () => {
    hub('operator', () => planned({ status: 'expired', expires_at: new Date(Date.now() - 1000).toISOString() }));
    renderApp(`/dax/changes/${CHANGE_ID}`);
    const alert = await screen.findByRole('alert', { name: 'Expired' });
    expect(within(alert).getByRole('button', { name: 'Plan again' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Execute…' })).toBeNull();
    expect(screen.queryByRole('timer')).toBeNull();
  });

  it('an executing change says so and offers nothing to press', async () => {
    hub('operator', () => planned({ status: 'executing', executed_at: new Date().toISOString() }));
    renderApp(`/dax/changes/${CHANGE_ID}`);
    const region = await screen.findByRole('region', { name: 'Executing' });
    expect(within(region).getByRole('status').textContent).toContain('The agent is running the steps');
    expect(screen.queryByRole('button', { name: 'Execute…' })).toBeNull();
  });

  it('a policy lists its dry run with flag and effective before → after and why pending, a page at a time', async () => {
    hub('operator', () => policyPlanned(120));
    renderApp(`/dax/changes/${CHANGE_ID}`);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Set DAX policy: /mnt/pmem/db (on, existing: all)');
    const table = screen.getByRole('table', { name: 'Flag changes' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(50);
    expect([...rows[0]!.querySelectorAll('td')].map((cell) => cell.textContent)).toEqual([
      '/mnt/pmem/db/file0000', 'file', 'off → on', 'off → on', expect.stringContaining('not evicted yet') as unknown as string,
    ]);
    expect(screen.getByRole('heading', { name: 'Flag changes (120)' })).toBeTruthy();
    const pager = screen.getByRole('navigation', { name: 'Flag change pages' });
    expect(pager.textContent).toContain('Page 1 of 3');
    fireEvent.click(within(pager).getByRole('button', { name: 'Next page' }));
    fireEvent.click(within(pager).getByRole('button', { name: 'Next page' }));
    expect(pager.textContent).toContain('Page 3 of 3');
    expect(within(screen.getByRole('table', { name: 'Flag changes' })).getAllByRole('row').slice(1)).toHaveLength(20);
    expect((within(pager).getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('the result of a DAX change', { timeout: 15_000 }, () => {
  it('verified: the steps done, each verification check, the data lost, and the fields after', async () => {
    hub('operator', () => verified());
    renderApp(`/dax/changes/${CHANGE_ID}`);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByRole('heading', { level: 2 }).textContent).toBe('Result: Verified');
    expect(checkResults(within(result).getByRole('table', { name: 'Verification checks' }))).toEqual(['namespace-mode ✓', 'namespace-size ✓']);
    expect(within(screen.getByRole('region', { name: 'Data loss' })).getByRole('heading').textContent).toBe('Data lost');
    const steps = within(screen.getByRole('list', { name: 'Steps' })).getAllByRole('listitem');
    expect(steps[2]!.textContent).toContain('done');
    expect(steps[2]!.textContent).toContain('dax0.1 enabled');
    const after = within(screen.getByRole('table', { name: 'Before and expected' })).getAllByRole('row')[1]!;
    expect(after.textContent).toBe('modefsdaxdevdaxdevdax');
    expect(screen.queryByRole('region', { name: 'Execute' })).toBeNull();
  });

  it('a verified policy shows each path after the change, pending ones with why', async () => {
    const policy = policyPlanned(1);
    hub('operator', () => ({
      ...policy, status: 'verified', executed_at: new Date().toISOString(),
      result: {
        ...verified().result!, changed: 2, pending: 1,
        verification: [{ id: 'flags-set', ok: true, detail: 'all 2 flags read back as planned' }],
        after: {
          entries: [
            { path: '/mnt/pmem/db', kind: 'dir', inode: 12, flag: true, state: 'n/a' },
            { path: '/mnt/pmem/db/file0000', kind: 'file', inode: 100, flag: true, effective: false, requested: true, state: 'pending', reason: 'not-evicted', holders: [{ pid: 77, command: 'redis' }] },
          ],
          scanned: 2, truncated: false, counts: { dax: 0, 'not-dax': 0, pending: 1, 'n/a': 1 }, inspected_at: new Date().toISOString(),
        },
      },
    }));
    renderApp(`/dax/changes/${CHANGE_ID}`);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(result.textContent).toContain('2 flags changed. 1 file is pending');
    const after = within(result).getByRole('table', { name: 'After the change' });
    expect(within(after).getByLabelText('State of /mnt/pmem/db/file0000').textContent).toBe('pending');
    expect(within(after).getByRole('list', { name: 'Holders of /mnt/pmem/db/file0000' }).textContent).toBe('pid 77 (redis)');
    const flagRow = within(screen.getByRole('table', { name: 'Before and expected' })).getAllByRole('row')[1]!;
    expect(flagRow.textContent).toBe('flagfalsetruetrue');
  });

  it('failed: the error, the failed step and check', async () => {
    hub('operator', () => failed());
    renderApp(`/dax/changes/${CHANGE_ID}`);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByRole('heading', { level: 2 }).textContent).toBe('Result: Failed');
    expect(within(result).getByRole('alert').textContent).toBe('ndctl_dax_enable failed (ENXIO): namespace0.0 is left raw and empty');
    expect(checkResults(within(result).getByRole('table', { name: 'Verification checks' }))).toEqual(['namespace-mode ✗']);
    expect(within(screen.getByRole('list', { name: 'Steps' })).getAllByRole('listitem')[2]!.textContent).toContain('failed');
  });

  it('interrupted: says the next scan shows what happened', async () => {
    hub('operator', () => interrupted());
    renderApp(`/dax/changes/${CHANGE_ID}`);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByRole('heading', { level: 2 }).textContent).toBe('Result: Interrupted');
    expect(within(result).getByRole('alert').textContent).toContain('next scan shows what happened');
  });
});

describe('executing a DAX change', { timeout: 15_000 }, () => {
  it('a viewer reads the change but an operator must execute it', async () => {
    hub('viewer', () => planned());
    renderApp(`/dax/changes/${CHANGE_ID}`);
    expect((await screen.findByRole('note')).textContent).toContain('An operator must execute this change.');
    expect(screen.queryByRole('button', { name: 'Execute…' })).toBeNull();
  });

  it('data loss must be confirmed with the checkbox before Execute sends the reviewed digest; the result follows', async () => {
    let change = planned();
    const calls = hub('operator', () => change, {
      [`POST ${CHANGE_PATH}/execute`]: () => { change = verified(); return { body: change }; },
    });
    renderApp(`/dax/changes/${CHANGE_ID}`);
    fireEvent.click(await screen.findByRole('button', { name: 'Execute…' }));
    const dialog = screen.getByRole('dialog', { name: 'Execute this DAX change?' });
    expect(dialog.textContent).toContain('all data on namespace0.0 (fsdax, /dev/pmem0) (376.00 MiB)');
    const execute = within(dialog).getByRole('button', { name: 'Execute' });
    expect(execute.hasAttribute('disabled')).toBe(true);
    fireEvent.click(execute);
    expect(calls.filter((call) => call.method === 'POST')).toEqual([]);
    const understand = within(dialog).getByRole('checkbox', { name: 'I understand this data will be lost' });
    expect(document.activeElement).toBe(understand);
    fireEvent.click(understand);
    fireEvent.click(execute);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByRole('heading', { level: 2 }).textContent).toBe('Result: Verified');
    expect(calls.filter((call) => call.method === 'POST')).toEqual([{ method: 'POST', path: `${CHANGE_PATH}/execute`, body: { digest: DIGEST } }]);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByLabelText('Change status').textContent).toBe('verified');
  });

  it('a change that loses nothing needs no checkbox', async () => {
    let change = onlinePlanned();
    const calls = hub('operator', () => change, {
      [`POST ${CHANGE_PATH}/execute`]: () => { change = { ...onlinePlanned(), status: 'verified', executed_at: new Date().toISOString(), result: { ...verified().result!, verification: [{ id: 'memory-online', ok: true, detail: '2 of 2 blocks online' }] } }; return { body: change }; },
    });
    renderApp(`/dax/changes/${CHANGE_ID}`);
    expect(within(await screen.findByRole('region', { name: 'Data loss' })).getByRole('paragraph').textContent).toBe('None: this change destroys no data.');
    fireEvent.click(screen.getByRole('button', { name: 'Execute…' }));
    const dialog = screen.getByRole('dialog', { name: 'Execute this DAX change?' });
    expect(within(dialog).queryByRole('checkbox')).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Execute' }));
    await screen.findByRole('region', { name: 'Result' });
    expect(calls.filter((call) => call.method === 'POST')).toHaveLength(1);
  });

  it('Cancel and Escape close the dialog without sending anything and forget the tick', async () => {
    const calls = hub('operator', () => planned());
    renderApp(`/dax/changes/${CHANGE_ID}`);
    fireEvent.click(await screen.findByRole('button', { name: 'Execute…' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'I understand this data will be lost' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Execute…' }));
    expect((screen.getByRole('checkbox', { name: 'I understand this data will be lost' }) as HTMLInputElement).checked).toBe(false);
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Execute…' }));
    expect(calls.filter((call) => call.method === 'POST')).toEqual([]);
  });

  const conflicts: { code: string; message: string; next: RegExp; replan: boolean }[] = [
    { code: 'DAXFLEET_ERR_DAX_CHANGE_EXPIRED', message: 'the change expired at 15:40:00', next: /expired before it was executed/, replan: true },
    { code: 'DAXFLEET_ERR_DAX_NOT_EXECUTABLE', message: 'the plan is not executable', next: /A precondition failed/, replan: true },
    { code: 'DAXFLEET_ERR_DAX_ALREADY_EXECUTED', message: 'already executed by operator-2', next: /already executed/, replan: false },
    { code: 'DAXFLEET_ERR_DAX_DIGEST_MISMATCH', message: 'the digest differs', next: /not the stored one/, replan: true },
    { code: 'DAXFLEET_ERR_DAX_HOST_CHANGED', message: 'namespace0.0 is now mounted', next: /The host changed since this plan was made/, replan: true },
    { code: 'DAXFLEET_ERR_DAX_BUSY', message: 'another change runs on host-a', next: /Another change is running on this host/, replan: false },
  ];
  for (const { code, message, next, replan } of conflicts) {
    it(`a 409 ${code} shows the hub's message and the next step`, async () => {
      hub('operator', () => planned(), { [`POST ${CHANGE_PATH}/execute`]: conflict(code, message) });
      renderApp(`/dax/changes/${CHANGE_ID}`);
      fireEvent.click(await screen.findByRole('button', { name: 'Execute…' }));
      fireEvent.click(screen.getByRole('checkbox', { name: 'I understand this data will be lost' }));
      fireEvent.click(screen.getByRole('button', { name: 'Execute' }));
      const alert = await screen.findByRole('alert');
      expect(alert.textContent).toContain('The hub did not execute this change');
      expect(alert.textContent).toContain(message);
      expect(alert.textContent).toContain(code);
      const section = screen.getByRole('region', { name: 'Execute' });
      expect(section.textContent).toMatch(next);
      expect(within(section).queryByRole('button', { name: 'Plan again' }) !== null).toBe(replan);
    });
  }
});
