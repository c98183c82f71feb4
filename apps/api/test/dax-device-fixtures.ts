/**
 * Test setup for the device planners: a recorded sysfs tree (lab/fixtures/NAME/sys, or a writable copy) with its
 * recorded mount table, and a process table (procRoot) that is either empty (a recorded host: nobody holds its
 * devices) or this machine's real /proc, for a copied tree whose dax device is given the number of a character
 * device a real child process holds open here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scanInventory } from '@daxfleet/dax-native';
import { DaxChangeAgentPlanSchema, type DaxChangeAgentPlan, type DaxCheck } from '@daxfleet/shared';
import { Value } from 'typebox/value';
import { expect } from 'vitest';
import type { DeviceHost } from '../src/agent/dax/host.js';
import { FIXTURES_DIR, tempDir } from './helpers.js';

export interface RecordedDeviceHost {
  sysfsRoot: string;
  host: DeviceHost;
  /** writes an attribute of the copied tree (never into lab/fixtures) */
  set(relative: string, text: string): void;
  remove(): void;
}

/**
 * `meminfo`: the /proc/meminfo of the recorded host (MemTotal, MemAvailable in kB); without it the memory check
 * cannot tell how much memory is in use.
 */
export function recordedDeviceHost(name: string, opts: { copy?: boolean; mountinfo?: string; realProc?: boolean; meminfo?: string } = {}): RecordedDeviceHost {
  const tmp = tempDir(`daxfleet-dax-${name}-`);
  let sysfsRoot = path.join(FIXTURES_DIR, name, 'sys');
  if (opts.copy === true) {
    sysfsRoot = path.join(tmp.dir, 'sys');
    cpSync(path.join(FIXTURES_DIR, name, 'sys'), sysfsRoot, { recursive: true, verbatimSymlinks: true });
  }
  const procRoot = opts.realProc === true ? '/proc' : path.join(tmp.dir, 'proc');
  if (opts.realProc !== true) mkdirSync(procRoot, { recursive: true });
  if (opts.meminfo !== undefined && opts.realProc !== true) writeFileSync(path.join(procRoot, 'meminfo'), opts.meminfo);
  const mountinfo = opts.mountinfo ?? readFileSync(path.join(FIXTURES_DIR, name, 'mounts.txt'), 'utf8');
  return {
    sysfsRoot,
    host: {
      sysfsRoot,
      scan: () => scanInventory({ sysfsRoot, health: false }),
      mountinfo: async () => mountinfo,
      procRoot,
    },
    set(relative, text) {
      const file = path.join(sysfsRoot, relative);
      if (realpathSync(path.dirname(file)).startsWith(realpathSync(FIXTURES_DIR))) {
        throw new Error(`${file} is inside the recorded fixtures: use recordedDeviceHost(name, { copy: true })`);
      }
      writeFileSync(file, text);
    },
    remove: tmp.remove,
  };
}

/** A child process holding a device node open on stdin (`sleep 600 < /dev/full`), killed by stop(). */
export async function holdOpen(device: string): Promise<{ pid: number; stop(): void }> {
  const child: ChildProcess = spawn('sh', ['-c', `exec sleep 600 < ${device}`], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  // until the exec, the pid is sh's: wait for comm to read sleep
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      if (readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() === 'sleep') break;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { pid: child.pid as number, stop: () => void child.kill('SIGKILL') };
}

export function check(plan: DaxChangeAgentPlan, id: string): DaxCheck | undefined {
  return plan.checks.find((c) => c.id === id);
}

/** Every plan fits the schema; executable iff every check is ok; the refusal is the first failed check's detail. */
export function expectWellFormed(plan: DaxChangeAgentPlan): void {
  expect([...Value.Errors(DaxChangeAgentPlanSchema, plan)].map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
  const failed = plan.checks.find((c) => !c.ok);
  expect(plan.executable).toBe(failed === undefined);
  expect(plan.refusal).toBe(failed?.detail);
  expect(plan.steps.map((s) => s.n)).toEqual(plan.steps.map((_, i) => i + 1));
}
