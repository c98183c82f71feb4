/** Build once before the suite: prisma generate + tsc -b (incremental: a no-op when nothing changed). */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const bin = (name: string): string => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
  execFileSync(bin('prisma'), ['generate'], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(bin('tsc'), ['-b'], { cwd, stdio: 'inherit' });
}
