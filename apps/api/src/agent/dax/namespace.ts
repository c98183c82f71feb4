/**
 * The namespace kinds: namespace-create (ndctl create-namespace -r REGION), namespace-reconfigure (ndctl
 * create-namespace -f -e NS: destroy and set up the same namespace again) and namespace-destroy (ndctl
 * destroy-namespace). Planners read a fresh scan, the mount table, /sys/block/<dev>/holders and the processes
 * holding the block or dax devices; the steps are the libndctl calls ndctl v76 makes, in its order; executors call
 * @daxfleet/dax-native and verify with a new scan (never the return code).
 *
 * Defaults are ndctl's: create takes the region's largest free extent, reconfigure keeps the namespace's raw size,
 * fsdax/devdax use map=dev and a 2 MiB align (when the region supports it, else 4 KiB), sector mode a 4096-byte BTT
 * sector.
 */
import type { DaxChangeRequest, Inventory, Namespace, NamespaceTargetMode, Region } from '@daxfleet/shared';
import type { DaxChangeHandler, DaxExecutionParts, DaxPlanParts } from './contract.js';
import {
  blockHolders, blockNodes, bytesText, charNode, describeNodeOpeners, findNamespace, findRegion, mountsOf, ndAttr,
  readMounts, type DeviceHost, type DeviceNode,
} from './host.js';
import type { DeviceNative, NamespaceParams } from './native.js';
import { Checks, numberSteps, runSteps, runStepsUnlessHeld } from './steps.js';

type CreateRequest = Extract<DaxChangeRequest, { kind: 'namespace-create' }>;
type ReconfigureRequest = Extract<DaxChangeRequest, { kind: 'namespace-reconfigure' }>;
type DestroyRequest = Extract<DaxChangeRequest, { kind: 'namespace-destroy' }>;
type ParamsRequest = CreateRequest | ReconfigureRequest;

const MiB2 = 2 * 1024 * 1024;
const PAGE = 4096;
/** what the pmem driver takes for raw / fsdax, and the BTT's sector sizes (ndctl/namespace.c) */
const PMEM_SECTOR_SIZES = [512, 4096];
const BTT_SECTOR_SIZES = [512, 520, 528, 4096, 4104, 4160, 4224];
/** regionN/nstype: ND_DEVICE_NAMESPACE_IO, a label-less region (one namespace over all of it, no labels) */
const NSTYPE_IO = '4';

/** The namespace as it will be set up: the request with ndctl's defaults filled in. */
interface Resolved {
  mode: NamespaceTargetMode;
  /** raw size in the region */
  size: number;
  map?: 'mem' | 'dev';
  align?: number;
  sector_size?: number;
  name?: string;
}

async function supportedAlignments(host: DeviceHost, region: Region, mode: NamespaceTargetMode): Promise<number[] | undefined> {
  const seed = await ndAttr(host.sysfsRoot, region.dev, mode === 'devdax' ? 'dax_seed' : 'pfn_seed');
  if (seed === undefined || seed === '') return undefined;
  const text = await ndAttr(host.sysfsRoot, seed, 'supported_alignments');
  if (text === undefined) return undefined;
  const values = text.split(/\s+/).filter((t) => /^\d+$/.test(t)).map(Number);
  return values.length > 0 ? values : undefined;
}

function resolve(req: ParamsRequest, size: number, alignments: number[] | undefined): Resolved {
  const pfn = req.mode === 'fsdax' || req.mode === 'devdax';
  const out: Resolved = { mode: req.mode, size: req.size ?? size };
  if (pfn) {
    out.map = req.map ?? 'dev';
    out.align = req.align ?? (alignments === undefined || alignments.includes(MiB2) ? MiB2 : PAGE);
  }
  if (req.mode === 'sector') out.sector_size = req.sector_size ?? 4096;
  else if (req.sector_size !== undefined) out.sector_size = req.sector_size;
  if (req.name !== undefined) out.name = req.name;
  return out;
}

