/**
 * The sysfs attribute watcher against this machine's real kernel. The notification source is cgroup
 * v2's `cgroup.events`: the kernel calls kernfs_notify on it when "populated" changes, the same call
 * (sysfs_notify -> kernfs_notify) that regionN/badblocks and pmemX/badblocks get after poison is
 * revalidated. A child cgroup is made for each test under the cgroup2 mount, a sleeping process is
 * moved in and out of it, and everything is removed afterwards. The NVDIMM attributes themselves are
 * watched in the lab (watch.lab.test.ts).
 *
 * Needs root and a writable cgroup2 mount; without them the cgroup tests are skipped with the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addonPath, type NativeError } from '../src/addon.js';
import { watchSysfsAttributes, type SysfsChange, type SysfsWatch } from '../src/watch.js';
import { REPO } from './lab-guest.js';

const DIST = join(REPO, 'packages/dax-native/dist/index.js');

/** The cgroup2 mount point if this process can make child cgroups there, else why not. */
function probeCgroup2(): { mount: string } | { reason: string } {
  let mount: string | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.split(' ')[0] === 'cgroup2') {
      mount = left!.split(' ')[4]!;
      break;
    }
  }
  if (mount === undefined) return { reason: 'no cgroup2 mount' };
  const probe = join(mount, `daxfleet-watch-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
  } catch (err) {
    return { reason: `cannot make a cgroup under ${mount}: ${(err as Error).message}` };
  }
  return { mount };
}

/** Every callback a watch made, and a way to wait for one (the test timeout is the failure mode). */
class Recorder {
  readonly changes: SysfsChange[] = [];
  readonly errors: NativeError[] = [];
  private wakers: (() => void)[] = [];

  readonly onChange = (change: SysfsChange): void => {
    this.changes.push(change);
    this.wake();
  };

  readonly onError = (err: NativeError): void => {
    this.errors.push(err);
    this.wake();
  };

  async until(done: () => boolean): Promise<void> {
    while (!done()) await new Promise<void>((resolve) => this.wakers.push(resolve));
  }

  private wake(): void {
    for (const wake of this.wakers.splice(0)) wake();
  }
}

/** Thread ids of this process's watcher threads (the addon names them "sysfs-watch"). */
function watcherThreads(): number[] {
  return readdirSync('/proc/self/task')
    .filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'sysfs-watch')
    .map(Number);
}

/** A thread's read() calls so far (task I/O accounting) and how often it went to sleep. */
function threadCounters(tid: number): { reads: number; sleeps: number } {
  const io = readFileSync(`/proc/self/task/${tid}/io`, 'utf8');
  const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
  return {
    reads: Number(/^syscr:\s+(\d+)/m.exec(io)![1]),
    sleeps: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1]),
  };
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('watchSysfsAttributes: arguments and errors', () => {
  it('a missing path throws Node fs error shape (ENOENT from open) and starts no thread', () => {
    const missing = join(tmpdir(), 'dax-native-watch-does-not-exist');
    let thrown: NativeError | undefined;
    try {
      watchSysfsAttributes(['/proc/self/status', missing], () => {});
    } catch (err) {
      thrown = err as NativeError;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path: missing });
    expect(thrown!.message).toBe(`ENOENT: no such file or directory, open '${missing}'`);
    expect(thrown!.stack).toContain('watch.test.ts');
    expect(watcherThreads()).toEqual([]);
  });

  it('refuses a directory: attributes are regular files', () => {
    expect(() => watchSysfsAttributes(['/sys/kernel'], () => {})).toThrow(
      expect.objectContaining({ code: 'EINVAL', syscall: 'open', path: '/sys/kernel', detail: expect.stringContaining('not a regular file') }),
    );
  });

  it('rejects bad arguments before reaching the addon', () => {
    expect(() => watchSysfsAttributes('/sys/kernel/uevent_seqnum' as unknown as string[], () => {})).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => watchSysfsAttributes([''], () => {})).toThrow('paths[0] must be a non-empty string');
    expect(() => watchSysfsAttributes(['/proc/self/status', 'a\0b'], () => {})).toThrow('paths[1] must not contain null bytes');
    expect(() => watchSysfsAttributes(['/proc/self/status'], undefined as unknown as () => void)).toThrow('onChange must be a function');
    expect(() => watchSysfsAttributes(['/proc/self/status'], () => {}, 'x' as unknown as () => void)).toThrow('onError must be a function');
  });

  it('arms every path once (duplicates removed) and returns the text each read when armed', () => {
    const watch = watchSysfsAttributes(['/sys/kernel/uevent_seqnum', '/proc/sys/kernel/ostype', '/sys/kernel/uevent_seqnum'], () => {});
    try {
      expect(watch.paths).toEqual(['/sys/kernel/uevent_seqnum', '/proc/sys/kernel/ostype']);
      expect(watch.initial.get('/proc/sys/kernel/ostype')).toBe('Linux\n');
      expect(watch.initial.get('/sys/kernel/uevent_seqnum')).toMatch(/^\d+\n$/);
      expect(watcherThreads()).toHaveLength(1);
    } finally {
      watch.close();
    }
    expect(watch.closed).toBe(true);
    expect(watcherThreads()).toEqual([]); // joined
    watch.close(); // idempotent
  });
});

const cgroup2 = probeCgroup2();
const skipReason = 'reason' in cgroup2 ? cgroup2.reason : undefined;

describe.skipIf(skipReason !== undefined)(`watchSysfsAttributes on cgroup.events${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const mount = 'mount' in cgroup2 ? cgroup2.mount : '';
  let sleeper: ChildProcess;
  let home: string; // the sleeper's own cgroup, to move it back to
  const made: string[] = [];
  let serial = 0;
  const watches: SysfsWatch[] = [];
  let scratch: string;

  const makeCgroup = (): string => {
    const dir = join(mount, `daxfleet-watch-test-${process.pid}-${serial++}`);
    mkdirSync(dir);
    made.push(dir);
    return dir;
  };
  const moveSleeper = (cgroupDir: string): void => writeFileSync(join(cgroupDir, 'cgroup.procs'), String(sleeper.pid));
  const watch = (...args: Parameters<typeof watchSysfsAttributes>): SysfsWatch => {
    const w = watchSysfsAttributes(...args);
    watches.push(w);
    return w;
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'dax-native-watch-'));
    sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    await new Promise((resolve, reject) => sleeper.once('spawn', resolve).once('error', reject));
    const own = readFileSync(`/proc/${sleeper.pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!;
    home = join(mount, own.slice(3));
  });

  afterEach(() => {
    // Every step is tried, so one failure leaves no cgroup behind; the first failure is reported.
    const failures: unknown[] = [];
    const attempt = (step: () => void): void => {
      try {
        step();
      } catch (err) {
        failures.push(err);
      }
    };
    for (const w of watches.splice(0)) attempt(() => w.close());
    attempt(() => moveSleeper(home));
    for (const dir of made.splice(0).reverse()) attempt(() => rmdirSync(dir));
    if (failures.length > 0) throw failures[0];
  });

  afterAll(async () => {
    sleeper?.kill();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('calls back with the new text when the cgroup becomes populated, and again when it empties', async () => {
    const cg = makeCgroup();
    const events = join(cg, 'cgroup.events');
    const rec = new Recorder();
    const w = watch([events], rec.onChange, rec.onError);
    expect(w.initial.get(events)).toMatch(/^populated 0$/m);

    moveSleeper(cg);
    await rec.until(() => rec.changes.some((c) => /^populated 1$/m.test(c.text)));
    moveSleeper(home);
    await rec.until(() => rec.changes.some((c) => /^populated 0$/m.test(c.text)));

    expect(rec.changes.map((c) => c.path)).toEqual(rec.changes.map(() => events));
    expect(rec.changes.map((c) => /^populated (\d)$/m.exec(c.text)![1])).toEqual(['1', '0']);
    expect(rec.errors).toEqual([]);
  });

  it('close() stops it: a closed watch gets nothing while an open one sees the same change', async () => {
    const cg = makeCgroup();
    const events = join(cg, 'cgroup.events');
    const closedRec = new Recorder();
    const witness = new Recorder();
    const closedWatch = watch([events], closedRec.onChange, closedRec.onError);
    watch([events], witness.onChange, witness.onError);
    expect(watcherThreads()).toHaveLength(2);

    closedWatch.close();
    expect(watcherThreads()).toHaveLength(1); // its thread was joined
    moveSleeper(cg);
    await witness.until(() => witness.changes.length > 0);
    moveSleeper(home);
    await witness.until(() => witness.changes.length > 1);

    expect(closedRec.changes).toEqual([]);
    expect(closedRec.errors).toEqual([]);
  });

  it('a regular file, which never signals POLLPRI, fires nothing beside an attribute that does', async () => {
    const file = join(scratch, 'plain');
    await writeFile(file, 'before\n');
    const cg = makeCgroup();
    const events = join(cg, 'cgroup.events');
    const rec = new Recorder();
    const w = watch([file, events], rec.onChange, rec.onError);
    expect(w.initial.get(file)).toBe('before\n');

    await writeFile(file, 'after\n');
    moveSleeper(cg); // after the file write: its notification arrives after anything the file could raise
    await rec.until(() => rec.changes.some((c) => c.path === events));

    expect(rec.changes.filter((c) => c.path === file)).toEqual([]);
    expect(rec.errors).toEqual([]);
  });

  it('an attribute that disappears (rmdir) gives one ENODEV error, is dropped and not spun on', async () => {
    const cg = makeCgroup();
    const events = join(cg, 'cgroup.events');
    const rec = new Recorder();
    watch([events], rec.onChange, rec.onError);
    const [tid] = watcherThreads();
    expect(tid).toBeDefined();

    rmdirSync(cg);
    made.pop();
    await rec.until(() => rec.errors.length > 0);
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toBeInstanceOf(Error);
    expect(rec.errors[0]).toMatchObject({ code: 'ENODEV', syscall: 'read', path: events });

    // The thread goes back to sleep in poll() (each round is a voluntary context switch) and makes no
    // further read: a thread spinning on the dead fd would read on every round and never sleep.
    const after = threadCounters(tid!);
    await until(() => threadCounters(tid!).sleeps >= after.sleeps + 3);
    expect(threadCounters(tid!).reads).toBe(after.reads);
    expect(rec.errors).toHaveLength(1);
    expect(rec.changes).toEqual([]);
  });

  it('keeps working after its handle is dropped and garbage-collected (alive until close, like fs.watch)', async () => {
    const cg = makeCgroup();
    const events = join(cg, 'cgroup.events');
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--input-type=module',
        '-e',
        // Both the wrapper and the raw binding (whose object nothing else references) are dropped.
        `import { createRequire } from 'node:module';
         const { watchSysfsAttributes } = await import(${JSON.stringify(DIST)});
         const raw = createRequire(import.meta.url)(${JSON.stringify(addonPath())});
         const seen = new Set();
         const report = (who, text) => {
           seen.add(who + ': ' + text.split('\\n')[0]);
           if (seen.size === 2) { console.log([...seen].sort().join('\\n')); process.exit(0); }
         };
         watchSysfsAttributes([${JSON.stringify(events)}], ({ text }) => report('wrapper', text));
         new raw.SysfsWatcher([${JSON.stringify(events)}], (_path, text) => report('raw', text), () => {});
         for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }
         console.log('armed');
         setInterval(() => {}, 1000); // the watches themselves keep nothing alive`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('armed\n')) resolve();
      }),
    );
    try {
      moveSleeper(cg);
      expect(await exited).toBe(0);
    } finally {
      child.kill(); // when it failed: no orphan watching a cgroup that is about to go
    }
    expect(output).toBe('armed\nraw: populated 1\nwrapper: populated 1\n');
  });

  it('keeps the other attributes of a watch when one of them disappears', async () => {
    const gone = makeCgroup();
    const kept = makeCgroup();
    const rec = new Recorder();
    watch([join(gone, 'cgroup.events'), join(kept, 'cgroup.events')], rec.onChange, rec.onError);
    rmdirSync(gone);
    made.splice(made.indexOf(gone), 1);
    await rec.until(() => rec.errors.length > 0);

    moveSleeper(kept);
    await rec.until(() => rec.changes.length > 0);
    expect(rec.changes).toEqual([{ path: join(kept, 'cgroup.events'), text: expect.stringMatching(/^populated 1$/m) }]);
    expect(rec.errors.map((e) => e.path)).toEqual([join(gone, 'cgroup.events')]);
  });
});

