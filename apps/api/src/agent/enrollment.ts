/**
 * Agent side of enrollment and rotation: trade a one-time join token for this agent's own credential, or an
 * old credential for a new one, and keep the result in DATA-DIR/agent-credential.json.
 */
import type { Static } from 'typebox';
import type { EnrollResponseSchema } from '@daxfleet/shared';
import { readCredential, writeCredential, type AgentCredentialFile } from './credential-file.js';
import { postToHub } from './senders.js';

type EnrollResponse = Static<typeof EnrollResponseSchema>;
interface RotateResponse { agent_credential: string; command_key?: string }

export const ENROLL_PATH = '/api/v1/agents/enroll';
export const ROTATE_PATH = '/api/v1/agents/credential/rotate';
export const NOT_ENROLLED_MESSAGE =
  'not enrolled: ask an admin for a join token (UI: Agents, or POST /api/v1/agents/join-tokens) and pass --join-token';

/** The agent has no credential and was given no join token (exit 2). */
export class NotEnrolledError extends Error {
  override name = 'NotEnrolledError';
  constructor() {
    super(NOT_ENROLLED_MESSAGE);
  }
}

export interface EnrollOptions {
  dataDir: string;
  hubUrl: string;
  hostId: string;
  hostname: string;
  joinToken: string | undefined;
}

/**
 * The stored credential when there is one (the join token is then not needed, and not used); otherwise
 * enrolls with the join token and stores what the hub issued.
 */
export async function ensureEnrolled(opts: EnrollOptions): Promise<{ credential: AgentCredentialFile; enrolled: boolean }> {
  const stored = readCredential(opts.dataDir);
  if (stored) return { credential: stored, enrolled: false };
  if (opts.joinToken === undefined || opts.joinToken === '') throw new NotEnrolledError();
  let issued: EnrollResponse;
  try {
    issued = await postToHub<EnrollResponse>(opts.hubUrl, ENROLL_PATH, {
      join_token: opts.joinToken, host_id: opts.hostId, hostname: opts.hostname,
    });
  } catch (err) {
    throw new Error(`cannot enroll with the hub at ${opts.hubUrl}: ${(err as Error).message}`);
  }
  const credential: AgentCredentialFile = {
    host_id: issued.host_id,
    hub_url: opts.hubUrl,
    agent_credential: issued.agent_credential,
    command_key: issued.command_key,
  };
  writeCredential(opts.dataDir, credential);
  return { credential, enrolled: true };
}

/** `daxfleet agent rotate-credential`: a new credential; the old one stops working at once. */
export async function rotateCredential(dataDir: string): Promise<AgentCredentialFile> {
  const stored = readCredential(dataDir);
  if (!stored) throw new NotEnrolledError();
  const issued = await postToHub<RotateResponse>(stored.hub_url, ROTATE_PATH, {}, stored.agent_credential);
  // the hub keeps the command key on rotation unless it says otherwise
  const credential: AgentCredentialFile = {
    ...stored,
    agent_credential: issued.agent_credential,
    command_key: issued.command_key ?? stored.command_key,
  };
  writeCredential(dataDir, credential);
  return credential;
}