/** params-valid: the reasons the parameters cannot work in this region (empty: they can). */
function paramProblems(req: ParamsRequest, resolved: Resolved, region: Region, alignments: number[] | undefined): string[] {
  const problems: string[] = [];
  const pfn = req.mode === 'fsdax' || req.mode === 'devdax';
  const regionAlign = Math.max(region.align ?? PAGE, PAGE);
  if (req.size !== undefined && req.size % regionAlign !== 0) {
    problems.push(`size ${req.size} is not a multiple of ${region.dev}'s align (${regionAlign}): use a multiple of ${regionAlign} ` +
      `(e.g. ${Math.max(1, Math.floor(req.size / regionAlign)) * regionAlign})`);
  }
  if (!pfn && req.align !== undefined) problems.push(`align applies to fsdax and devdax only, not ${req.mode}: leave it out`);
  if (!pfn && req.map !== undefined) problems.push(`map applies to fsdax and devdax only, not ${req.mode}: leave it out`);
  if (pfn && resolved.align !== undefined) {
    if (alignments !== undefined && !alignments.includes(resolved.align)) {
      problems.push(`align ${resolved.align} is not supported by ${region.dev} (supported: ${alignments.join(', ')})`);
    } else if (alignments === undefined && (resolved.align & (resolved.align - 1)) !== 0) {
      problems.push(`align ${resolved.align} is not a power of two`);
    } else if (resolved.size % resolved.align !== 0) {
      problems.push(`size ${resolved.size} is not a multiple of align ${resolved.align}: choose a size that is, or a smaller align`);
    }
  }
  if (req.sector_size !== undefined) {
    if (req.mode === 'devdax') problems.push('sector_size does not apply to devdax: leave it out');
    else if (req.mode === 'sector' && !BTT_SECTOR_SIZES.includes(req.sector_size)) {
      problems.push(`sector_size ${req.sector_size} is not a BTT sector size (${BTT_SECTOR_SIZES.join(', ')})`);
    } else if (req.mode !== 'sector' && !PMEM_SECTOR_SIZES.includes(req.sector_size)) {
      problems.push(`sector_size ${req.sector_size} is not valid for ${req.mode} (${PMEM_SECTOR_SIZES.join(' or ')})`);
    }
  }
  return problems;
}

function paramsText(r: Resolved): string {
  const parts = [`${r.mode}`, bytesText(r.size)];
  if (r.map !== undefined) parts.push(`map ${r.map}`);
  if (r.align !== undefined) parts.push(`align ${r.align}`);
  if (r.sector_size !== undefined) parts.push(`sector size ${r.sector_size}`);
  if (r.name !== undefined) parts.push(`name "${r.name}"`);
  return parts.join(', ');
}

/** The libndctl calls of ndctl's setup_namespace for `r` on namespace `ns`. */
function setupSteps(ns: string, r: Resolved, labelled: boolean): { op: string; description: string }[] {
  const steps: { op: string; description: string }[] = [];
  if (labelled) {
    steps.push({ op: 'ndctl_namespace_set_uuid', description: `give ${ns} a new uuid${r.name !== undefined ? ` and the name "${r.name}"` : ''}` });
    steps.push({ op: 'ndctl_namespace_set_size', description: `set ${ns}'s size to ${bytesText(r.size)} (${r.size} bytes), written to the labels` });
  }
  if (r.sector_size !== undefined && r.mode !== 'sector') {
    steps.push({ op: 'ndctl_namespace_set_sector_size', description: `${r.sector_size}-byte sectors` });
  }
  switch (r.mode) {
    case 'raw':
      steps.push({ op: 'ndctl_namespace_enable', description: `enable ${ns}: a raw block device (no DAX)` });
      break;
    case 'sector':
      steps.push({ op: 'ndctl_btt_set_namespace', description: `claim ${ns} with the region's btt seed, ${r.sector_size}-byte sectors` });
      steps.push({ op: 'ndctl_btt_enable', description: 'enable the btt: a block device with atomic sector writes (no DAX)' });
      break;
    case 'fsdax':
      steps.push({ op: 'ndctl_pfn_set_namespace', description: `claim ${ns} with the region's pfn seed: map ${r.map}, align ${r.align}` });
      steps.push({ op: 'ndctl_pfn_enable', description: 'write the pfn info block and enable: a DAX-capable block device /dev/pmemX' });
      break;
    case 'devdax':
      steps.push({ op: 'ndctl_dax_set_namespace', description: `claim ${ns} with the region's dax seed: map ${r.map}, align ${r.align}` });
      steps.push({ op: 'ndctl_dax_enable', description: 'write the dax info block and enable: a character device /dev/daxX.Y' });
      break;
  }
  return steps;
}

