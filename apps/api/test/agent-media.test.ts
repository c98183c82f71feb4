/**
 * The agent's media side on recorded kernels: a recorded sysfs tree is copied to a temporary folder and its
 * attributes edited the way the kernel changes them (a range added to regionN/badblocks, one written to
 * /sys/block/pmemX/badblocks, a range merged, a scrub running then completing); DIMM health, which comes from
 * libndctl and not from sysfs, is set on the scanned inventory. Covers event derivation, the journal
 * (atomic, durable, restart, corrupt file, cap) and the watcher's re-read path.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadError, scanInventory, watchSysfsAttributes } from '@daxfleet/dax-native';
import type { DimmHealth, Inventory, MediaEvent } from '@daxfleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveEvents, type MediaState } from '../src/agent/media/derive.js';
import { MEDIA_JOURNAL_FILE, MediaJournal } from '../src/agent/media/journal.js';
import { MediaWatcher, mediaAttributePaths, type WakeReason, type WatchSysfsAttributes } from '../src/agent/media/watch.js';
import { fixtureSysfs, tempDir } from './helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).reverse().forEach((c) => c())); // last made, first undone
const dir = (): string => {
  const t = tempDir('daxfleet-media-');
  cleanups.push(t.remove);
  return t.dir;
};

/** a writable copy of a recorded tree (symlinks kept as recorded) */
function copyTree(name: string): string {
  const root = path.join(dir(), 'sys');
  cpSync(fixtureSysfs(name), root, { recursive: true, verbatimSymlinks: true });
  return root;
}
const scan = (root: string): Promise<Inventory> => scanInventory({ sysfsRoot: root, health: false });
const regionAttr = (root: string, region: string, attr = 'badblocks'): string => path.join(root, 'bus/nd/devices', region, attr);

/** a silent logger that keeps what was logged */
function memoryLog(): { warn: (o: unknown, m?: string) => void; error: (o: unknown, m?: string) => void; info: (o: unknown, m?: string) => void; debug: () => void; lines: string[] } {
  const lines: string[] = [];
  const keep = (o: unknown, m?: string): void => {
    lines.push(typeof o === 'string' ? o : (m ?? ''));
  };
  return { warn: keep, error: keep, info: keep, debug: () => undefined, lines };
}

const summaryOf = (events: MediaEvent[]): string[] => events.map((e) => `${e.type} ${e.detected_by}: ${e.summary}`);

