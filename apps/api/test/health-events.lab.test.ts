/**
 * DIMM health events against the kernel's own SMART emulation: daxfleet's scan (scanInventory with health from the
 * native addon, built into packages/dax-native/dist) and event derivation (deriveEvents, apps/api/dist) in the pmem
 * lab guest with the libnvdimm stack swapped for nfit_test (as scrub.lab.test.ts does). nfit_test's DIMMs answer
 * the Intel SMART commands and honour `ndctl inject-smart` (ND_INTEL_SMART_INJECT: media temperature, spares,
 * fatal health, unsafe shutdown; ND_INTEL_SMART_SET_THRESHOLD: thresholds and alarm enables), which is how ndctl's
 * own test/monitor.sh makes `ndctl monitor` fire. The guest runs the real `ndctl monitor` alongside, so the events
 * daxfleet derives are compared with what ndctl monitor logs, and every event's previous/current values with what
 * `ndctl list -DH` prints right after each step.
 *
 * What nfit_test can and cannot produce (tools/testing/nvdimm/test/nfit.c, kernel 6.1):
 * - The SMART alarm trip bits are constant. nfit_test answers the SMART command with a copy of its per-DIMM
 *   struct, initialised from smart_def with alarm_flags = SPARE_TRIP | TEMP_TRIP and never changed by an
 *   injection or a threshold. So `alarm_spares` and `alarm_temperature` are true from the moment the module
 *   loads, and `alarm_controller_temperature` is never true. daxfleet raises dimm-spares-remaining and
 *   dimm-media-temperature for every nfit_test DIMM at its first scan, as ndctl monitor does when it starts; the
 *   spares and media temperature injections (below the spares threshold, above the temperature threshold) change
 *   spares_percentage and temperature_celsius but trip nothing new, so daxfleet raises nothing for them. ndctl
 *   monitor logs the DIMM again on the kernel's health notification, with the same standing flags: it reports
 *   levels on each notification, daxfleet edges on each scan (derive.ts's header).
 * - dimm-controller-temperature cannot be produced: the Intel SMART inject payload (the one nfit_test implements)
 *   has no controller temperature field, and libndctl's Intel family has no such injection (`ndctl inject-smart
 *   -c` fails: "smart inject ctrl_temperature cmd invalid: No such device or address"; `-N` prints the same error
 *   for that field and exits 0); a controller threshold below the current temperature with its alarm enabled
 *   makes the kernel notify but cannot set the constant CTEMP trip bit, so ndctl monitor names no controller
 *   event either. The test does both and asserts that neither ndctl monitor nor daxfleet names one.
 * - Un-injecting fatal health returns nfit_test to "non-critical" (its default health), not "ok": the return is
 *   a dimm-health-state event fatal -> non-critical. ndctl monitor does not name that return: its health-state
 *   flag compares the health with the one it read at its start (ndctl/monitor.c util_dimm_event_filter never
 *   updates mdimm->health), so it names health-state on every notification while the health differs from that
 *   first reading, and not on the way back. An unsafe-shutdown injection sets the dirty state and adds one
 *   to the shutdown count (dimm-unclean-shutdown plus daxfleet's dimm-shutdown-count-increased); un-injecting it
 *   makes the state clean and keeps the count, and neither tool names a clean shutdown state.
 * - Un-injection goes one field at a time (`--fatal-uninject`, `--unsafe-shutdown-uninject`,
 *   `--media-temperature-uninject`, `--spares-uninject`), then `-N` with nothing left to undo: `-N` sends one
 *   inject command per field, each with its own notification, so ndctl monitor's lines during it would show
 *   intermediate states in a racy number. The lowered controller threshold stays, so every command notifies
 *   and ndctl monitor logs one line per single-command step.
 *
 * Runs only where the lab is set up and nfit_test is built for the guest kernel (packages/dax-native/test/
 * native.nfit.test.ts builds it into /var/tmp/daxfleet-nfit-test/<kernel>).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DimmHealthValues, MediaEvent } from '@daxfleet/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { NFIT_TEST_MODULES, NFIT_TEST_SWAP, labUnavailable, outputTail, runInGuest } from '../../../packages/dax-native/test/lab-guest.js';
import type { KnownDimm } from '../src/agent/media/derive.js';

const DERIVE_MODULE = fileURLToPath(new URL('../dist/agent/media/derive.js', import.meta.url));
const DAX_NATIVE = fileURLToPath(new URL('../../../packages/dax-native/dist/index.js', import.meta.url));

/** The health fields a health event carries (DimmHealthValuesSchema), compared with `ndctl list -DH`. */
const VALUE_FIELDS = [
  'health_state', 'temperature_celsius', 'controller_temperature_celsius', 'spares_percentage',
  'alarm_temperature', 'alarm_controller_temperature', 'alarm_spares', 'life_used_percentage',
  'shutdown_state', 'shutdown_count',
] as const satisfies ReadonlyArray<keyof DimmHealthValues>;

