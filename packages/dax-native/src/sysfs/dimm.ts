/**
 * One DIMM (nmemN), read as libndctl's add_dimm()/populate_dimm_attributes() read it. The bus family
 * decides where the firmware-interface attributes live: nmemN/nfit/ (ACPI NFIT) or nmemN/papr/.
 */
import type { Dimm } from '@daxfleet/shared';
import { readAttr, isSymlink, child, type DeviceDir, type Warnings } from './read.js';
import { readU64 } from './parse.js';

/** Values ndctl treats as "not reported": handle UINT_MAX, phys_id USHRT_MAX. */
const UINT_MAX = 0xffffffff;
const USHRT_MAX = 0xffff;

const SECURITY_STATES = new Set(['disabled', 'unlocked', 'locked', 'frozen', 'overwrite']);

export function scanDimm(busDir: DeviceDir, name: string, family: 'nfit' | 'papr' | undefined): Dimm {
  const dir: DeviceDir = { path: `${busDir.path}/${name}`, label: `bus/nd/devices/${name}` };
  const warnings: Warnings = [];
  const dimm: Dimm = { dev: name, state: isSymlink(dir, 'driver') ? 'enabled' : 'disabled' };

  if (family !== undefined) {
    const fw = child(dir, family);
    const id = readAttr(fw, 'id', warnings);
    if (id !== undefined && id.length > 0) dimm.id = id;
    const handle = readU64(fw, 'handle', warnings);
    if (handle !== undefined && handle < UINT_MAX) dimm.handle = handle;
    const physId = readU64(fw, 'phys_id', warnings);
    if (physId !== undefined && physId < USHRT_MAX) dimm.phys_id = physId;
    // The kernel writes each set flag followed by a space ("save_fail smart_notify ").
    const flags = readAttr(fw, 'flags', warnings);
    if (flags !== undefined) dimm.flags = flags.split(/\s+/).filter((word) => word.length > 0);
  }

  const security = readAttr(dir, 'security', warnings);
  if (security !== undefined) {
    if (SECURITY_STATES.has(security)) dimm.security = security;
    else if (security.length > 0) warnings.push({ path: `${dir.label}/security`, message: `unknown security state: ${JSON.stringify(security)}` });
  }
  // ndctl_dimm_security_is_frozen(): the security state, or the separate "frozen" attribute
  const frozen = readU64(dir, 'frozen', warnings);
  if (security === 'frozen' || (frozen !== undefined && frozen !== 0)) dimm.security_frozen = true;

  if (warnings.length > 0) dimm.warnings = warnings;
  return dimm;
}
