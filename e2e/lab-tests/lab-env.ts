/**
 * What the lab hands a walk: the hub on this host (URL, the first admin's password, an admin API token) and what the
 * guest set up (DAXFLEET_LAB_READY: a JSON file the guest wrote once its agent had reported the bad range mapped to
 * the file). lab/tools/recovery-stack.sh sets these; outside the lab the walk cannot run and says so.
 */
import { readFileSync } from 'node:fs';

export interface LabSetup {
  host_id: string;
  /** the known file on ext4 mounted -o dax, its mount and block device */
  path: string;
  mountpoint: string;
  namespace: string;
  blockdev: string;
  /** the bad range: region-relative sectors, and its first sector on the block device */
  region: string;
  region_offset: number;
  length: number;
  sector: number;
  /** the file bytes on the bad range and the file's size */
  file_offset: number;
  file_length: number;
  file_size: number;
}

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set: run this walk through lab/test.sh (LAB_TESTS=recovery-walk)`);
  return value;
}

export const labHubUrl = (): string => required('DAXFLEET_LAB_HUB_URL');
export const labAdminPassword = (): string => required('DAXFLEET_LAB_ADMIN_PASSWORD');
export const labAdminToken = (): string => required('DAXFLEET_LAB_ADMIN_TOKEN');
export function labSetup(): LabSetup {
  return JSON.parse(readFileSync(required('DAXFLEET_LAB_READY'), 'utf8')) as LabSetup;
}

/** A JSON call to the hub's REST API with a token or a session cookie; returns the status and the parsed body. */
export async function hubCall<T = unknown>(method: string, path: string, auth: { token?: string; cookie?: string }, body?: unknown):
Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (auth.token !== undefined) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie !== undefined) headers.cookie = auth.cookie;
  const response = await fetch(`${labHubUrl()}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}
