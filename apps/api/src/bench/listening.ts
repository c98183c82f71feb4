/** For the benchmarks that run daxfleet as a child process: the URL it prints once it listens. */
import type { ChildProcess } from 'node:child_process';

/**
 * Resolves with the child and its URL when it prints "listening on http://…"; rejects, with its stderr, if it exits
 * first. `what` names it in that error ("daxfleet serve --role hub", "the hub").
 */
export function whenListening(child: ChildProcess, what: string): Promise<{ child: ChildProcess; url: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${stderr.trim()}`)));
  });
}