/** Runs an ES module with node and resolves to its exit code, signal and output. */
function runNode(source: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, output }));
  });
}

describe('a watcher at process exit and environment teardown', () => {
  // A kernfs attribute that exists everywhere; nothing needs to notify for these tests.
  const ATTR = '/sys/kernel/uevent_seqnum';

  it('does not keep node running: a process with an open watch exits on its own', async () => {
    const run = await runNode(
      `const { watchSysfsAttributes } = await import(${JSON.stringify(DIST)});
       watchSysfsAttributes([${JSON.stringify(ATTR)}], () => {});
       console.log('armed');`,
    );
    expect(run).toEqual({ code: 0, signal: null, output: 'armed\n' });
  });

  it('process.exit() with open watches exits with the given code, no crash', async () => {
    const run = await runNode(
      `const { watchSysfsAttributes } = await import(${JSON.stringify(DIST)});
       for (let i = 0; i < 4; i++) watchSysfsAttributes([${JSON.stringify(ATTR)}], () => {});
       setTimeout(() => process.exit(7), 50);`,
    );
    expect(run).toEqual({ code: 7, signal: null, output: '' });
  });

  it('a worker thread with an open watch can be terminated; its thread is joined at teardown', async () => {
    const run = await runNode(
      `import { Worker } from 'node:worker_threads';
       import { readdirSync, readFileSync } from 'node:fs';
       const threads = () => readdirSync('/proc/self/task').filter((t) => readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === 'sysfs-watch').length;
       const worker = new Worker(\`
         import { parentPort } from 'node:worker_threads';
         const { watchSysfsAttributes } = await import(${JSON.stringify(DIST)});
         globalThis.keep = watchSysfsAttributes([${JSON.stringify(ATTR)}], () => {});
         parentPort.postMessage('armed');
         setInterval(() => {}, 1000);\`, { eval: true, execArgv: ['--input-type=module'] });
       worker.once('message', async (m) => {
         console.log(m, threads());
         await worker.terminate();
         console.log('terminated', threads());
       });`,
    );
    expect(run).toEqual({ code: 0, signal: null, output: 'armed 1\nterminated 0\n' });
  });
});
