/**
 * The DAX change dispatcher: digest, one change at a time, re-plan at execute (host-changed, not-executable),
 * outcome from steps and verification, a handler that throws, the report after a change. The device kinds run over
 * a recorded tree (their native calls are never reached: a refusal comes first); the execution paths use a handler
 * of the fs-dax-policy kind written here (the seam of contract.ts), since no device of this machine may change.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as daxNative from '@daxfleet/dax-native';
import type { DaxChangeAgentPlan, DaxChangeExecuteAgentCommand, DaxChangeRequest, DaxCheck, DaxStepResult } from '@daxfleet/shared';
import type { DaxChangeHandler, DaxExecutionParts, FsDaxPolicyRequest } from '../src/agent/dax/contract.js';
import { DAX_JOURNAL_FILE, DaxChangeService, DaxJournal, daxPlanDigest, deviceHandlers, HostChangeLock } from '../src/agent/dax/index.js';
import type { DeviceNative } from '../src/agent/dax/native.js';
import { holdOpen, recordedDeviceHost, type RecordedDeviceHost } from './dax-device-fixtures.js';
import { tempDir } from './helpers.js';

const MiB = 1024 * 1024;
const nativeCalls: string[] = [];
const refuse = (name: string) => (): Promise<never> => {
  nativeCalls.push(name);
  return Promise.reject(new Error(`${name} must not be reached`));
};
const native: DeviceNative = {
  createNamespace: refuse('createNamespace'), reconfigureNamespace: refuse('reconfigureNamespace'),
  destroyNamespace: refuse('destroyNamespace'), reconfigureDaxDevice: refuse('reconfigureDaxDevice'),
  onlineDaxMemory: refuse('onlineDaxMemory'), offlineDaxMemory: refuse('offlineDaxMemory'),
};

let seq = 0;
function executeCommand(request: DaxChangeRequest, digest: string): DaxChangeExecuteAgentCommand {
  seq++;
  return { type: 'dax-change-execute', id: `cmd-${seq}`, change_id: `dc_test${seq}`, request, digest, executed_by: 'user:alice' };
}

/** A policy handler whose plan shows `state.before` and whose execution does what the test says. */
function policyHandler(state: {
  before: number; checks?: DaxCheck[]; steps?: DaxStepResult['status'][]; verification?: DaxCheck[];
  execute?: () => Promise<void>; throws?: Error;
}): DaxChangeHandler<FsDaxPolicyRequest> {
  return {
    plan: async (request) => ({
      kind: request.kind, request, before: { flag: state.before }, expected: { flag: request.dax },
      steps: [{ n: 1, op: 'FS_IOC_FSSETXATTR', description: `set the flag on ${request.path}` }],
      data_loss: [], changes: [], checks: state.checks ?? [{ id: 'path-exists', ok: true, detail: 'there' }],
    }),
    execute: async (_request, plan): Promise<DaxExecutionParts> => {
      await state.execute?.();
      if (state.throws) throw state.throws;
      return {
        steps: plan.steps.map((s, i) => ({ n: s.n, op: s.op, status: state.steps?.[i] ?? 'done' })),
        verification: state.verification ?? [{ id: 'flags-set', ok: true, detail: '1 flag set' }],
        after: { flag: true },
      };
    },
  };
}

const POLICY: FsDaxPolicyRequest = { kind: 'fs-dax-policy', path: '/mnt/x', dax: true };