describe('deriveEvents on an edited recorded tree', () => {
  it('a fresh install reports every existing range as new, detected by the scan, whatever woke it', async () => {
    const inv = await scan(copyTree('two-dimm-all-modes'));
    const { events, state } = deriveEvents(undefined, inv, { detectedBy: 'poll' });
    expect(summaryOf(events)).toEqual([
      'badblock-new scan: new bad range region0+1311720 (8 sectors) under namespace0.3 (pmem0.3 sector 1000) on nmem1, listed only by the block device',
      'badblock-new scan: new bad range region1+655360 (8 sectors) under namespace1.1 (dax1.1 byte 62914560) on nmem0',
    ]);
    for (const e of events) expect(e.id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    expect(state.ranges.map((r) => r.region_offset)).toEqual([1311720, 655360]);
    // the same inventory again: nothing new
    expect(deriveEvents(state, inv, { detectedBy: 'scan' }).events).toEqual([]);
  });

  it('the kernel adds a range, merges it with its neighbour, then clears it', async () => {
    const root = copyTree('two-dimm-all-modes');
    let state = deriveEvents(undefined, await scan(root), { detectedBy: 'scan' }).state;

    // an MCE in namespace1.0 (devdax, region1 0..256 MiB, data from 6 MiB): region sector 20480 = 10 MiB
    writeFileSync(regionAttr(root, 'region1'), '20480 8\n655360 8\n');
    let d = deriveEvents(state, await scan(root), { detectedBy: 'notify' });
    expect(summaryOf(d.events)).toEqual([
      'badblock-new notify: new bad range region1+20480 (8 sectors) under namespace1.0 (dax1.0 byte 4194304) on nmem0',
    ]);
    expect(d.events[0]?.range).toMatchObject({ spa: '0x100a00000', namespace_offset: 8192, dimms: [{ dimm: 'nmem0', dpa: '0xa00000' }] });
    state = d.state;

    // a neighbouring poison: the kernel's list now holds one merged range: the old identity is cleared, the new opened
    writeFileSync(regionAttr(root, 'region1'), '20480 16\n655360 8\n');
    d = deriveEvents(state, await scan(root), { detectedBy: 'poll' });
    expect(d.events.map((e) => `${e.type} ${e.range?.region_offset}+${e.range?.length}`))
      .toEqual(['badblock-cleared 20480+8', 'badblock-new 20480+16']);
    state = d.state;

    // repaired (written over): gone from the list
    writeFileSync(regionAttr(root, 'region1'), '655360 8\n');
    d = deriveEvents(state, await scan(root), { detectedBy: 'poll' });
    expect(summaryOf(d.events)).toEqual([
      'badblock-cleared poll: bad range region1+20480 (16 sectors) under namespace1.0 (dax1.0 byte 4194304) on nmem0 cleared',
    ]);
    expect(d.state.ranges.map((r) => `${r.region}+${r.region_offset}`)).toEqual(['region0+1311720', 'region1+655360']);
  });

  it('a range written to a block device, and its removal', async () => {
    const root = copyTree('four-dimm-mixed');
    let state = deriveEvents(undefined, await scan(root), { detectedBy: 'scan' }).state;
    expect(state.ranges).toHaveLength(6);
    // `echo 0 8 > /sys/block/pmem2/badblocks` on the raw namespace2.0 (region2 starts with it)
    appendFileSync(path.join(root, 'block/pmem2/badblocks'), '0 8\n');
    let d = deriveEvents(state, await scan(root), { detectedBy: 'poll' });
    expect(summaryOf(d.events)).toEqual([
      'badblock-new poll: new bad range region2+0 (8 sectors) under namespace2.0 (pmem2 sector 0) on nmem0, listed only by the block device',
    ]);
    state = d.state;
    writeFileSync(path.join(root, 'block/pmem2/badblocks'), '131072 8\n');
    d = deriveEvents(state, await scan(root), { detectedBy: 'poll' });
    expect(d.events.map((e) => `${e.type} ${e.range?.region}+${e.range?.region_offset} ${e.range?.source}`))
      .toEqual(['badblock-cleared region2+0 blockdev']);
  });

  it('scrub-started when nfit/scrub turns active, scrub-completed when its count goes up; that scan finds ranges by scrub', async () => {
    const root = copyTree('two-dimm-all-modes');
    const scrubFile = path.join(root, 'bus/nd/devices/ndbus0/nfit/scrub');
    writeFileSync(scrubFile, '2\n');
    let state = deriveEvents(undefined, await scan(root), { detectedBy: 'scan' }).state;
    expect(state.scrub).toEqual({ ndbus0: { scrub_state: 'idle', scrub_count: 2 } });

    writeFileSync(scrubFile, '2+\n');
    let d = deriveEvents(state, await scan(root), { detectedBy: 'notify' });
    expect(summaryOf(d.events)).toEqual(['scrub-started notify: address-range scrub started on ndbus0']);
    state = d.state;

    writeFileSync(scrubFile, '3\n');
    writeFileSync(regionAttr(root, 'region0'), '0 8\n');
    d = deriveEvents(state, await scan(root), { detectedBy: 'notify' });
    expect(d.events.map((e) => `${e.type} ${e.detected_by}`)).toEqual(['scrub-completed notify', 'badblock-new scrub']);
    expect(d.events[0]).toMatchObject({ bus: 'ndbus0', scrub_count: 3 });
    expect(d.events[1]?.range).toMatchObject({ region: 'region0', region_offset: 0, namespace: 'namespace0.0', namespace_offset: -16384 });
  });
});

describe('deriveEvents: DIMM health as ndctl monitor defines its events', () => {
  const ok: DimmHealth = {
    supported: true, health_state: 'ok', temperature_celsius: 30, controller_temperature_celsius: 35, spares_percentage: 90,
    alarm_temperature: false, alarm_controller_temperature: false, alarm_spares: false, life_used_percentage: 1,
    shutdown_state: 'clean', shutdown_count: 4,
  };
  let base: Inventory | undefined;
  const withHealth = async (h: Record<string, Partial<DimmHealth>>): Promise<Inventory> => {
    base ??= await scan(fixtureSysfs('two-dimm-all-modes'));
    const inv = structuredClone(base);
    for (const d of inv.buses[0]?.dimms ?? []) d.health = { ...ok, ...h[d.dev] };
    return inv;
  };
  const types = (events: MediaEvent[]): string[] => events.filter((e) => e.dimm !== undefined).map((e) => `${e.dimm} ${e.type}`);

  it('first sight reports what is already tripped or dirty (as ndctl monitor at its start), not the health state', async () => {
    const d = deriveEvents(undefined, await withHealth({ nmem0: { alarm_spares: true, spares_percentage: 3, health_state: 'non-critical' }, nmem1: { shutdown_state: 'dirty' } }), { detectedBy: 'scan' });
    expect(types(d.events)).toEqual(['nmem0 dimm-spares-remaining', 'nmem1 dimm-unclean-shutdown']);
    expect(d.events.find((e) => e.type === 'dimm-spares-remaining')).toMatchObject({
      dimm_id: '8680-56341200', summary: 'nmem0: spares alarm tripped (3% spares left)', current: { spares_percentage: 3 },
    });
  });

  it('later scans raise each alarm on its edge, a health state change, another unclean shutdown, and the count going up', async () => {
    let state: MediaState = deriveEvents(undefined, await withHealth({}), { detectedBy: 'scan' }).state;
    const step = async (h: Record<string, Partial<DimmHealth>>): Promise<string[]> => {
      const d = deriveEvents(state, await withHealth(h), { detectedBy: 'scan' });
      state = d.state;
      return types(d.events);
    };
    expect(await step({ nmem0: { temperature_celsius: 31 } })).toEqual([]); // values move, no alarm: nothing
    expect(await step({ nmem0: { alarm_temperature: true, temperature_celsius: 81 } })).toEqual(['nmem0 dimm-media-temperature']);
    expect(await step({ nmem0: { alarm_temperature: true, temperature_celsius: 82 } })).toEqual([]); // still tripped
    expect(await step({ nmem0: { alarm_temperature: true, alarm_controller_temperature: true }, nmem1: { health_state: 'critical' } }))
      .toEqual(['nmem0 dimm-controller-temperature', 'nmem1 dimm-health-state']);
    // nmem0's alarms clear (raised again with the condition gone) while nmem1 shuts down uncleanly
    expect(await step({ nmem1: { health_state: 'critical', shutdown_state: 'dirty', shutdown_count: 5 } }))
      .toEqual(['nmem0 dimm-media-temperature', 'nmem0 dimm-controller-temperature', 'nmem1 dimm-unclean-shutdown',
        'nmem1 dimm-shutdown-count-increased']);
    // dirty again with the count up: another unclean shutdown
    expect(await step({ nmem1: { health_state: 'critical', shutdown_state: 'dirty', shutdown_count: 6 } }))
      .toEqual(['nmem1 dimm-unclean-shutdown', 'nmem1 dimm-shutdown-count-increased']);
    const inv = await withHealth({ nmem1: { health_state: 'fatal', shutdown_state: 'dirty', shutdown_count: 6 } });
    const d = deriveEvents(state, inv, { detectedBy: 'scan' });
    expect(d.events.map((e) => e.summary)).toEqual(['nmem1: health state critical -> fatal']);
    expect(d.events[0]).toMatchObject({ previous: { health_state: 'critical' }, current: { health_state: 'fatal' } });
  });

  it('the way back is an edge too: an alarm that clears and a shutdown state clean again raise the event with the condition gone', async () => {
    let state: MediaState = deriveEvents(undefined, await withHealth({
      nmem0: { alarm_spares: true, spares_percentage: 3 }, nmem1: { shutdown_state: 'dirty', shutdown_count: 5 },
    }), { detectedBy: 'scan' }).state;
    const d = deriveEvents(state, await withHealth({ nmem0: { spares_percentage: 40 }, nmem1: { shutdown_count: 5 } }), { detectedBy: 'scan' });
    state = d.state;
    expect(types(d.events)).toEqual(['nmem0 dimm-spares-remaining', 'nmem1 dimm-unclean-shutdown']);
    expect(d.events.map((e) => e.summary)).toEqual(['nmem0: spares alarm cleared (40% spares left)', 'nmem1: shutdown state clean again']);
    expect(d.events[0]).toMatchObject({ previous: { alarm_spares: true }, current: { alarm_spares: false } });
    expect(d.events[1]).toMatchObject({ previous: { shutdown_state: 'dirty' }, current: { shutdown_state: 'clean' } });
    // and only once
    expect(types(deriveEvents(state, await withHealth({ nmem0: { spares_percentage: 41 }, nmem1: { shutdown_count: 5 } }), { detectedBy: 'scan' }).events)).toEqual([]);
  });

  it('a DIMM whose health could not be read keeps its last known values (no event from a missing reading)', async () => {
    const state = deriveEvents(undefined, await withHealth({ nmem0: { alarm_spares: true } }), { detectedBy: 'scan' }).state;
    const inv = await withHealth({});
    for (const dimm of inv.buses[0]?.dimms ?? []) dimm.health = { supported: true, error: 'smart command failed' };
    const d = deriveEvents(state, inv, { detectedBy: 'scan' });
    expect(d.events).toEqual([]);
    expect(d.state.dimms['8680-56341200']?.values.alarm_spares).toBe(true);
  });
});

describe('the media journal', () => {
  const event = (id: string): MediaEvent => ({
    id, type: 'scrub-completed', detected_at: new Date().toISOString(), detected_by: 'scan', summary: `scrub ${id}`, bus: 'ndbus0', scrub_count: 1,
  });
  const state: MediaState = { ranges: [], dimms: {}, scrub: { ndbus0: { scrub_state: 'idle', scrub_count: 1 } } };

  it('is written 0600 and atomically (no temporary file left), and read back after a restart', () => {
    const d = dir();
    const log = memoryLog();
    const j = MediaJournal.open(d, log);
    expect(j.state).toBeUndefined();
    j.record(state, [event('aaaaaaaa1'), event('aaaaaaaa2')]);
    expect(readdirSync(d)).toEqual([MEDIA_JOURNAL_FILE]);
    expect(statSync(path.join(d, MEDIA_JOURNAL_FILE)).mode & 0o777).toBe(0o600);
    const again = MediaJournal.open(d, log);
    expect(again.state).toEqual(state);
    expect(again.outbox.map((e) => e.id)).toEqual(['aaaaaaaa1', 'aaaaaaaa2']);
    expect(again.acknowledge(['aaaaaaaa1', 'not-sent-here'])).toBe(1);
    expect(MediaJournal.open(d, log).outbox.map((e) => e.id)).toEqual(['aaaaaaaa2']);
    expect(log.lines).toEqual([]);
  });

  it('a damaged file is set aside and the agent starts fresh, saying so', () => {
    const d = dir();
    writeFileSync(path.join(d, MEDIA_JOURNAL_FILE), '{"version":1,"outbox":[{"id":');
    const log = memoryLog();
    const j = MediaJournal.open(d, log);
    expect(j.state).toBeUndefined();
    expect(j.outbox).toEqual([]);
    const files = readdirSync(d);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^media-journal\.json\.corrupt-\d{4}-\d\d-\d\dT/);
    expect(readFileSync(path.join(d, files[0] as string), 'utf8')).toBe('{"version":1,"outbox":[{"id":');
    expect(log.lines.join('\n')).toContain('is damaged (not JSON');
    writeFileSync(path.join(d, MEDIA_JOURNAL_FILE), JSON.stringify({ version: 1, outbox: [{ id: 'x', type: 'no-such-event' }] }));
    MediaJournal.open(d, log);
    expect(log.lines.join('\n')).toContain('an outbox entry is not an event');
  });

  it('caps the outbox: past the cap the oldest events go, with a warning', () => {
    const log = memoryLog();
    const j = MediaJournal.open(dir(), log, { maxOutbox: 3 });
    j.record(state, ['e0000001', 'e0000002'].map(event));
    j.record(state, ['e0000003', 'e0000004', 'e0000005'].map(event));
    expect(j.outbox.map((e) => e.id)).toEqual(['e0000003', 'e0000004', 'e0000005']);
    expect(log.lines.join('\n')).toContain('media outbox full (3 events the hub has not acknowledged): dropped the 2 oldest');
  });
});

