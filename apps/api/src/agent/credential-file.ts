/**
 * The agent's credential, kept in DATA-DIR/agent-credential.json (mode 0600): the host id it enrolled as, the
 * hub, the bearer credential it reports with and the key that authenticates the hub's commands. Written
 * atomically (temporary file, then rename), so a crash never leaves half a credential behind.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const CREDENTIAL_FILE = 'agent-credential.json';
/** where a credential the hub revoked is moved, so a restart with a new join token enrolls again */
export const REVOKED_CREDENTIAL_FILE = 'agent-credential.revoked.json';

export interface AgentCredentialFile {
  host_id: string;
  hub_url: string;
  agent_credential: string;
  command_key: string;
}

export class CredentialFileError extends Error {
  override name = 'CredentialFileError';
}

export function credentialPath(dataDir: string): string {
  return path.join(dataDir, CREDENTIAL_FILE);
}

/** The stored credential, or undefined when the agent has not enrolled yet. */
export function readCredential(dataDir: string): AgentCredentialFile | undefined {
  const file = credentialPath(dataDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: Partial<Record<keyof AgentCredentialFile, unknown>>;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new CredentialFileError(`${file} is not valid JSON: remove it and enroll again with a new join token`);
  }
  const fields = ['host_id', 'hub_url', 'agent_credential', 'command_key'] as const;
  for (const f of fields) {
    if (typeof parsed[f] !== 'string' || parsed[f] === '') {
      throw new CredentialFileError(`${file} has no ${f}: remove it and enroll again with a new join token`);
    }
  }
  return parsed as AgentCredentialFile;
}

export function writeCredential(dataDir: string, credential: AgentCredentialFile): void {
  mkdirSync(dataDir, { recursive: true });
  const file = credentialPath(dataDir);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    // created 0600 (the mode applies at creation; umask can only remove bits), then moved over the old one
    writeFileSync(tmp, `${JSON.stringify(credential, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Moves a revoked credential aside: the next start needs a new join token (and says so). */
export function setRevokedCredentialAside(dataDir: string): void {
  try {
    renameSync(credentialPath(dataDir), path.join(dataDir, REVOKED_CREDENTIAL_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
