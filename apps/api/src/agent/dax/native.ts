/**
 * The device changes of @daxfleet/dax-native (src/devices/: libndctl / libdaxctl) that the executors call, by the
 * names and shapes NATIVE exports. Declared here structurally so the executors are given them (serve.ts passes the
 * real ones) and host tests can run the dispatcher without touching a device.
 */
import type { NamespaceTargetMode } from '@daxfleet/shared';

export interface NamespaceParams {
  mode: NamespaceTargetMode;
  size?: number;
  align?: number;
  map?: 'mem' | 'dev';
  sectorSize?: number;
  name?: string;
  uuid?: string;
}

export interface NamespaceChangeResult {
  namespace: string;
  mode: NamespaceTargetMode;
  size: number;
  uuid?: string;
  blockdev?: string;
  chardev?: string;
  holder?: string;
}

export interface DaxDeviceState {
  device: string;
  mode: 'devdax' | 'system-ram';
  onlineMemblocks?: number;
  totalMemblocks?: number;
  movable?: boolean;
}

export interface DeviceNative {
  createNamespace(region: string, params: NamespaceParams): Promise<NamespaceChangeResult>;
  reconfigureNamespace(namespace: string, params: NamespaceParams): Promise<NamespaceChangeResult>;
  destroyNamespace(namespace: string): Promise<{ namespace: string; freed: number }>;
  reconfigureDaxDevice(device: string, opts: { mode: 'system-ram' | 'devdax'; online?: boolean; movable?: boolean }): Promise<DaxDeviceState>;
  onlineDaxMemory(device: string, opts?: { movable?: boolean }): Promise<DaxDeviceState & { onlined: number }>;
  offlineDaxMemory(device: string): Promise<DaxDeviceState & { offlined: number }>;
}

/** NativeError's fields (code, syscall, detail) in one sentence, for a failed step. */
export function nativeErrorText(err: unknown): string {
  const e = err as { message?: string; code?: string; syscall?: string; detail?: string };
  const parts = [e.message ?? String(err)];
  if (e.code !== undefined && !parts[0]?.includes(e.code)) parts.push(`(${e.code})`);
  if (e.detail !== undefined && !parts[0]?.includes(e.detail)) parts.push(`— ${e.detail}`);
  return parts.join(' ');
}

/** The libndctl / libdaxctl function a NativeError names, when it names one. */
export function nativeErrorCall(err: unknown): string | undefined {
  const syscall = (err as { syscall?: unknown }).syscall;
  return typeof syscall === 'string' ? syscall : undefined;
}