describe('the media watcher (re-reads)', () => {
  it('watches region, block-device and scrub attributes of the latest scan', async () => {
    const root = copyTree('four-dimm-mixed');
    writeFileSync(path.join(root, 'bus/nd/devices/ndbus0/nfit/scrub'), '0\n');
    const paths = mediaAttributePaths(await scan(root), root).map((p) => path.relative(root, p));
    expect(paths).toEqual([
      'block/pmem0/badblocks', 'block/pmem2/badblocks', 'block/pmem3/badblocks',
      'bus/nd/devices/ndbus0/nfit/scrub',
      'bus/nd/devices/region0/badblocks', 'bus/nd/devices/region1/badblocks', 'bus/nd/devices/region2/badblocks',
      'bus/nd/devices/region3/badblocks',
    ]);
  });

  it('a changed attribute wakes the agent once per re-read; an unchanged one never', async () => {
    const root = copyTree('two-dimm-all-modes');
    const wakes: Array<[WakeReason, string]> = [];
    const watcher = new MediaWatcher({ pollMs: 0, onChange: (by, p) => wakes.push([by, path.relative(root, p)]), log: memoryLog() });
    cleanups.push(() => watcher.close());
    watcher.setPaths(mediaAttributePaths(await scan(root), root));
    await watcher.readOnce(); // the first read is the baseline
    await watcher.readOnce();
    expect(wakes).toEqual([]);
    appendFileSync(path.join(root, 'block/pmem0.3/badblocks'), '2000 8\n');
    writeFileSync(regionAttr(root, 'region1'), '655360 16\n');
    await watcher.readOnce();
    expect(wakes).toEqual([['poll', 'block/pmem0.3/badblocks']]);
    await watcher.readOnce();
    expect(wakes).toHaveLength(1);
  });

  it('never re-reads nfit/scrub (a read while a scrub runs makes the kernel call the firmware) but watches it for notifications', async () => {
    const root = copyTree('two-dimm-all-modes');
    const scrubFile = path.join(root, 'bus/nd/devices/ndbus0/nfit/scrub');
    writeFileSync(scrubFile, '2\n');
    const wakes: Array<[WakeReason, string]> = [];
    const notified: string[][] = [];
    // the addon's watcher as the MediaWatcher sees it: which paths it is asked to watch (no notification comes)
    const recordingWatch: WatchSysfsAttributes = (paths) => {
      notified.push([...paths]);
      return { close: () => undefined, paths };
    };
    const watcher = new MediaWatcher({
      pollMs: 0, onChange: (by, p) => wakes.push([by, path.relative(root, p)]), log: memoryLog(), watch: recordingWatch,
    });
    cleanups.push(() => watcher.close());
    watcher.setPaths(mediaAttributePaths(await scan(root), root));
    expect(watcher.watchedPaths).toContain(scrubFile);
    expect(notified).toEqual([watcher.watchedPaths]);
    await watcher.readOnce(); // baseline
    writeFileSync(scrubFile, '2+\n'); // a scrub starts, then completes: neither is a re-read's business
    await watcher.readOnce();
    writeFileSync(scrubFile, '3\n');
    await watcher.readOnce();
    expect(wakes).toEqual([]);
    // the badblocks attributes still are re-read
    writeFileSync(regionAttr(root, 'region0'), '0 8\n');
    await watcher.readOnce();
    expect(wakes).toEqual([['poll', 'bus/nd/devices/region0/badblocks']]);
  });

  it('without the addon it says so once and keeps re-reading', async () => {
    const root = copyTree('two-dimm-all-modes');
    const log = memoryLog();
    let calls = 0;
    const unavailable = (): never => {
      calls++;
      throw Object.assign(new Error('dax-native addon not loaded'), { code: 'DAXFLEET_ERR_NATIVE_UNAVAILABLE' });
    };
    const watcher = new MediaWatcher({ pollMs: 0, onChange: () => undefined, log, watch: unavailable });
    cleanups.push(() => watcher.close());
    watcher.setPaths(mediaAttributePaths(await scan(root), root));
    watcher.setPaths([path.join(root, 'bus/nd/devices/region0/badblocks')]);
    expect(calls).toBe(1);
    expect(watcher.notifying).toBe(false);
    expect(log.lines).toEqual(['media watcher: no kernel notifications (native addon not loaded); bad blocks are found by the regular scans only']);
  });
});

