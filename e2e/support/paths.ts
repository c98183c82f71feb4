import { fileURLToPath } from 'node:url';

/** The repository root, whatever directory Playwright was started from. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../apps/api/dist/cli.js', import.meta.url));
export const webDistIndex = fileURLToPath(new URL('../../apps/web/dist/index.html', import.meta.url));

export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`../../lab/fixtures/${name}/`, import.meta.url));
}
