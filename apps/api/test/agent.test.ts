/** Agent building blocks: retry backoff, the stable host id, the credential file. */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/agent/agent.js';
import {
  CredentialFileError, readCredential, setRevokedCredentialAside, writeCredential, type AgentCredentialFile,
} from '../src/agent/credential-file.js';
import { resolveHostId } from '../src/agent/host-identity.js';
import { tempDir } from './helpers.js';

describe('backoffDelay', () => {
  it('starts at min(interval, 1 s), doubles, and stops at 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, 10_000)))
      .toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect([1, 2, 3].map((n) => backoffDelay(n, 300))).toEqual([300, 600, 1200]);
  });

  it('never waits longer than a slow interval would anyway', () => {
    expect(backoffDelay(20, 120_000)).toBe(120_000);
  });
});

/** a fresh temporary folder, removed after the test */
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));
const dir = (): string => {
  const t = tempDir();
  cleanups.push(t.remove);
  return t.dir;
};

describe('resolveHostId', () => {

  it('generates an id once and keeps it in the data folder', () => {
    const d = path.join(dir(), 'new-data');
    const id = resolveHostId(d);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(readFileSync(path.join(d, 'host-id'), 'utf8')).toBe(`${id}\n`);
    expect(resolveHostId(d)).toBe(id);
  });

  it('prefers an explicit id and validates it', () => {
    expect(resolveHostId(dir(), 'node-7.rack:1')).toBe('node-7.rack:1');
    expect(() => resolveHostId(dir(), 'bad id')).toThrow('invalid --host-id "bad id"');
  });

  it('refuses a corrupted id file instead of silently becoming another host', () => {
    const d = dir();
    writeFileSync(path.join(d, 'host-id'), 'not valid!\n');
    expect(() => resolveHostId(d)).toThrow('holds an invalid host id');
  });
});

describe('the agent credential file', () => {
  const credential: AgentCredentialFile = {
    host_id: 'node-1', hub_url: 'https://hub:7300', agent_credential: 'dxf_agent_x', command_key: 'k1',
  };

  it('is absent before enrollment, then written 0600 and read back', () => {
    const d = path.join(dir(), 'data');
    expect(readCredential(d)).toBeUndefined();
    writeCredential(d, credential);
    const file = path.join(d, 'agent-credential.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readCredential(d)).toEqual(credential);
  });

  it('is replaced atomically: no temporary file left, the new content in place, still 0600', () => {
    const d = dir();
    writeCredential(d, credential);
    writeCredential(d, { ...credential, agent_credential: 'dxf_agent_y' });
    expect(readdirSync(d)).toEqual(['agent-credential.json']);
    expect(readCredential(d)?.agent_credential).toBe('dxf_agent_y');
    expect(statSync(path.join(d, 'agent-credential.json')).mode & 0o777).toBe(0o600);
  });

  it('refuses a damaged file with what to do', () => {
    const d = dir();
    writeFileSync(path.join(d, 'agent-credential.json'), '{"host_id":"a"}');
    expect(() => readCredential(d)).toThrow(CredentialFileError);
    expect(() => readCredential(d)).toThrow('enroll again with a new join token');
  });

  it('a revoked credential is moved aside: the agent counts as not enrolled', () => {
    const d = dir();
    writeCredential(d, credential);
    setRevokedCredentialAside(d);
    expect(readCredential(d)).toBeUndefined();
    expect(readdirSync(d)).toEqual(['agent-credential.revoked.json']);
  });
});
