/**
 * Builds dist/ (tsc -b, incremental) before the tests: the lab guest runs the built JavaScript, and
 * it must be the code under test, not an older build.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  execFileSync('npx', ['tsc', '-b'], { cwd: packageDir, stdio: 'inherit' });
}