/** a cgroup2 folder this process may make children in (kernfs_notify on cgroup.events is a real notification), or why not */
function cgroup2(): { mount: string } | { reason: string } {
  if (loadError() !== undefined) return { reason: 'the native addon is not built' };
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' - ')[1]?.startsWith('cgroup2 '));
  const mount = line?.split(' ')[4];
  if (mount === undefined) return { reason: 'no cgroup2 mount' };
  try {
    const probe = path.join(mount, `daxfleet-media-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (err) {
    return { reason: `cannot make a cgroup under ${mount}: ${(err as Error).message}` };
  }
  return { mount };
}
const cg = cgroup2();

describe.skipIf('reason' in cg)(`the media watcher (kernel notifications)${'reason' in cg ? ` (skipped: ${cg.reason})` : ''}`, () => {
  it('a kernfs notification wakes the agent with notify, without waiting for a re-read', async () => {
    const mount = (cg as { mount: string }).mount;
    const group = path.join(mount, `daxfleet-media-test-${process.pid}`);
    mkdirSync(group);
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    await new Promise((resolve, reject) => sleeper.once('spawn', resolve).once('error', reject));
    const own = readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? '/';
    cleanups.push(() => {
      writeFileSync(path.join(mount, own, 'cgroup.procs'), String(sleeper.pid));
      sleeper.kill();
      rmdirSync(group);
    });
    const events = path.join(group, 'cgroup.events');
    let woke!: (w: [WakeReason, string]) => void;
    const wake = new Promise<[WakeReason, string]>((resolve) => (woke = resolve));
    // no re-reads (pollMs 0): only the kernel can wake it
    const watcher = new MediaWatcher({ pollMs: 0, onChange: (by, p) => woke([by, p]), log: memoryLog(), watch: watchSysfsAttributes });
    cleanups.push(() => watcher.close());
    watcher.setPaths([events]);
    expect(watcher.notifying).toBe(true);
    writeFileSync(path.join(group, 'cgroup.procs'), String(sleeper.pid)); // "populated 0" -> "populated 1", notified
    expect(await wake).toEqual(['notify', events]);
  });
});
