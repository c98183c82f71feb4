/** Running the built daxfleet program as child processes, as an operator would. */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, REPO_ROOT } from './helpers.js';

export interface DaxfleetProcess {
  proc: ChildProcess;
  /** http(s)://127.0.0.1:PORT, from the "daxfleet listening on" line */
  url: string;
  /** everything the process printed so far (stdout + stderr) */
  output(): string;
  /** resolves when the output (from now on or already) matches */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** sends the signal and resolves with the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `env` is added to this process's environment (DAXFLEET_ADMIN_PASSWORD, NODE_EXTRA_CA_CERTS, ...) */
export async function startDaxfleet(args: string[], timeoutMs = 30_000, env: NodeJS.ProcessEnv = {}): Promise<DaxfleetProcess> {
  const proc = spawn(process.execPath, [CLI, 'serve', ...args], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

  const waitForOutput = (pattern: RegExp, waitMs = timeoutMs): Promise<void> => new Promise((resolve, reject) => {
    const check = (): void => {
      if (pattern.test(out)) {
        cleanup();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${pattern} in the output of daxfleet serve ${args.join(' ')}:\n${out}`));
    }, waitMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      listeners.delete(check);
    };
    listeners.add(check);
    void exited.then((code) => {
      if (listeners.has(check)) {
        cleanup();
        reject(new Error(`daxfleet exited (${code}) before printing ${pattern}:\n${out}`));
      }
    });
    check();
  });

  await waitForOutput(/daxfleet listening on (https?:\/\/\S+)/);
  const url = /daxfleet listening on (https?:\/\/\S+)/.exec(out)?.[1] ?? '';
  return {
    proc,
    url,
    output: () => out,
    waitForOutput,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Polls `probe` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Logs in to a running hub; returns the headers that carry the session (`cookie: daxfleet_session=…`). */
export async function loginHeaders(url: string, username: string, password: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login as ${username} at ${url}: HTTP ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { cookie };
}
