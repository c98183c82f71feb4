import type { RecoveryPlan } from '@daxfleet/shared';
import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub, type StubAnswer, type StubRoutes } from '@/testing/stub-hub';
import { TestEventSource } from '@/testing/event-source';
import { DIGEST, executing, failed, FILE, PLAN_ID, planned, refused, STILL_PRESENT_DETAIL, stillPresent, verified } from '../testing/plans';

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const PLAN_PATH = `/recovery/plans/${PLAN_ID}`;

function hub(role: 'viewer' | 'operator', plan: () => RecoveryPlan, extra: StubRoutes = {}) {
  return stubHub({
    'GET /auth/me': { body: principal(role) },
    'GET /hosts': { body: { hosts: [hostSummary()] } },
    [`GET ${PLAN_PATH}`]: () => ({ body: plan() }),
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

describe('reviewing a recovery plan', { timeout: 15_000 }, () => {
  it('shows the target, the exact steps, the data that will be lost, the preconditions and the time left', async () => {
    hub('operator', () => planned());
    renderApp(`/recovery/${PLAN_ID}`);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe(`Punch a hole: ${FILE}`);
    expect(screen.getByLabelText('Plan status').textContent).toBe('planned');
    const loss = screen.getByRole('region', { name: 'Data loss' });
    expect(within(loss).getByRole('heading').textContent).toBe('Data that will be lost');
    expect(within(loss).getByRole('listitem').textContent).toBe(`bytes 1048576–1050623 of ${FILE} read as zeros afterwards`);
    const steps = within(screen.getByRole('list', { name: 'Steps' })).getAllByRole('listitem');
    expect(steps).toHaveLength(5);
    expect(steps[0]!.textContent).toBe(`1. punch-hole fallocate(FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE) ${FILE} bytes 1048576+2048`);
    expect(steps[4]!.textContent).toContain('5. read-file');
    const preconditions = screen.getByRole('table', { name: 'Preconditions' });
    expect(checkResults(preconditions)).toContain('not-open ✓');
    expect(within(preconditions).getAllByLabelText('passed')).toHaveLength(8);
    const timer = screen.getByRole('timer', { name: 'Time left to execute' });
    expect(timer.textContent).toMatch(/^9:5\d$/);
    const target = screen.getByRole('region', { name: 'Target' });
    expect(target.textContent).toContain('namespace2.0 (fsdax)');
    expect(target.textContent).toContain('1,048,576–1,050,623');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('a refused plan says why prominently, shows the failed check, and plans again with the same request', async () => {
    const calls = hub('operator', () => refused(), {
      'POST /hosts/host-a/recovery/plans': { status: 201, body: planned({ id: 'rp_second' }) },
      'GET /recovery/plans/rp_second': { body: planned({ id: 'rp_second' }) },
    });
    const { router } = renderApp(`/recovery/${PLAN_ID}`);
    const alert = await screen.findByRole('alert', { name: 'Refused' });
    expect(alert.textContent).toContain('Refused: pid 4711 (postgres) has the file mapped: stop it, then plan again');
    expect(checkResults(screen.getByRole('table', { name: 'Preconditions' }))).toContain('not-open ✗');
    expect(screen.queryByRole('button', { name: 'Execute…' })).toBeNull();
    fireEvent.click(within(alert).getByRole('button', { name: 'Plan again' }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe('/recovery/rp_second'));
    expect(calls.filter((call) => call.method === 'POST')).toEqual([{
      method: 'POST', path: '/hosts/host-a/recovery/plans', body: refused().plan.request,
    }]);
  });

  it('an expired plan offers Plan again instead of Execute', async () => {
    hub('operator', () => planned({ status: 'expired', expires_at: new Date(Date.now() - 1000).toISOString() }));
    renderApp(`/recovery/${PLAN_ID}`);
    const alert = await screen.findByRole('alert', { name: 'Expired' });
    expect(alert.textContent).toContain('This plan expired');
    expect(within(alert).getByRole('button', { name: 'Plan again' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Execute…' })).toBeNull();
  });

  it('counts down, and when the time is up says the plan expired and asks the hub again', async () => {
    let plan = planned({ expires_at: new Date(Date.now() + 2_500).toISOString() });
    const calls = hub('operator', () => plan);
    renderApp(`/recovery/${PLAN_ID}`);
    const timer = await screen.findByRole('timer', { name: 'Time left to execute' });
    expect(timer.textContent).toMatch(/^0:0[23]$/);
    plan = planned({ status: 'expired', expires_at: plan.expires_at });
    expect(await screen.findByRole('alert', { name: 'Expired' }, { timeout: 4000 })).toBeTruthy();
    expect(screen.queryByRole('timer')).toBeNull();
    await vi.waitFor(() => expect(calls.filter((call) => call.path === PLAN_PATH).length).toBeGreaterThanOrEqual(2));
    await vi.waitFor(() => expect(screen.getByLabelText('Plan status').textContent).toBe('expired'));
  });
});

describe('executing a plan', { timeout: 15_000 }, () => {
  it('a viewer reads the plan but an operator must execute it', async () => {
    hub('viewer', () => planned());
    renderApp(`/recovery/${PLAN_ID}`);
    expect((await screen.findByRole('note')).textContent).toContain('An operator must execute this plan.');
    expect(screen.queryByRole('button', { name: 'Execute…' })).toBeNull();
  });

  it('asks to confirm the data loss with a checkbox before Execute sends the reviewed digest', async () => {
    let plan = planned();
    const calls = hub('operator', () => plan, {
      [`POST ${PLAN_PATH}/execute`]: () => { plan = executing(); return { status: 202, body: plan }; },
    });
    renderApp(`/recovery/${PLAN_ID}`);
    fireEvent.click(await screen.findByRole('button', { name: 'Execute…' }));
    const dialog = screen.getByRole('dialog', { name: 'Execute this recovery plan?' });
    expect(dialog.textContent).toContain(`bytes 1048576–1050623 of ${FILE} read as zeros afterwards`);
    const execute = within(dialog).getByRole('button', { name: 'Execute' });
    expect(execute.hasAttribute('disabled')).toBe(true);
    fireEvent.click(execute);
    expect(calls.filter((call) => call.method === 'POST')).toEqual([]);

    // the checkbox has focus when the dialog opens: the keyboard reaches it first
    const understand = within(dialog).getByRole('checkbox', { name: 'I understand this data will be lost' });
    expect(document.activeElement).toBe(understand);
    fireEvent.click(understand);
    expect(execute.hasAttribute('disabled')).toBe(false);
    fireEvent.click(execute);
    const progress = await screen.findByRole('region', { name: 'Progress' });
    expect(calls.filter((call) => call.method === 'POST')).toEqual([{ method: 'POST', path: `${PLAN_PATH}/execute`, body: { digest: DIGEST } }]);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(within(progress).getByRole('status').textContent).toBe('Step 1 of 5: punch-hole — punching 2048 bytes');
  });

  it('Cancel closes the dialog without sending anything and forgets the tick', async () => {
    const calls = hub('operator', () => planned());
    renderApp(`/recovery/${PLAN_ID}`);
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
    { code: 'DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED', message: 'the plan expired at 15:40:00', next: /expired before it was executed/, replan: true },
    { code: 'DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE', message: 'the plan is not executable: not-open failed', next: /A precondition failed/, replan: true },
    { code: 'DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED', message: 'the plan was executed by operator-2', next: /already executed/, replan: false },
    { code: 'DAXFLEET_ERR_RECOVERY_DIGEST_MISMATCH', message: 'the digest does not match the stored plan', next: /not the stored one/, replan: true },
    { code: 'DAXFLEET_ERR_RECOVERY_HOST_CHANGED', message: 'the host changed since the plan: the file size is now 8192', next: /The host changed since this plan was made/, replan: true },
    { code: 'DAXFLEET_ERR_RECOVERY_NOT_STARTED', message: 'another recovery (plan rp_2) is running on pmem2', next: /the plan stays planned: execute it again/, replan: false },
  ];
  it.each(conflicts)('shows the hub\'s refusal $code with its message and the next action', async ({ code, message, next, replan }) => {
    const calls = hub('operator', () => planned(), {
      [`POST ${PLAN_PATH}/execute`]: conflict(code, message),
      'POST /hosts/host-a/recovery/plans': { status: 201, body: planned({ id: 'rp_again' }) },
      'GET /recovery/plans/rp_again': { body: planned({ id: 'rp_again' }) },
    });
    const { router } = renderApp(`/recovery/${PLAN_ID}`);
    fireEvent.click(await screen.findByRole('button', { name: 'Execute…' }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'I understand this data will be lost' }));
    fireEvent.click(screen.getByRole('button', { name: 'Execute' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The hub did not execute this plan');
    expect(alert.textContent).toContain(message);
    expect(alert.textContent).toContain(code);
    expect(screen.getByText(next)).toBeTruthy();
    const again = screen.queryByRole('button', { name: 'Plan again' });
    expect(again !== null).toBe(replan);
    if (again !== null) {
      fireEvent.click(again);
      await vi.waitFor(() => expect(router.state.location.pathname).toBe('/recovery/rp_again'));
      expect(calls.filter((call) => call.method === 'POST').map((call) => call.path)).toEqual([`${PLAN_PATH}/execute`, '/hosts/host-a/recovery/plans']);
    }
  });
});

describe('progress and result', { timeout: 15_000 }, () => {
  it('shows each step\'s state and a progress bar in the agent\'s unit', async () => {
    hub('viewer', () => executing());
    renderApp(`/recovery/${PLAN_ID}`);
    const progress = await screen.findByRole('region', { name: 'Progress' });
    const bar = within(progress).getByRole('progressbar', { name: 'Step progress' }) as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([1024, 2048]);
    expect(progress.textContent).toContain('1.00 KiB of 2.00 KiB');
    const steps = within(screen.getByRole('list', { name: 'Steps' })).getAllByRole('listitem');
    expect(steps.map((step) => step.textContent!.split(' ').slice(0, 3).join(' '))).toEqual([
      '1. punch-hole running', '2. fsync pending', '3. reread-badblocks pending', '4. remap-range pending', '5. read-file pending',
    ]);
    expect(within(screen.getByRole('region', { name: 'Data loss' })).getByRole('heading').textContent).toBe('Data that will be lost');
  });

  it('between two steps says which step finished last, not that it is starting', async () => {
    const base = executing();
    const between: RecoveryPlan = {
      ...base,
      execution: {
        ...base.execution!,
        progress: undefined,
        steps: base.execution!.steps.map((step) => ({ ...step, status: step.n === 1 ? 'done' : 'pending' })),
      },
    };
    delete between.execution!.progress;
    hub('viewer', () => between);
    renderApp(`/recovery/${PLAN_ID}`);
    const progress = await screen.findByRole('region', { name: 'Progress' });
    expect(within(progress).getByRole('status').textContent).toBe('Step 1 of 5 done: punch-hole; waiting for the next step to report…');
  });

  it('refreshes from the live `recovery` notice, without polling while the stream is up', async () => {
    vi.stubGlobal('EventSource', TestEventSource);
    TestEventSource.instances = [];
    let plan = executing();
    const calls = hub('operator', () => plan);
    renderApp(`/recovery/${PLAN_ID}`);
    await screen.findByRole('region', { name: 'Progress' });
    const stream = TestEventSource.instances[0]!;
    act(() => stream.open());
    const fetchesOfPlan = () => calls.filter((call) => call.path === PLAN_PATH).length;
    const before = fetchesOfPlan();
    // no timer refetches while live
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(fetchesOfPlan()).toBe(before);

    plan = verified();
    act(() => stream.emit('recovery', { id: PLAN_ID, host_id: 'host-a', status: 'verified', seq: 7 }));
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByRole('heading', { level: 2 }).textContent).toBe('Result: Cleared');
    expect(fetchesOfPlan()).toBe(before + 1);
    // a notice about another plan does not refetch this one
    act(() => stream.emit('recovery', { id: 'rp_other', host_id: 'host-b', status: 'executing', seq: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fetchesOfPlan()).toBe(before + 1);
  }, 10_000);

  it('polls an executing plan while the live stream is down', async () => {
    // jsdom has no EventSource: the stream is "not live", so the page falls back to polling
    let plan = executing();
    const calls = hub('viewer', () => plan);
    renderApp(`/recovery/${PLAN_ID}`);
    const progress = await screen.findByRole('region', { name: 'Progress' });
    expect(progress.textContent).toContain('The live stream is down');
    plan = stillPresent();
    expect(await screen.findByRole('region', { name: 'Result' }, { timeout: 4000 })).toBeTruthy();
    expect(calls.filter((call) => call.path === PLAN_PATH).length).toBeGreaterThanOrEqual(2);
  }, 10_000);

  it('verified: the verdict, no remaining sectors, the checks and the links back', async () => {
    hub('viewer', () => verified());
    renderApp(`/recovery/${PLAN_ID}`);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(result.textContent).toContain('The range is no longer listed bad');
    expect(result.textContent).toContain('None: no sector of region2+131072 is listed bad any more.');
    expect(checkResults(within(result).getByRole('table', { name: 'Verification checks' }))).toEqual([
      'range-reread ✓', 'range-not-in-file ✓', 'hole-zeroed ✓', 'file-readable ✓',
    ]);
    expect(within(result).getByRole('link', { name: 'Show the range in the ledger' }).getAttribute('href')).toBe('/media?host=host-a');
    const audit = new URL(within(result).getByRole('link', { name: 'Audit log of this plan' }).getAttribute('href')!, 'http://ui.test');
    expect(audit.pathname).toBe('/admin/audit');
    expect(audit.searchParams.get('target')).toMatch(/^plan:.+/);
    expect(screen.getByLabelText('Plan status').textContent).toBe('verified');
    expect(within(screen.getByRole('region', { name: 'Data loss' })).getByRole('heading').textContent).toBe('Data lost');
    expect(within(screen.getByRole('list', { name: 'Steps' })).getAllByText('done')).toHaveLength(5);
  });

  it('still present: says why and lists the sectors still bad', async () => {
    hub('viewer', () => stillPresent());
    renderApp(`/recovery/${PLAN_ID}`);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByRole('heading', { level: 2 }).textContent).toBe('Result: Still present');
    expect(result.textContent).toContain(STILL_PRESENT_DETAIL);
    expect(within(within(result).getByRole('list', { name: 'Remaining bad sectors' })).getByRole('listitem').textContent).toBe('region2+131072 (8 sectors)');
  });

  it('failed: the error, the failed check and the failed step', async () => {
    hub('viewer', () => failed());
    renderApp(`/recovery/${PLAN_ID}`);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByRole('heading', { level: 2 }).textContent).toBe('Result: Failed');
    expect(within(result).getByRole('alert').textContent).toBe('step 1 punch-hole: fallocate failed with EOPNOTSUPP');
    expect(checkResults(within(result).getByRole('table', { name: 'Verification checks' }))).toContain('range-not-in-file ✗');
    const steps = within(screen.getByRole('list', { name: 'Steps' })).getAllByRole('listitem');
    expect(steps[0]!.textContent).toContain('failed');
    expect(steps[1]!.textContent).toContain('skipped');
  });

  it('interrupted: says the agent restarted and shows how far the steps got', async () => {
    const base = executing();
    hub('viewer', () => ({
      ...base, status: 'interrupted',
      execution: { ...base.execution!, progress: undefined, steps: base.execution!.steps.map((step) => (step.n === 1 ? { ...step, status: 'done' as const } : step)) },
    }));
    renderApp(`/recovery/${PLAN_ID}`);
    const result = await screen.findByRole('region', { name: 'Result' });
    expect(within(result).getByRole('heading', { level: 2 }).textContent).toBe('Result: Interrupted');
    expect(within(result).getByRole('alert').textContent).toContain('The agent restarted during the execution');
    expect(screen.queryByRole('region', { name: 'Progress' })).toBeNull();
  });

  it('the plan list follows a `recovery` notice', async () => {
    vi.stubGlobal('EventSource', TestEventSource);
    TestEventSource.instances = [];
    let status: RecoveryPlan['status'] = 'executing';
    stubHub({
      'GET /auth/me': { body: principal('viewer') },
      'GET /hosts': { body: { hosts: [hostSummary()] } },
      'GET /recovery/plans': () => ({ body: { plans: [planned({ status })] } }),
    });
    renderApp('/recovery');
    const table = await screen.findByRole('table', { name: 'Recovery plans' });
    const statusCell = () => within(within(table).getAllByRole('row')[1]!).getAllByRole('cell')[4]!.textContent;
    expect(statusCell()).toBe('executing');
    act(() => TestEventSource.instances[0]!.open());
    status = 'verified';
    act(() => TestEventSource.instances[0]!.emit('recovery', { id: PLAN_ID, host_id: 'host-a', status: 'verified', seq: 9 }));
    await vi.waitFor(() => expect(statusCell()).toBe('verified'));
  });

  it('an unknown plan says the hub could not load it', async () => {
    hub('viewer', () => planned());
    renderApp('/recovery/rp_missing');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load this recovery plan');
    expect(alert.textContent).toContain('HTTP 404');
  });
});