/** ndctl monitor's event names (ndctl/monitor.c dimm_event_to_json) */
const MONITOR_EVENTS = [
  'dimm-spares-remaining', 'dimm-media-temperature', 'dimm-controller-temperature', 'dimm-health-state',
  'dimm-unclean-shutdown',
] as const;

/**
 * The guest's driver, one node process for the whole sequence (node takes seconds to start under TCG). It starts
 * `ndctl monitor` on every DIMM, waits until the monitor sleeps in epoll_wait (a health notification before that
 * would be lost: the monitor's first read of each nfit/flags attribute arms it), then: a first scan and
 * derivation, and for each injection `ndctl inject-smart` on the target DIMM, the monitor's log line for it (when
 * the command succeeded: nfit_test notifies while any alarm condition holds, which is every step here), a scan,
 * a derivation from the previous state, and `ndctl list -DH`. One STEP-JSON line per step.
 */
const DRIVER = String.raw`
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
const [deriveModule, daxNative] = process.argv.slice(2);
const { deriveEvents } = await import(deriveModule);
const { scanInventory } = await import(daxNative);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, ok, ms) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(50);
  }
}
const listDimms = (...args) => JSON.parse(execFileSync('ndctl', ['list', '-D', '-H', ...args], { encoding: 'utf8' }) || '[]');
const LOG = '/tmp/ndctl-monitor.log';
const monitorLines = () => existsSync(LOG)
  ? readFileSync(LOG, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) : [];

const smart = listDimms('-b', 'nfit_test.0').filter((d) => d.health?.spares_threshold !== undefined)
  .sort((a, b) => a.dev.localeCompare(b.dev, 'en', { numeric: true }));
if (smart.length === 0) throw new Error('no nfit_test.0 DIMM with SMART thresholds: ' + JSON.stringify(listDimms()));
const target = smart[0];
const h = target.health;
console.log('TARGET-JSON ' + JSON.stringify(target));

let monitorErr = '';
const monitor = spawn('ndctl', ['monitor', '-l', LOG], { stdio: ['ignore', 'ignore', 'pipe'] });
monitor.stderr.on('data', (b) => { monitorErr += b; });
let monitorExit;
monitor.on('exit', (code, signal) => { monitorExit = { code, signal }; });
// epoll_wait (232), epoll_pwait (281) or epoll_pwait2 (441): /proc/PID/syscall starts with the syscall number
const inEpoll = () => {
  if (monitorExit !== undefined) throw new Error('ndctl monitor exited ' + JSON.stringify(monitorExit) + ': ' + monitorErr);
  try { return ['232', '281', '441'].includes(readFileSync('/proc/' + monitor.pid + '/syscall', 'utf8').split(' ')[0]); }
  catch { return false; }
};
await waitFor('ndctl monitor to wait for health notifications', inEpoll, 120000);
const uptime = () => readFileSync('/proc/uptime', 'utf8').split(' ')[0];
console.log('PHASE node and ndctl monitor ready at ' + uptime() + ' s');

let state;
async function step(name, args) {
  const before = name === 'first-scan' ? 0 : monitorLines().length;
  let command;
  if (args !== undefined) {
    const r = spawnSync('ndctl', ['inject-smart', target.dev, ...args], { encoding: 'utf8' });
    command = { args, status: r.status, stderr: r.stderr };
    if (r.status === 0) {
      await waitFor('ndctl monitor to log ' + name, () => monitorLines().slice(before).some((l) => l.dimm?.dev === target.dev), 30000)
        .catch((err) => { command.monitor_wait = err.message; });
    }
  }
  const inventory = await scanInventory({ sysfsRoot: '/sys', health: true });
  const derived = deriveEvents(state, inventory, { detectedBy: 'scan' });
  state = derived.state;
  const ndctl = listDimms();
  console.log('STEP-JSON ' + JSON.stringify({
    name, command, events: derived.events, known: state.dimms, ndctl, monitor: monitorLines().slice(before),
  }));
}

await step('first-scan');
await step('spares', ['-s', String(h.spares_threshold - 1)]);
await step('media-temperature', ['-m', String(h.temperature_threshold + 1)]);
await step('controller-temperature', ['-c', String((h.controller_temperature_threshold ?? 30) + 1)]);
await step('controller-temperature-threshold', ['-C', String(h.controller_temperature_celsius - 1), '--ctrl-temperature-alarm=on']);
await step('fatal', ['-f']);
await step('unsafe-shutdown', ['-U']);
// one field at a time (one SMART inject command, one notification each), then -N with nothing left to undo
await step('uninject-fatal', ['--fatal-uninject']);
await step('uninject-unsafe-shutdown', ['--unsafe-shutdown-uninject']);
await step('uninject-media-temperature', ['--media-temperature-uninject']);
await step('uninject-spares', ['--spares-uninject']);
await step('uninject-all', ['-N']);
console.log('PHASE all steps done at ' + uptime() + ' s');
monitor.kill();
`;