describe('dispatcher over a policy handler', () => {
  it('plan: executable and digest from the parts; the digest covers kind, request, before, expected, steps, data_loss, changes', async () => {
    const state = { before: 0 };
    const service = new DaxChangeService({ handlers: { 'fs-dax-policy': policyHandler(state) } });
    const plan = await service.plan(POLICY);
    expect(plan.executable).toBe(true);
    expect(plan.refusal).toBeUndefined();
    expect(plan.digest).toBe(daxPlanDigest(plan));
    // checks and planned_at are not digested: a holder coming or going does not change what would be done
    expect(daxPlanDigest({ ...plan, checks: [] } as DaxChangeAgentPlan)).toBe(plan.digest);
    expect((await service.plan(POLICY)).digest).toBe(plan.digest);
    state.before = 1;
    expect((await service.plan(POLICY)).digest).not.toBe(plan.digest);
    expect((await service.plan({ ...POLICY, dax: false })).digest).not.toBe(plan.digest);
  });

  it('a failed check makes the plan not executable, with the first failed check\'s detail as the refusal', async () => {
    const service = new DaxChangeService({
      handlers: {
        'fs-dax-policy': policyHandler({
          before: 0, checks: [
            { id: 'path-exists', ok: true, detail: 'there' }, { id: 'fs-writable', ok: false, detail: 'mounted read-only' },
            { id: 'subtree-size', ok: false, detail: 'too many' },
          ],
        }),
      },
    });
    const plan = await service.plan(POLICY);
    expect(plan.executable).toBe(false);
    expect(plan.refusal).toBe('mounted read-only');
    const ack = await service.execute(executeCommand(POLICY, plan.digest));
    expect(ack).toMatchObject({ executed: false, refused_because: 'not-executable', dax_plan: { digest: plan.digest } });
    expect(ack.refusal).toContain('mounted read-only');
  });

  it('execute: verified when every step is done and every check ok, then the agent reports at once', async () => {
    let reports = 0;
    const service = new DaxChangeService({ handlers: { 'fs-dax-policy': policyHandler({ before: 0 }) }, rescan: async () => { reports++; } });
    const plan = await service.plan(POLICY);
    const ack = await service.execute(executeCommand(POLICY, plan.digest));
    expect(ack.executed).toBe(true);
    expect(ack.result).toMatchObject({ outcome: 'verified', executed_by: 'user:alice', steps: [{ status: 'done' }], after: { flag: true } });
    expect(ack.result?.error).toBeUndefined();
    expect(reports).toBe(1);
  });

  it('a failed verification check or an undone step makes the outcome failed, with the reason', async () => {
    const checkFails = new DaxChangeService({
      handlers: { 'fs-dax-policy': policyHandler({ before: 0, verification: [{ id: 'flags-set', ok: false, detail: '0 of 1 flags set' }] }) },
    });
    const a = await checkFails.execute(executeCommand(POLICY, (await checkFails.plan(POLICY)).digest));
    expect(a.result).toMatchObject({ outcome: 'failed', error: 'verification failed: 0 of 1 flags set' });
    const stepFails = new DaxChangeService({ handlers: { 'fs-dax-policy': policyHandler({ before: 0, steps: ['failed'] }) } });
    const b = await stepFails.execute(executeCommand(POLICY, (await stepFails.plan(POLICY)).digest));
    expect(b.result?.outcome).toBe('failed');
  });

  it('a handler that throws gives outcome failed with the error, never a rejected command; the host is reported anyway', async () => {
    let reports = 0;
    const service = new DaxChangeService({
      handlers: { 'fs-dax-policy': policyHandler({ before: 0, throws: new Error('EIO on the ioctl') }) },
      rescan: async () => { reports++; },
    });
    const ack = await service.execute(executeCommand(POLICY, (await service.plan(POLICY)).digest));
    expect(ack.executed).toBe(true);
    expect(ack.result?.outcome).toBe('failed');
    expect(ack.result?.error).toContain('EIO on the ioctl');
    expect(reports).toBe(1);
    expect(service.busyWith).toBeUndefined();
  });

  it('a change_id runs once: a repeat (a replayed command) is refused already-executed with its result, also by a service re-created from the same data dir', async () => {
    const data = tempDir('daxfleet-dax-journal-');
    let runs = 0;
    const handlers = { 'fs-dax-policy': policyHandler({ before: 0, execute: async () => { runs++; } }) };
    try {
      const service = new DaxChangeService({ handlers, journal: DaxJournal.open(data.dir, console) });
      const cmd = executeCommand(POLICY, (await service.plan(POLICY)).digest);
      const first = await service.execute(cmd);
      expect(first.result?.outcome).toBe('verified');
      const again = await service.execute({ ...cmd, id: 'cmd-replayed' });
      expect(again).toMatchObject({ executed: false, refused_because: 'already-executed', result: { outcome: 'verified' } });
      expect(again.refusal).toBe(`this change was already executed on ${first.result?.started_at} (verified): it is not run twice`);
      const restarted = new DaxChangeService({ handlers, journal: DaxJournal.open(data.dir, console) });
      expect(await restarted.execute(cmd)).toMatchObject({ executed: false, refused_because: 'already-executed', result: first.result });
      expect(runs).toBe(1);
      // another change_id still runs
      expect((await restarted.execute(executeCommand(POLICY, cmd.digest))).executed).toBe(true);
      expect(JSON.parse(readFileSync(path.join(data.dir, DAX_JOURNAL_FILE), 'utf8')).changes).toHaveLength(2);
    } finally {
      data.remove();
    }
  });

  it('a change the agent stopped during (started, no result) is refused after the restart, without a result', async () => {
    const data = tempDir('daxfleet-dax-journal-');
    try {
      DaxJournal.open(data.dir, console).started('dc_cut', 'fs-dax-policy', '2026-11-27T12:00:00.000Z');
      const service = new DaxChangeService({ handlers: { 'fs-dax-policy': policyHandler({ before: 0, throws: new Error('must not run') }) },
        journal: DaxJournal.open(data.dir, console) });
      const ack = await service.execute({ ...executeCommand(POLICY, 'x'), change_id: 'dc_cut' });
      expect(ack).toMatchObject({ executed: false, refused_because: 'already-executed' });
      expect(ack.result).toBeUndefined();
      expect(ack.refusal).toMatch(/already executed on 2026-11-27T12:00:00.000Z and did not finish/);
    } finally {
      data.remove();
    }
  });

  it('no DAX change while a recovery runs (the lock shared with the recovery executor), and the lock is held while one runs', async () => {
    const lock = new HostChangeLock();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const service = new DaxChangeService({ handlers: { 'fs-dax-policy': policyHandler({ before: 0, execute: () => gate }) }, changeLock: lock });
    const digest = (await service.plan(POLICY)).digest;
    expect(lock.take('recovery', 'plan-7')).toEqual([]);
    const refused = await service.execute(executeCommand(POLICY, digest));
    expect(refused).toMatchObject({ executed: false, refused_because: 'busy' });
    expect(refused.refusal).toMatch(/a recovery \(plan plan-7\) is running on this host.*execute this one when it has finished/);
    lock.release('plan-7');
    const cmd = executeCommand(POLICY, digest);
    const running = service.execute(cmd);
    await new Promise((r) => setTimeout(r, 20));
    expect(lock.take('recovery', 'plan-8')).toEqual([cmd.change_id]);
    release();
    expect((await running).result?.outcome).toBe('verified');
    expect(lock.take('recovery', 'plan-8')).toEqual([]);
  });

  it('one change at a time: a second execute while one runs is refused busy, and runs once the first finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const service = new DaxChangeService({ handlers: { 'fs-dax-policy': policyHandler({ before: 0, execute: () => gate }) } });
    const digest = (await service.plan(POLICY)).digest;
    const first = service.execute(executeCommand(POLICY, digest));
    await new Promise((r) => setTimeout(r, 20));
    const second = await service.execute(executeCommand(POLICY, digest));
    expect(second).toMatchObject({ executed: false, refused_because: 'busy' });
    expect(second.refusal).toMatch(/another DAX change \(dc_test\d+\) is running/);
    expect(second.dax_plan).toBeUndefined();
    release();
    expect((await first).result?.outcome).toBe('verified');
    expect((await service.execute(executeCommand(POLICY, digest))).executed).toBe(true);
  });

  it('the schema defaults are applied before planning: with or without existing: \'none\' is the same plan and digest', async () => {
    const seen: FsDaxPolicyRequest[] = [];
    const handler = policyHandler({ before: 0 });
    const service = new DaxChangeService({
      handlers: { 'fs-dax-policy': { ...handler, plan: (request) => { seen.push(request); return handler.plan(request); } } },
    });
    const implied = { ...POLICY };
    const plan = await service.plan(implied);
    expect(seen[0]).toEqual({ ...POLICY, existing: 'none' });
    expect(plan.request).toEqual({ ...POLICY, existing: 'none' });
    expect(implied).toEqual(POLICY); // the caller's request is left as it was
    expect((await service.plan({ ...POLICY, existing: 'none' })).digest).toBe(plan.digest);
    expect((await service.plan({ ...POLICY, existing: 'all' })).digest).not.toBe(plan.digest);
    // a hub that sends the request as the operator typed it executes against a plan made with the defaults spelled out
    const ack = await service.execute(executeCommand(POLICY, plan.digest));
    expect(ack).toMatchObject({ executed: true, result: { outcome: 'verified' } });
  });

  it('a kind the agent has no handler for is refused with a message saying so', async () => {
    const service = new DaxChangeService({ handlers: {} });
    await expect(service.plan(POLICY)).rejects.toThrow(/cannot plan fs-dax-policy changes/);
    await expect(service.inspect({ path: '/' })).rejects.toThrow(/cannot inspect filesystem DAX/);
  });
});