/** The steps of ndctl's namespace_destroy (also the first half of a reconfigure). */
function destroySteps(ns: Namespace, labelled: boolean): { op: string; description: string }[] {
  return [
    { op: 'ndctl_namespace_disable_safe', description: `disable ${ns.dev} (the kernel refuses while it is mounted or open)` },
    ...(ns.holder_class !== undefined || ns.mode === 'fsdax' || ns.mode === 'devdax' || ns.mode === 'sector'
      ? [{ op: 'zero_info_block', description: `overwrite the ${ns.mode} info block at the start of ${ns.dev} so it is not found again` }] : []),
    ...(labelled ? [{ op: 'ndctl_namespace_delete', description: `delete ${ns.dev}'s labels: its space returns to the region` }] : []),
  ];
}

function toNative(r: Resolved, passSize: boolean): NamespaceParams {
  return {
    mode: r.mode,
    ...(passSize ? { size: r.size } : {}),
    ...(r.align !== undefined ? { align: r.align } : {}),
    ...(r.map !== undefined ? { map: r.map } : {}),
    ...(r.sector_size !== undefined ? { sectorSize: r.sector_size } : {}),
    ...(r.name !== undefined ? { name: r.name } : {}),
  };
}

/** The region as the plan shows it: its fields without the namespaces and bad blocks (those are not what changes). */
function regionBefore(region: Region): Record<string, unknown> {
  const { namespaces: _n, badblocks: _b, badblock_count: _c, warnings: _w, ...rest } = region;
  return rest;
}

async function labelled(host: DeviceHost, region: Region): Promise<boolean> {
  return (await ndAttr(host.sysfsRoot, region.dev, 'nstype')) !== NSTYPE_IO;
}

function labelsAdvice(region: string): string {
  return `initialise labels: ndctl disable-region ${region} && ndctl init-labels all && ndctl enable-region ${region} ` +
    `(this loses every namespace of ${region})`;
}

/** The nodes under a namespace: its block device and partitions, or its dax devices. */
async function namespaceNodes(host: DeviceHost, ns: Namespace): Promise<DeviceNode[]> {
  const nodes: DeviceNode[] = [];
  if (ns.blockdev !== undefined) nodes.push(...(await blockNodes(host.sysfsRoot, ns.blockdev)));
  for (const device of ns.daxregion?.devices ?? []) {
    const node = await charNode(host.sysfsRoot, device.chardev);
    if (node !== undefined) nodes.push(node);
  }
  return nodes;
}

/** namespace-not-mounted and namespace-not-open of an existing namespace (reconfigure and destroy). */
async function inUseChecks(host: DeviceHost, ns: Namespace, checks: Checks): Promise<void> {
  const nodes = await namespaceNodes(host, ns);
  const mounts = mountsOf(nodes, await readMounts(host));
  checks.add('namespace-not-mounted', mounts.length === 0, mounts.length === 0
    ? (ns.blockdev !== undefined ? `/dev/${ns.blockdev} is not mounted` : `${ns.dev} has no block device to mount`)
    : `${mounts.map((m) => `${m.source} is mounted on ${m.mountpoint} (${m.fstype})`).join('; ')}: unmount it first (umount ${mounts[0]?.mountpoint})`);
  const busy: string[] = [];
  const systemRam = (ns.daxregion?.devices ?? []).filter((d) => d.mode === 'system-ram');
  for (const d of systemRam) {
    busy.push(`${d.chardev} is in system-ram mode (its memory belongs to the kernel): reconfigure the device to devdax first ` +
      `(daxctl reconfigure-device -m devdax ${d.chardev})`);
  }
  if (ns.blockdev !== undefined) {
    const holders = await blockHolders(host.sysfsRoot, ns.blockdev);
    if (holders.length > 0) busy.push(`/dev/${ns.blockdev} is held by ${holders.join(', ')} (device-mapper / md): remove that first`);
  }
  const held = await describeNodeOpeners(host, nodes);
  if (held.length > 0) busy.push(`open: ${held.join('; ')}: stop these processes first`);
  checks.add('namespace-not-open', busy.length === 0, busy.length === 0
    ? `no process holds ${nodes.length > 0 ? nodes.map((n) => `/dev/${n.name}`).join(', ') : ns.dev} open and nothing is stacked on it`
    : busy.join('; '));
}

/**
 * Who holds the namespace's nodes right before the native call: ndctl_namespace_disable_safe refuses a busy block
 * device (O_EXCL) and system-ram, but nothing refuses disabling a devdax namespace whose /dev/daxX.Y is open.
 */
async function nodeHolders(host: DeviceHost, ns: Namespace): Promise<string[]> {
  return describeNodeOpeners(host, await namespaceNodes(host, ns));
}