/** In the guest: swap the libnvdimm stack for the nfit_test build (as scrub.lab.test.ts does), then the driver. */
const GUEST_SCRIPT = (dir: string): string => String.raw`
set -u
modules=$1 derive=$2 daxnative=$3
${NFIT_TEST_SWAP}
echo "PHASE nfit_test loaded at $(cut -d' ' -f1 /proc/uptime) s of guest uptime"
node ${dir}/driver.mjs "$derive" "$daxnative" || exit 13
`;

interface NdctlDimm {
  dev: string;
  id?: string;
  health?: Record<string, unknown>;
}
interface MonitorLine {
  event: Record<string, boolean>;
  dimm: NdctlDimm;
}
interface Step {
  name: string;
  command?: { args: string[]; status: number | null; stderr: string; monitor_wait?: string };
  events: MediaEvent[];
  known: Record<string, KnownDimm>;
  ndctl: NdctlDimm[];
  monitor: MonitorLine[];
}

const unavailable = labUnavailable({ files: [DERIVE_MODULE, DAX_NATIVE, join(NFIT_TEST_MODULES, '.complete')] });

describe.skipIf(unavailable !== undefined)(`DIMM health events on nfit_test's SMART injection${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let target: NdctlDimm;
  let steps: Step[];
  let output: string;

  beforeAll(async () => {
    const run = await runInGuest({
      prefix: 'daxfleet-health-',
      files: { 'driver.mjs': DRIVER },
      script: GUEST_SCRIPT,
      args: [NFIT_TEST_MODULES, DERIVE_MODULE, DAX_NATIVE],
      env: { NDIMM: '1', REGION_MB: '256', MEM: '1G', LAB_TIMEOUT: '400' },
    });
    output = run.output;
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    const lines = run.output.split('\n');
    target = JSON.parse(lines.find((l) => l.startsWith('TARGET-JSON '))!.slice('TARGET-JSON '.length)) as NdctlDimm;
    steps = lines.filter((l) => l.startsWith('STEP-JSON ')).map((l) => JSON.parse(l.slice('STEP-JSON '.length)) as Step);
    for (const l of lines.filter((x) => x.startsWith('PHASE '))) console.log(l);
    // what happened, step by step (the guest printed the whole JSON: events, `ndctl list -DH`, monitor lines)
    for (const s of steps) {
      const named = s.monitor.map((m) => `${m.dimm.dev}:[${Object.keys(m.event).filter((k) => m.event[k]).join(',')}]`);
      console.log(`${s.name}${s.command ? ` (inject-smart ${s.command.args.join(' ')}: exit ${s.command.status})` : ''}\n` +
        `  daxfleet: ${s.events.map((e) => e.summary).join('; ') || 'no event'}\n  ndctl monitor: ${named.join(' ') || 'no line'}`);
    }
  }, 900_000);

  const step = (name: string): Step => {
    const s = steps.find((x) => x.name === name);
    if (s === undefined) throw new Error(`no step ${name} in the guest output:\n${outputTail(output)}`);
    return s;
  };
  const previousOf = (name: string): Step => steps[steps.findIndex((x) => x.name === name) - 1]!;
  const healthIn = (s: Step, dev: string): Record<string, unknown> | undefined => s.ndctl.find((d) => d.dev === dev)?.health;
  /** the DimmHealthValues fields of an `ndctl list -DH` health object, as ndctl printed them */
  const valuesIn = (health: Record<string, unknown> | undefined): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const f of VALUE_FIELDS) if (health?.[f] !== undefined) out[f] = health[f];
    return out;
  };
  const typesFor = (s: Step, dev: string): string[] => s.events.filter((e) => e.dimm === dev).map((e) => e.type);
  /** what ndctl monitor names: the event flags true in its log lines for the DIMM */
  const monitorNamed = (s: Step, dev: string): Set<string> =>
    new Set(s.monitor.filter((m) => m.dimm.dev === dev).flatMap((m) => Object.entries(m.event).filter(([, v]) => v).map(([k]) => k)));
  /** the alarms an edge-raising agent has already raised and that still hold: ndctl monitor names them again */
  const standing = (values: Record<string, unknown>, firstHealth: unknown): Set<string> => {
    const out = new Set<string>();
    if (values.alarm_spares === true) out.add('dimm-spares-remaining');
    if (values.alarm_temperature === true) out.add('dimm-media-temperature');
    if (values.alarm_controller_temperature === true) out.add('dimm-controller-temperature');
    if (values.shutdown_state === 'dirty') out.add('dimm-unclean-shutdown');
    if (values.health_state !== firstHealth) out.add('dimm-health-state');
    return out;
  };

  it('ran every step on an nfit_test DIMM with SMART and thresholds', () => {
    expect(steps.map((s) => s.name), outputTail(output)).toEqual([
      'first-scan', 'spares', 'media-temperature', 'controller-temperature', 'controller-temperature-threshold',
      'fatal', 'unsafe-shutdown', 'uninject-fatal', 'uninject-unsafe-shutdown', 'uninject-media-temperature',
      'uninject-spares', 'uninject-all',
    ]);
    expect(target.id).toEqual(expect.any(String));
    expect(target.health).toMatchObject({ health_state: 'non-critical', alarm_spares: true, alarm_temperature: true, shutdown_state: 'clean' });
  });

  it('first scan: every SMART DIMM raises the alarms already tripped, with its id and ndctl\'s values; ndctl monitor logs the same at its start', () => {
    const first = step('first-scan');
    const expected: string[] = [];
    for (const d of first.ndctl) {
      const v = valuesIn(d.health);
      if (v.alarm_spares === true) expected.push(`${d.dev} dimm-spares-remaining`);
      if (v.alarm_temperature === true) expected.push(`${d.dev} dimm-media-temperature`);
      if (v.alarm_controller_temperature === true) expected.push(`${d.dev} dimm-controller-temperature`);
      if (v.shutdown_state === 'dirty') expected.push(`${d.dev} dimm-unclean-shutdown`);
    }
    expect(expected).toContain(`${target.dev} dimm-spares-remaining`);
    expect(first.events.map((e) => `${e.dimm} ${e.type}`).sort()).toEqual(expected.sort());
    for (const e of first.events) {
      const listed = first.ndctl.find((d) => d.dev === e.dimm)!;
      expect(e).toMatchObject({ dimm_id: listed.id, detected_by: 'scan' });
      expect(e).not.toHaveProperty('previous');
      expect(e.current).toEqual(valuesIn(listed.health));
    }
    // ndctl monitor at its start logs each DIMM it watches with the flags already set, health-state never
    const monitored = new Set(first.monitor.map((m) => m.dimm.dev));
    expect(monitored.has(target.dev)).toBe(true);
    for (const dev of monitored) {
      expect({ dev, named: [...monitorNamed(first, dev)].sort() }).toEqual({ dev, named: typesFor(first, dev).sort() });
    }
    for (const e of first.events) {
      if (healthIn(first, e.dimm!)?.spares_threshold !== undefined) expect(monitored, `${e.dimm} raised but not in ndctl monitor's start`).toContain(e.dimm);
    }
  });

  /** per injection: the DIMM's events daxfleet raises (ndctl monitor's names, plus daxfleet's shutdown count) */
  const EXPECTED: Record<string, string[]> = {
    spares: [],
    'media-temperature': [],
    'controller-temperature': [],
    'controller-temperature-threshold': [],
    fatal: ['dimm-health-state'],
    'unsafe-shutdown': ['dimm-unclean-shutdown', 'dimm-shutdown-count-increased'],
    'uninject-fatal': ['dimm-health-state'],
    // the way back from dirty: raised again with shutdown_state clean, so an alert can resolve
    'uninject-unsafe-shutdown': ['dimm-unclean-shutdown'],
    'uninject-media-temperature': [],
    'uninject-spares': [],
    'uninject-all': [],
  };

  it('each injection raises exactly the expected events, for the injected DIMM by id, and nothing else', () => {
    for (const [name, types] of Object.entries(EXPECTED)) {
      const s = step(name);
      expect({ name, events: s.events.map((e) => `${e.dimm} ${e.dimm_id} ${e.type}`) })
        .toEqual({ name, events: types.map((t) => `${target.dev} ${target.id} ${t}`) });
    }
  });

  it('every event carries the previous and current values `ndctl list -DH` printed, field by field', () => {
    for (const name of Object.keys(EXPECTED)) {
      const s = step(name);
      const before = valuesIn(healthIn(previousOf(name), target.dev));
      const now = valuesIn(healthIn(s, target.dev));
      for (const e of s.events) {
        expect({ name, type: e.type, previous: e.previous }).toEqual({ name, type: e.type, previous: before });
        expect({ name, type: e.type, current: e.current }).toEqual({ name, type: e.type, current: now });
        expect(e.detected_by).toBe('scan');
      }
      // the agent's known state follows the kernel for every DIMM, whether or not an event fired
      for (const d of s.ndctl.filter((x) => x.health?.health_state !== undefined && x.health.health_state !== 'unknown')) {
        expect({ name, dev: d.dev, values: s.known[d.id ?? d.dev]?.values }).toEqual({ name, dev: d.dev, values: valuesIn(d.health) });
      }
      // the other DIMMs did not move
      for (const d of s.ndctl.filter((x) => x.dev !== target.dev)) {
        expect({ name, dev: d.dev, health: d.health }).toEqual({ name, dev: d.dev, health: healthIn(step('first-scan'), d.dev) });
      }
    }
  });

  it('the injected values reach daxfleet: spares below the threshold, temperature above it, fatal, dirty with the count one up', () => {
    const h = target.health as Record<string, number>;
    const first = valuesIn(healthIn(step('first-scan'), target.dev));
    expect(step('spares').known[target.id!]!.values).toMatchObject({ spares_percentage: h.spares_threshold! - 1, alarm_spares: true });
    expect(step('media-temperature').known[target.id!]!.values).toMatchObject({ temperature_celsius: h.temperature_threshold! + 1, alarm_temperature: true });
    expect(step('fatal').known[target.id!]!.values).toMatchObject({ health_state: 'fatal' });
    expect(step('unsafe-shutdown').known[target.id!]!.values).toMatchObject({
      shutdown_state: 'dirty', shutdown_count: (first.shutdown_count as number) + 1,
    });
    // un-injected: back to nfit_test's defaults, but the count of shutdowns stays
    expect(step('uninject-spares').known[target.id!]!.values).toEqual({ ...first, shutdown_count: (first.shutdown_count as number) + 1 });
    expect(step('uninject-all').known[target.id!]!.values).toEqual({ ...first, shutdown_count: (first.shutdown_count as number) + 1 });
    const [fatal] = step('fatal').events;
    expect([fatal!.previous!.health_state, fatal!.current!.health_state]).toEqual(['non-critical', 'fatal']);
    const [back] = step('uninject-fatal').events;
    expect([back!.previous!.health_state, back!.current!.health_state]).toEqual(['fatal', 'non-critical']);
  });

  it('controller temperature: no injection for this DIMM family, and a lowered threshold trips nothing in either tool', () => {
    const refused = step('controller-temperature');
    expect(refused.command!.status, refused.command!.stderr).not.toBe(0);
    expect(refused.command!.stderr).toMatch(/ctrl_temperature/);
    expect(valuesIn(healthIn(refused, target.dev))).toEqual(valuesIn(healthIn(previousOf('controller-temperature'), target.dev)));
    const lowered = step('controller-temperature-threshold');
    expect(lowered.command!.status, lowered.command!.stderr).toBe(0);
    const health = healthIn(lowered, target.dev)!;
    expect(health.controller_temperature_threshold).toBe((health.controller_temperature_celsius as number) - 1);
    expect(health.alarm_enabled_ctrl_temperature).toBe(true);
    expect(health.alarm_controller_temperature).not.toBe(true);
    // the kernel notified (the condition holds) and ndctl monitor looked, but names no controller event
    expect(lowered.monitor.some((m) => m.dimm.dev === target.dev)).toBe(true);
    for (const s of steps) expect({ name: s.name, named: monitorNamed(s, target.dev).has('dimm-controller-temperature') }).toEqual({ name: s.name, named: false });
  });

  it('ndctl monitor reports levels: each line\'s flags follow the values it read (health-state: differs from its first reading)', () => {
    const firstHealth = healthIn(step('first-scan'), target.dev)?.health_state;
    let lines = 0;
    for (const s of steps) {
      for (const m of s.monitor) {
        const v = valuesIn(m.dimm.health);
        const first = healthIn(step('first-scan'), m.dimm.dev)?.health_state;
        expect({ step: s.name, dimm: m.dimm.dev, event: m.event }).toEqual({ step: s.name, dimm: m.dimm.dev, event: {
          'dimm-spares-remaining': v.alarm_spares === true,
          'dimm-media-temperature': v.alarm_temperature === true,
          'dimm-controller-temperature': v.alarm_controller_temperature === true,
          // ndctl/monitor.c compares with the health it read at its start and never updates it
          'dimm-health-state': v.health_state !== first,
          'dimm-unclean-shutdown': v.shutdown_state === 'dirty',
        } });
        lines++;
      }
    }
    expect(lines).toBeGreaterThan(steps.length);
    // the way back: on the notification of the fatal un-injection ndctl monitor reads non-critical and names no
    // health-state (daxfleet reports the change, fatal -> non-critical)
    const back = step('uninject-fatal').monitor;
    expect(back.map((m) => [m.dimm.dev, m.dimm.health?.health_state, m.event['dimm-health-state']])).toEqual([[target.dev, firstHealth, false]]);
  });

  it('on each single-command injection ndctl monitor names what daxfleet raised, and otherwise only alarms daxfleet raised before that still hold', () => {
    const firstHealth = healthIn(step('first-scan'), target.dev)?.health_state;
    // `ndctl inject-smart -N` sends one command per field, each notifying: how many lines it gets varies
    const single = Object.keys(EXPECTED).filter((n) => n !== 'uninject-all' && step(n).command!.status === 0);
    expect(single).toEqual(['spares', 'media-temperature', 'controller-temperature-threshold', 'fatal', 'unsafe-shutdown',
      'uninject-fatal', 'uninject-unsafe-shutdown', 'uninject-media-temperature', 'uninject-spares']);
    for (const name of single) {
      const s = step(name);
      expect({ name, wait: s.command!.monitor_wait, dimms: s.monitor.map((m) => m.dimm.dev) })
        .toEqual({ name, wait: undefined, dimms: [target.dev] });
      const now = valuesIn(healthIn(s, target.dev));
      // what ndctl monitor read on the notification is what ndctl list printed after daxfleet's scan
      expect({ name, values: valuesIn(s.monitor[0]!.dimm.health) }).toEqual({ name, values: now });
      const named = monitorNamed(s, target.dev);
      const raised = typesFor(s, target.dev).filter((t) => t !== 'dimm-shutdown-count-increased');
      for (const t of raised) {
        // ndctl monitor's health-state is "differs from the health at its start": not named on the way back
        // nor daxfleet's resolving edge of an unclean shutdown (the state is clean again)
        const back = (t === 'dimm-health-state' && now.health_state === firstHealth)
          || (t === 'dimm-unclean-shutdown' && now.shutdown_state === 'clean');
        expect({ name, t, named: named.has(t) }).toEqual({ name, t, named: !back });
      }
      const allowed = new Set([...raised, ...standing(now, firstHealth)]);
      for (const t of named) expect({ name, t, allowed: allowed.has(t) }).toEqual({ name, t, allowed: true });
    }
    // every standing alarm ndctl monitor repeats was raised by daxfleet at an earlier step, for this DIMM
    const raisedEver = new Set(steps.flatMap((s) => typesFor(s, target.dev)));
    for (const s of steps) for (const t of monitorNamed(s, target.dev)) expect({ step: s.name, t, raised: raisedEver.has(t) }).toEqual({ step: s.name, t, raised: true });
    // ndctl monitor's event names are the ones daxfleet uses
    for (const s of steps) for (const m of s.monitor) expect(Object.keys(m.event).sort()).toEqual([...MONITOR_EVENTS].sort());
  });
});
