/**
 * The agent's stable host id: given on the command line, or generated once and kept in <data-dir>/host-id,
 * so a restarted agent keeps reporting as the same host (its history continues).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const HOST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const HOST_ID_FILE = 'host-id';

export class HostIdError extends Error {
  override name = 'HostIdError';
}

export function resolveHostId(dataDir: string, explicit?: string): string {
  if (explicit !== undefined) {
    if (!HOST_ID_PATTERN.test(explicit)) {
      throw new HostIdError(`invalid --host-id "${explicit}": use 1-128 of A-Z a-z 0-9 . _ : -`);
    }
    return explicit;
  }
  const file = path.join(dataDir, HOST_ID_FILE);
  let stored: string | undefined;
  try {
    stored = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (stored !== undefined) {
    if (!HOST_ID_PATTERN.test(stored)) throw new HostIdError(`${file} holds an invalid host id "${stored}"`);
    return stored;
  }
  const id = randomUUID();
  mkdirSync(dataDir, { recursive: true });
  // wx: if two agents share a data dir and race, the second fails loudly instead of overwriting the first id
  writeFileSync(file, `${id}\n`, { flag: 'wx' });
  return id;
}
