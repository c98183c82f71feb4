import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { cliPath, repoRoot } from './paths';

/** A `daxfleet serve` process started by the tests, with its output kept in a log file. */
export type DaxfleetProcess = {
  name: string;
  child: ChildProcess;
  url: string;
  logPath: string;
  stop: () => Promise<void>;
};

/** A TCP port nothing listens on right now (the OS picks it; loopback only). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const LISTENING = /daxfleet listening on (http:\/\/\S+)/;

/**
 * Runs `node apps/api/dist/cli.js serve ARGS` (with `extraEnv` added to the environment) and resolves once it prints
 * its listening line.
 * Fails with the tail of its output when it exits first or stays silent for `startTimeoutMs`.
 */
export function startDaxfleet(
  name: string, args: readonly string[], logDir: string, startTimeoutMs = 30_000, extraEnv: Record<string, string> = {},
): Promise<DaxfleetProcess> {
  mkdirSync(logDir, { recursive: true });
  const logPath = join(logDir, `${name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, [cliPath, 'serve', ...args], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'production', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopping: Promise<void> | undefined;
  /** SIGTERM (graceful close), SIGKILL after 5 s; safe to call more than once. */
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killTimer);
      }
      log.end();
    })();
    return stopping;
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop().then(() => reject(new Error(`${name} did not print "daxfleet listening on" within ${startTimeoutMs} ms. Output:\n${output.slice(-4000)}`)));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      log.write(text);
      output += text;
      const match = LISTENING.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        // keep draining into the log so the process never blocks on a full pipe
        child.stdout?.on('data', (more: Buffer) => log.write(more));
        child.stderr?.on('data', (more: Buffer) => log.write(more));
        resolve({ name, child, url: match[1].replace(/\/$/, ''), logPath, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    log.once('error', (error) => {
      clearTimeout(timer);
      void stop().then(() => reject(new Error(`${name}: cannot write its log ${logPath}: ${error.message}`)));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${name}: cannot start ${cliPath}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before listening. Output:\n${output.slice(-4000)}`));
    });
  });
}