function dataLossOf(ns: Namespace): DaxPlanParts['data_loss'] {
  const bytes = ns.raw_size ?? ns.size;
  return [{ description: `all data on ${ns.dev} (${bytesText(bytes)}, ${ns.mode}${ns.blockdev !== undefined ? `, /dev/${ns.blockdev}` : ''}` +
    `${ns.chardev !== undefined ? `, /dev/${ns.chardev}` : ''})`, bytes }];
}

/* ------------------------------------------------------------------------------------------------------------ */
/* verification                                                                                                 */
/* ------------------------------------------------------------------------------------------------------------ */

function verifyNamespace(ns: Namespace | undefined, dev: string, expected: Resolved, checks: Checks): void {
  if (ns === undefined) {
    checks.add('namespace-mode', false, `${dev} is not in the scan after the change`);
    return;
  }
  checks.add('namespace-mode', ns.mode === expected.mode && ns.state === 'enabled',
    `${dev} is ${ns.state === 'enabled' ? '' : `${ns.state}, `}${ns.mode}${ns.mode === expected.mode ? '' : ` (expected ${expected.mode})`}`);
  const raw = ns.raw_size ?? ns.size;
  checks.add('namespace-size', raw === expected.size,
    `raw size ${raw} bytes (${bytesText(raw)})${raw === expected.size ? ', as planned' : `, planned ${expected.size}`}; usable ${ns.size} bytes`);
  const wrong: string[] = [];
  const seen: string[] = [];
  const compare = (field: string, want: unknown, got: unknown): void => {
    if (want === undefined) return;
    seen.push(`${field} ${String(got)}`);
    if (want !== got) wrong.push(`${field} is ${String(got)}, planned ${String(want)}`);
  };
  // a claim-less fsdax namespace has no map attribute: ndctl prints "mem" for it
  compare('map', expected.map, ns.map ?? (ns.mode === 'fsdax' ? 'mem' : undefined));
  compare('align', expected.align, ns.align);
  compare('sector_size', expected.sector_size, ns.sector_size);
  compare('name', expected.name, ns.name);
  checks.add('namespace-params', wrong.length === 0, wrong.length === 0
    ? (seen.length > 0 ? `${seen.join(', ')}, as planned` : 'no parameters beyond mode and size to check')
    : wrong.join('; '));
}

function verifyFreeSpace(region: Region | undefined, regionDev: string, expectedAvailable: unknown, checks: Checks): void {
  if (typeof expectedAvailable !== 'number') return;
  const now = region?.available_size;
  checks.add('region-free-space', now === expectedAvailable,
    now === undefined ? `${regionDev}'s available size cannot be read after the change`
      : `${regionDev} has ${now} bytes available (${bytesText(now)})${now === expectedAvailable ? ', as planned' : `, planned ${expectedAvailable}`}`);
}

/** namespaceX.Y lives in regionX */
function regionOf(namespace: string): string {
  return `region${/^namespace(\d+)\./.exec(namespace)?.[1] ?? ''}`;
}

