/** Words for DAX change requests: the change page's title, list rows and the kind's meaning. */
import type { DaxChangeKind, DaxChangeRequest } from '@daxfleet/shared';
import { formatBytes } from '@/lib/format';

export const KIND_TITLES: Readonly<Record<DaxChangeKind, string>> = {
  'namespace-create': 'Create namespace',
  'namespace-reconfigure': 'Change namespace mode',
  'namespace-destroy': 'Destroy namespace',
  'daxdev-reconfigure': 'Change dax device mode',
  'daxdev-online': 'Online dax device memory',
  'daxdev-offline': 'Offline dax device memory',
  'fs-dax-policy': 'Set DAX policy',
};

/** What each kind does, as ndctl / daxctl / the ioctl does it (one line). */
export const KIND_MEANINGS: Readonly<Record<DaxChangeKind, string>> = {
  'namespace-create': 'ndctl create-namespace in the region\'s free space.',
  'namespace-reconfigure': 'ndctl create-namespace -f -e: the namespace is destroyed and created again in the new mode; its data is lost.',
  'namespace-destroy': 'ndctl destroy-namespace: disable, zero the info block, delete; the space returns to the region.',
  'daxdev-reconfigure': 'daxctl reconfigure-device: system-ram hands the device to the kernel as hot-plugged memory; devdax takes it back (its memory must go offline first).',
  'daxdev-online': 'daxctl online-memory: the device\'s offline memory blocks go online.',
  'daxdev-offline': 'daxctl offline-memory: the device\'s memory blocks go offline (refused if the kernel cannot move what is in them).',
  'fs-dax-policy': 'FS_IOC_FSSETXATTR: sets or clears the persistent FS_XFLAG_DAX flag; new files and directories inherit a directory\'s flag.',
};

export function kindTitle(kind: string): string {
  return (KIND_TITLES as Record<string, string>)[kind] ?? kind;
}

/** The object a request works on: namespace0.0, region1, dax0.0, or a path. */
export function requestTarget(request: DaxChangeRequest): string {
  switch (request.kind) {
    case 'namespace-create': return request.region;
    case 'namespace-reconfigure':
    case 'namespace-destroy': return request.namespace;
    case 'daxdev-reconfigure':
    case 'daxdev-online':
    case 'daxdev-offline': return request.device;
    case 'fs-dax-policy': return request.path;
  }
}

/** "Change namespace mode: namespace0.0 → devdax", "Set DAX policy: /mnt/pmem/db (on, existing: all)". */
export function changeTitle(request: DaxChangeRequest): string {
  const head = `${kindTitle(request.kind)}: ${requestTarget(request)}`;
  switch (request.kind) {
    case 'namespace-create':
    case 'namespace-reconfigure': return `${head} → ${request.mode}`;
    case 'daxdev-reconfigure': return `${head} → ${request.mode}`;
    case 'fs-dax-policy': return `${head} (${request.dax ? 'on' : 'off'}, existing: ${request.existing ?? 'none'})`;
    default: return head;
  }
}

/** The request's parameters as label/value pairs, for the change page. */
export function requestFields(request: DaxChangeRequest): { term: string; value: string }[] {
  const fields: { term: string; value: string }[] = [];
  const add = (term: string, value: string | undefined) => { if (value !== undefined) fields.push({ term, value }); };
  const bytes = (value: number | undefined) => (value === undefined ? undefined : `${formatBytes(value)} (${value} bytes)`);
  add('kind', request.kind);
  switch (request.kind) {
    case 'namespace-create':
    case 'namespace-reconfigure':
      add(request.kind === 'namespace-create' ? 'region' : 'namespace', request.kind === 'namespace-create' ? request.region : request.namespace);
      add('mode', request.mode);
      add('size', bytes(request.size) ?? 'default');
      add('align', bytes(request.align) ?? 'default');
      add('map', request.map ?? 'default');
      add('sector size', request.sector_size === undefined ? 'default' : `${request.sector_size} B`);
      add('name', request.name);
      break;
    case 'namespace-destroy': add('namespace', request.namespace); break;
    case 'daxdev-reconfigure':
      add('device', request.device);
      add('mode', request.mode);
      if (request.mode === 'system-ram') {
        add('online', request.online === false ? 'no' : 'yes');
        add('movable', request.movable === false ? 'no (ZONE_NORMAL)' : 'yes (ZONE_MOVABLE)');
      }
      break;
    case 'daxdev-online':
      add('device', request.device);
      add('movable', request.movable === false ? 'no (ZONE_NORMAL)' : 'yes (ZONE_MOVABLE)');
      break;
    case 'daxdev-offline': add('device', request.device); break;
    case 'fs-dax-policy':
      add('path', request.path);
      add('DAX flag', request.dax ? 'set (on)' : 'clear (off)');
      add('existing', request.existing ?? 'none');
      break;
  }
  return fields;
}