describe('dispatcher over the device kinds (recorded tree, nothing reaches the native calls)', () => {
  let copy: RecordedDeviceHost;
  beforeAll(() => { copy = recordedDeviceHost('two-dimm-all-modes', { copy: true }); });
  afterAll(() => copy.remove());

  it('host-changed: the region changed after the plan was reviewed; the fresh plan comes back and nothing runs', async () => {
    const service = new DaxChangeService({ handlers: deviceHandlers(copy.host, native) });
    const request: DaxChangeRequest = { kind: 'namespace-create', region: 'region0', mode: 'fsdax', size: 64 * MiB };
    const reviewed = await service.plan(request);
    expect(reviewed.executable, reviewed.refusal).toBe(true);
    copy.set('bus/nd/devices/region0/available_size', `${128 * MiB}\n`);
    const ack = await service.execute(executeCommand(request, reviewed.digest));
    expect(ack).toMatchObject({ executed: false, refused_because: 'host-changed' });
    expect(ack.refusal).toMatch(/host changed.*digest/);
    expect(ack.dax_plan?.digest).not.toBe(reviewed.digest);
    expect(ack.dax_plan?.expected?.region_available_size).toBe(64 * MiB);
    expect(nativeCalls).toEqual([]);
  });

  it('daxdev-online and daxdev-reconfigure plan to one digest whether online / movable are implied or spelled out', async () => {
    const service = new DaxChangeService({ handlers: deviceHandlers(copy.host, native) });
    const online = await service.plan({ kind: 'daxdev-online', device: 'dax1.2' });
    expect(online.request).toEqual({ kind: 'daxdev-online', device: 'dax1.2', movable: true });
    expect((await service.plan({ kind: 'daxdev-online', device: 'dax1.2', movable: true })).digest).toBe(online.digest);
    expect((await service.plan({ kind: 'daxdev-online', device: 'dax1.2', movable: false })).digest).not.toBe(online.digest);
    const ram = await service.plan({ kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram' });
    expect(ram.request).toMatchObject({ online: true, movable: true });
    expect((await service.plan({ kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram', online: true, movable: true })).digest)
      .toBe(ram.digest);
    expect(nativeCalls).toEqual([]);
  });

  it('not-executable: a mounted namespace stays refused at execute, with the same digest', async () => {
    const service = new DaxChangeService({ handlers: deviceHandlers(copy.host, native) });
    const request: DaxChangeRequest = { kind: 'namespace-destroy', namespace: 'namespace0.0' };
    const plan = await service.plan(request);
    const ack = await service.execute(executeCommand(request, plan.digest));
    expect(ack).toMatchObject({ executed: false, refused_because: 'not-executable' });
    expect(ack.refusal).toContain('/mnt/fsdax-dev');
    expect(nativeCalls).toEqual([]);
  });

  it('a process that opens the dax device between the plan and the native call fails the first step; nothing is called', async () => {
    // real /proc: dax1.0 is given /dev/full's number (1:7), held by a child process only after the plan was made
    const live = recordedDeviceHost('two-dimm-all-modes', { copy: true, realProc: true });
    live.set('bus/dax/devices/dax1.0/dev', '1:7\n');
    const handlers = deviceHandlers(live.host, native);
    let holder: Awaited<ReturnType<typeof holdOpen>> | undefined;
    try {
      const device: DaxChangeRequest = { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram', online: true, movable: true };
      const devicePlan = await new DaxChangeService({ handlers }).plan(device);
      const namespace: DaxChangeRequest = { kind: 'namespace-destroy', namespace: 'namespace1.0' };
      const namespacePlan = await new DaxChangeService({ handlers }).plan(namespace);
      expect([devicePlan.executable, namespacePlan.executable]).toEqual([true, true]);
      holder = await holdOpen('/dev/full');
      const pid = holder.pid;
      const onDevice = await handlers['daxdev-reconfigure']?.execute(device, devicePlan);
      expect(onDevice?.steps.map((x) => x.status)).toEqual(['failed', 'skipped', 'skipped']);
      expect(onDevice?.steps[0]?.detail).toContain(`/dev/dax1.0: pid ${pid} (sleep, open fd)`);
      expect(onDevice?.error).toMatch(/a process holds the device now .*nothing was changed/);
      const onNamespace = await handlers['namespace-destroy']?.execute(namespace, namespacePlan);
      expect(onNamespace?.steps[0]).toMatchObject({ status: 'failed', detail: expect.stringContaining(`pid ${pid}`) });
      expect(nativeCalls).toEqual([]);
    } finally {
      holder?.stop();
      live.remove();
    }
  });
});

/** this machine's own nd bus: the real native calls below may only run where there is none */
const machineHasNvdimm = existsSync('/sys/bus/nd/devices') && readdirSync('/sys/bus/nd/devices').length > 0;

describe.skipIf(machineHasNvdimm)('executors with the real native calls, on this machine without NVDIMMs (the plan comes from a recorded tree)', () => {
  let h: RecordedDeviceHost;
  let sys: RecordedDeviceHost;
  beforeAll(() => {
    h = recordedDeviceHost('two-dimm-all-modes');
    sys = recordedDeviceHost('devdax-system-ram');
  });
  afterAll(() => {
    h.remove();
    sys.remove();
  });
  const realNative: DeviceNative = daxNative;

  it('libndctl finds no such namespace here: the first step failed with its error, the rest skipped, verification from a fresh scan', async () => {
    const service = new DaxChangeService({ handlers: deviceHandlers(h.host, realNative) });
    const request: DaxChangeRequest = { kind: 'namespace-destroy', namespace: 'namespace0.3' };
    const plan = await service.plan(request);
    expect(plan.executable, plan.refusal).toBe(true);
    const ack = await service.execute(executeCommand(request, plan.digest));
    expect(ack.executed).toBe(true);
    const result = ack.result;
    expect(result?.outcome).toBe('failed');
    expect(result?.steps.map((x) => x.status)).toEqual(['failed', 'skipped']);
    expect(result?.steps[0]?.detail).toMatch(/ENODEV/);
    expect(result?.error).toMatch(/^destroying namespace0\.3 failed: .*ENODEV/);
    // the recorded tree still has it: the verification says so rather than trusting anything else
    expect(result?.verification.find((c) => c.id === 'namespace-gone')).toMatchObject({ ok: false });
    expect(result?.after).toMatchObject({ dev: 'namespace0.3', mode: 'raw' });
  });

  it('libdaxctl finds no such device: the offline step failed, the device as scanned is still online', async () => {
    const service = new DaxChangeService({ handlers: deviceHandlers(sys.host, realNative) });
    const request: DaxChangeRequest = { kind: 'daxdev-offline', device: 'dax0.1' };
    const plan = await service.plan(request);
    const ack = await service.execute(executeCommand(request, plan.digest));
    expect(ack.result?.outcome).toBe('failed');
    expect(ack.result?.steps).toEqual([expect.objectContaining({ op: 'daxctl_memory_offline', status: 'failed', detail: expect.stringMatching(/ENODEV/) })]);
    expect(ack.result?.verification.find((c) => c.id === 'memory-online')).toMatchObject({ ok: false, detail: '1 of 1 memory blocks online (expected none)' });
  });

  it('back to devdax: the online / movable defaults the dispatcher fills in are not passed on (libdaxctl is reached: ENODEV here)', async () => {
    const service = new DaxChangeService({ handlers: deviceHandlers(sys.host, realNative) });
    const request: DaxChangeRequest = { kind: 'daxdev-reconfigure', device: 'dax0.1', mode: 'devdax' };
    const plan = await service.plan(request);
    expect(plan.executable, plan.refusal).toBe(true);
    expect(plan.request).toMatchObject({ online: true, movable: true });
    const ack = await service.execute(executeCommand(request, plan.digest));
    expect(ack.result?.steps[0]).toMatchObject({ status: 'failed', detail: expect.stringMatching(/ENODEV/) });
    expect(ack.result?.error).not.toMatch(/ERR_INVALID_ARG/);
  });
});