function resolvedOf(expected: Record<string, unknown> | undefined): Resolved {
  return expected as unknown as Resolved;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* handlers                                                                                                     */
/* ------------------------------------------------------------------------------------------------------------ */

export function namespaceCreateHandler(host: DeviceHost, native: DeviceNative): DaxChangeHandler<CreateRequest> {
  return {
    async plan(request) {
      const inventory = await host.scan();
      const checks = new Checks();
      const region = findRegion(inventory, request.region);
      const parts: DaxPlanParts = { kind: request.kind, request, steps: [], data_loss: [], checks: checks.list };
      if (!checks.add('region-exists', region !== undefined && region.state === 'enabled', region === undefined
        ? `${request.region} does not exist on this host (regions: ${inventory.buses.flatMap((b) => b.regions.map((r) => r.dev)).join(', ') || 'none'})`
        : region.state === 'enabled' ? `${region.dev}: ${bytesText(region.size)} ${region.type} region` : `${region.dev} is disabled: ndctl enable-region ${region.dev}`)
        || region === undefined) return parts;
      parts.before = regionBefore(region);
      const hasLabels = await labelled(host, region);
      checks.add('labels-writable', hasLabels, hasLabels ? `${region.dev} has namespace labels`
        : `${region.dev} has no namespace labels (a label-less region: one namespace spans it, none can be created); ${labelsAdvice(region.dev)}`);
      const extent = region.max_available_extent ?? region.available_size ?? 0;
      const alignments = await supportedAlignments(host, region, request.mode);
      const resolved = resolve(request, extent, alignments);
      checks.add('region-free-space', resolved.size > 0 && resolved.size <= extent, resolved.size <= 0 || extent === 0
        ? `${region.dev} has no free space (largest available extent 0 bytes): destroy or shrink a namespace first`
        : resolved.size <= extent ? `${bytesText(resolved.size)} fits ${region.dev}'s largest free extent (${bytesText(extent)})`
          : `${bytesText(resolved.size)} (${resolved.size} bytes) is more than ${region.dev}'s largest free extent (${extent} bytes)`);
      const problems = paramProblems(request, resolved, region, alignments);
      checks.add('params-valid', problems.length === 0, problems.length === 0 ? `${paramsText(resolved)}` : problems.join('; '));
      const seed = (await ndAttr(host.sysfsRoot, region.dev, 'namespace_seed')) ?? 'the namespace seed';
      parts.steps = numberSteps([
        { op: 'ndctl_region_get_namespace_seed', description: `take ${region.dev}'s idle namespace (${seed})` },
        ...setupSteps(seed, resolved, true),
      ]);
      parts.expected = { ...resolved, region_available_size: (region.available_size ?? 0) - resolved.size };
      return parts;
    },

    async execute(request, plan) {
      const expected = resolvedOf(plan.expected);
      const run = await runSteps(plan.steps, () => native.createNamespace(request.region, toNative(expected, request.size !== undefined)));
      const checks = new Checks();
      const inventory = await host.scan();
      const dev = run.value?.namespace;
      const found = dev === undefined ? undefined : findNamespace(inventory, dev);
      if (dev !== undefined) verifyNamespace(found?.namespace, dev, expected, checks);
      verifyFreeSpace(findRegion(inventory, request.region), request.region, plan.expected?.region_available_size, checks);
      return {
        steps: run.results, verification: checks.list,
        ...(found !== undefined ? { after: found.namespace } : {}),
        ...(run.error !== undefined ? { error: `creating a namespace in ${request.region} failed: ${run.error}; the scan after it is in the verification` } : {}),
      };
    },
  };
}

/** namespace-exists, and the namespace with its region when it does. */
function namespaceExists(inventory: Inventory, dev: string, checks: Checks): ReturnType<typeof findNamespace> {
  const found = findNamespace(inventory, dev);
  checks.add('namespace-exists', found !== undefined, found === undefined
    ? `${dev} does not exist on this host (or is an empty seed)`
    : `${dev}: ${found.namespace.mode}, ${bytesText(found.namespace.raw_size ?? found.namespace.size)} in ${found.region.dev}`);
  return found;
}

export function namespaceReconfigureHandler(host: DeviceHost, native: DeviceNative): DaxChangeHandler<ReconfigureRequest> {
  return {
    async plan(request) {
      const inventory = await host.scan();
      const checks = new Checks();
      const parts: DaxPlanParts = { kind: request.kind, request, steps: [], data_loss: [], checks: checks.list };
      const found = namespaceExists(inventory, request.namespace, checks);
      if (found === undefined) return parts;
      const { namespace: ns, region } = found;
      parts.before = ns;
      await inUseChecks(host, ns, checks);
      const current = ns.raw_size ?? ns.size;
      const alignments = await supportedAlignments(host, region, request.mode);
      const resolved = resolve(request, current, alignments);
      const sameParams = ns.mode === resolved.mode && current === resolved.size
        && (resolved.map === undefined || resolved.map === (ns.map ?? (ns.mode === 'fsdax' ? 'mem' : undefined)))
        && (resolved.align === undefined || resolved.align === ns.align)
        && (resolved.sector_size === undefined || resolved.sector_size === ns.sector_size)
        && (resolved.name === undefined || resolved.name === ns.name);
      checks.add('mode-differs', !sameParams, sameParams ? `${ns.dev} is already ${paramsText(resolved)}: nothing to change`
        : `${ns.dev}: ${ns.mode} → ${paramsText(resolved)}`);
      const hasLabels = await labelled(host, region);
      const needsLabels = resolved.size !== current || resolved.name !== undefined;
      checks.add('labels-writable', hasLabels || !needsLabels, hasLabels ? `${region.dev} has namespace labels`
        : needsLabels ? `${region.dev} has no namespace labels: ${ns.dev} can change mode but not its size or name; ${labelsAdvice(region.dev)}`
          : `${region.dev} has no namespace labels: ${ns.dev} keeps its size, only its mode changes (a claim on the whole namespace)`);
      const free = region.max_available_extent ?? 0;
      checks.add('region-free-space', resolved.size <= current + free, resolved.size <= current
        ? `${bytesText(resolved.size)} fits in ${ns.dev}'s current ${bytesText(current)}`
        : resolved.size <= current + free ? `growing by ${bytesText(resolved.size - current)}: ${region.dev} has ${bytesText(free)} free`
          : `${resolved.size} bytes is more than ${ns.dev}'s ${current} bytes plus ${region.dev}'s largest free extent (${free} bytes)`);
      const problems = paramProblems(request, resolved, region, alignments);
      checks.add('params-valid', problems.length === 0, problems.length === 0 ? paramsText(resolved) : problems.join('; '));
      parts.steps = numberSteps([...destroySteps(ns, hasLabels), ...setupSteps(ns.dev, resolved, hasLabels)]);
      parts.data_loss = dataLossOf(ns);
      parts.expected = { ...resolved, region_available_size: (region.available_size ?? 0) + current - resolved.size };
      return parts;
    },

    async execute(request, plan) {
      const expected = resolvedOf(plan.expected);
      const before = plan.before as Namespace;
      const sizeChanges = expected.size !== (before.raw_size ?? before.size);
      const run = await runStepsUnlessHeld(plan.steps, () => nodeHolders(host, before),
        () => native.reconfigureNamespace(request.namespace, toNative(expected, sizeChanges)));
      const checks = new Checks();
      const inventory = await host.scan();
      const dev = run.value?.namespace ?? request.namespace;
      const found = findNamespace(inventory, dev);
      verifyNamespace(found?.namespace, dev, expected, checks);
      const regionDev = regionOf(request.namespace);
      verifyFreeSpace(findRegion(inventory, regionDev), regionDev, plan.expected?.region_available_size, checks);
      return {
        steps: run.results, verification: checks.list,
        ...(found !== undefined ? { after: found.namespace } : {}),
        ...(run.error !== undefined ? { error: `reconfiguring ${request.namespace} failed: ${run.error}; the scan after it is in the verification` } : {}),
      };
    },
  };
}

export function namespaceDestroyHandler(host: DeviceHost, native: DeviceNative): DaxChangeHandler<DestroyRequest> {
  return {
    async plan(request) {
      const inventory = await host.scan();
      const checks = new Checks();
      const parts: DaxPlanParts = { kind: request.kind, request, steps: [], data_loss: [], checks: checks.list };
      const found = namespaceExists(inventory, request.namespace, checks);
      if (found === undefined) return parts;
      const { namespace: ns, region } = found;
      parts.before = ns;
      await inUseChecks(host, ns, checks);
      const hasLabels = await labelled(host, region);
      checks.add('labels-writable', hasLabels, hasLabels ? `${region.dev} has namespace labels`
        : `${region.dev} has no namespace labels: ${ns.dev} spans the region and cannot be deleted; ${labelsAdvice(region.dev)}`);
      parts.steps = numberSteps(destroySteps(ns, hasLabels));
      parts.data_loss = dataLossOf(ns);
      const raw = ns.raw_size ?? ns.size;
      parts.expected = { namespace: ns.dev, gone: true, region_available_size: (region.available_size ?? 0) + raw };
      return parts;
    },

    async execute(request, plan) {
      const run = await runStepsUnlessHeld(plan.steps, () => nodeHolders(host, plan.before as Namespace),
        () => native.destroyNamespace(request.namespace));
      const checks = new Checks();
      const inventory = await host.scan();
      const left = findNamespace(inventory, request.namespace);
      checks.add('namespace-gone', left === undefined, left === undefined
        ? `${request.namespace} is no longer in the scan (an empty seed at most)`
        : `${request.namespace} is still there: ${left.namespace.mode}, ${bytesText(left.namespace.size)}, ${left.namespace.state}`);
      const regionDev = regionOf(request.namespace);
      verifyFreeSpace(findRegion(inventory, regionDev), regionDev, plan.expected?.region_available_size, checks);
      return {
        steps: run.results, verification: checks.list,
        ...(left !== undefined ? { after: left.namespace } : {}),
        ...(run.error !== undefined ? { error: `destroying ${request.namespace} failed: ${run.error}; the scan after it is in the verification` } : {}),
      } satisfies DaxExecutionParts;
    },
  };
}
