/**
 * The form for a namespace or dax-device change: its parameters (ndctl's / daxctl's names and defaults), how long
 * the plan stays valid, and "Plan (dry run)", which asks the agent for a plan and opens the change page.
 */
import type { DaxChangeRequest, Inventory, NamespaceTargetMode } from '@daxfleet/shared';
import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Bytes } from '@/components/ui/bytes';
import { ErrorMessage } from '@/components/ui/error-message';
import { paths } from '@/config/paths';
import { useMe } from '@/features/auth/api/get-me';
import { hasRole } from '@/features/auth/utils/roles';
import { useCreateDaxChange } from '../api/dax-changes';
import { KIND_MEANINGS } from '../utils/describe-change';
import { listDaxDevices, listNamespaces, listRegions, regionFreeSpace } from '../utils/device-targets';
import { parseSize } from '../utils/parse-size';
import { DEFAULT_TTL_MINUTES, OperatorNote, SelectField, TextField, TtlField } from './change-form-fields';

export type DeviceChangeKind = Exclude<DaxChangeRequest['kind'], 'fs-dax-policy'>;
export const DEVICE_CHANGE_KINDS: readonly DeviceChangeKind[] = [
  'namespace-create', 'namespace-reconfigure', 'namespace-destroy', 'daxdev-reconfigure', 'daxdev-online', 'daxdev-offline',
];

const NAMESPACE_MODES: readonly NamespaceTargetMode[] = ['fsdax', 'devdax', 'sector', 'raw'];
const SECTOR_SIZES = [512, 520, 528, 4096, 4104, 4160, 4224] as const;

/** The form's heading, which is also its accessible name. */
export function deviceFormTitle(kind: DeviceChangeKind, target: string): string {
  switch (kind) {
    case 'namespace-create': return `Create a namespace in ${target}`;
    case 'namespace-reconfigure': return `Change the mode of ${target}`;
    case 'namespace-destroy': return `Destroy ${target}`;
    case 'daxdev-reconfigure': return `Change the mode of ${target}`;
    case 'daxdev-online': return `Online the memory of ${target}`;
    case 'daxdev-offline': return `Offline the memory of ${target}`;
  }
}

type NamespaceParams = { mode: NamespaceTargetMode; size: string; align: string; map: '' | 'dev' | 'mem'; sectorSize: string; name: string };

/** The namespace fields of a request, or an error sentence for the first bad one. */
function namespaceFields(params: NamespaceParams): { fields: Omit<Extract<DaxChangeRequest, { kind: 'namespace-create' }>, 'kind' | 'region'> } | { error: string } {
  const fields: Omit<Extract<DaxChangeRequest, { kind: 'namespace-create' }>, 'kind' | 'region'> = { mode: params.mode };
  if (params.size.trim() !== '') {
    const size = parseSize(params.size);
    if ('error' in size) return { error: `Size: ${size.error}` };
    fields.size = size.bytes;
  }
  if (params.align.trim() !== '') {
    const align = parseSize(params.align);
    if ('error' in align) return { error: `Align: ${align.error}` };
    fields.align = align.bytes;
  }
  if (params.map !== '') fields.map = params.map;
  if (params.sectorSize !== '') fields.sector_size = Number(params.sectorSize);
  if (params.name.trim() !== '') fields.name = params.name.trim();
  return { fields };
}

export function DeviceChangeForm({ hostId, inventory, kind, target, onCancel }: {
  hostId: string; inventory: Inventory; kind: DeviceChangeKind; target: string; onCancel: () => void;
}) {
  const me = useMe();
  const mayPlan = hasRole(me.data, 'operator');
  const navigate = useNavigate();
  const create = useCreateDaxChange(hostId);
  const ids = useId();
  const namespace = listNamespaces(inventory).find((candidate) => candidate.namespace.dev === target)?.namespace;
  const region = listRegions(inventory).find((candidate) => candidate.dev === target);
  const device = listDaxDevices(inventory).find((candidate) => candidate.device.chardev === target)?.device;
  const freeSpace = region === undefined ? undefined : regionFreeSpace(region);
  const currentMode = namespace?.mode;
  const [params, setParams] = useState<NamespaceParams>({
    mode: currentMode === 'fsdax' ? 'devdax' : 'fsdax', size: '', align: '', map: '', sectorSize: '', name: namespace?.name ?? '',
  });
  const [daxMode, setDaxMode] = useState<'system-ram' | 'devdax'>(device?.mode === 'system-ram' ? 'devdax' : 'system-ram');
  const [online, setOnline] = useState(true);
  const [movable, setMovable] = useState(true);
  const [ttlMinutes, setTtlMinutes] = useState(DEFAULT_TTL_MINUTES);
  const [formError, setFormError] = useState<string | undefined>(undefined);
  const title = deviceFormTitle(kind, target);
  const known = kind.startsWith('namespace-') ? (kind === 'namespace-create' ? region !== undefined : namespace !== undefined) : device !== undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(undefined);
    let request: DaxChangeRequest;
    switch (kind) {
      case 'namespace-create':
      case 'namespace-reconfigure': {
        const built = namespaceFields(params);
        if ('error' in built) return setFormError(built.error);
        request = kind === 'namespace-create' ? { kind, region: target, ...built.fields } : { kind, namespace: target, ...built.fields };
        break;
      }
      case 'namespace-destroy': request = { kind, namespace: target }; break;
      case 'daxdev-reconfigure': request = daxMode === 'system-ram' ? { kind, device: target, mode: daxMode, online, movable } : { kind, device: target, mode: daxMode }; break;
      case 'daxdev-online': request = { kind, device: target, movable }; break;
      case 'daxdev-offline': request = { kind, device: target }; break;
    }
    create.mutate({ request, ttl_seconds: ttlMinutes * 60 }, { onSuccess: (change) => void navigate(paths.daxChange.getHref(change.id)) });
  };
  const set = (patch: Partial<NamespaceParams>) => setParams((previous) => ({ ...previous, ...patch }));
  const namespaceForm = kind === 'namespace-create' || kind === 'namespace-reconfigure';
  const fsdaxOrDevdax = params.mode === 'fsdax' || params.mode === 'devdax';

  return (
    <form className="form panel dax-form" aria-labelledby={`${ids}-title`} onSubmit={submit}>
      <h3 id={`${ids}-title`}>{title}</h3>
      <p className="muted">{KIND_MEANINGS[kind]}</p>
      {!known && <p role="alert">{target} is not in this host&apos;s last scan: it may have changed. The agent will refuse a plan for it.</p>}
      {kind === 'namespace-create' && region !== undefined && (
        <p>Available in {region.dev}: {freeSpace === undefined ? 'unknown' : <Bytes value={freeSpace} />} (the default size: the largest free extent).</p>
      )}
      {kind === 'namespace-reconfigure' && namespace !== undefined && (
        <p className="dax-form__loses">Now {namespace.mode}, <Bytes value={namespace.size} />. Reconfiguring destroys everything on it.</p>
      )}
      {namespaceForm && (
        <>
          <SelectField label="Mode" value={params.mode} onChange={(value) => set({ mode: value as NamespaceTargetMode })}>
            {NAMESPACE_MODES.map((mode) => <option key={mode} value={mode}>{mode}</option>)}
          </SelectField>
          <TextField label="Size" value={params.size} onChange={(value) => set({ size: value })}
            placeholder={kind === 'namespace-create' ? 'default: the largest free extent' : 'default: the current size'} />
          {fsdaxOrDevdax && (
            <>
              <TextField label="Align" value={params.align} placeholder="default: 2M" onChange={(value) => set({ align: value })} />
              <SelectField label="Map" value={params.map} onChange={(value) => set({ map: value as NamespaceParams['map'] })}>
                <option value="">default (dev)</option>
                <option value="dev">dev: memmap in the namespace</option>
                <option value="mem">mem: memmap in system RAM</option>
              </SelectField>
            </>
          )}
          {params.mode !== 'devdax' && (
            <SelectField label="Sector size" value={params.sectorSize} onChange={(value) => set({ sectorSize: value })}>
              <option value="">default ({params.mode === 'sector' ? 4096 : 512})</option>
              {SECTOR_SIZES.filter((size) => params.mode === 'sector' || size === 512 || size === 4096)
                .map((size) => <option key={size} value={size}>{size}</option>)}
            </SelectField>
          )}
          <TextField label="Name" value={params.name} maxLength={63} onChange={(value) => set({ name: value })} />
        </>
      )}
      {kind === 'namespace-destroy' && namespace !== undefined && (
        <p className="dax-form__loses">Destroys {namespace.dev} ({namespace.mode}, <Bytes value={namespace.size} />) and everything on it.</p>
      )}
      {kind === 'daxdev-reconfigure' && (
        <>
          <SelectField label="Device mode" value={daxMode} onChange={(value) => setDaxMode(value as 'system-ram' | 'devdax')}>
            <option value="system-ram">system-ram (kmem: hot-plugged memory)</option>
            <option value="devdax">devdax</option>
          </SelectField>
          {daxMode === 'system-ram' && (
            <label><input type="checkbox" checked={online} onChange={(event) => setOnline(event.target.checked)} /> Online the memory</label>
          )}
        </>
      )}
      {((kind === 'daxdev-reconfigure' && daxMode === 'system-ram' && online) || kind === 'daxdev-online') && (
        <label><input type="checkbox" checked={movable} onChange={(event) => setMovable(event.target.checked)} /> Movable (ZONE_MOVABLE)</label>
      )}
      <TtlField minutes={ttlMinutes} onChange={setTtlMinutes} />
      {formError !== undefined && <p className="form__error" role="alert">{formError}</p>}
      {create.isError && <ErrorMessage title="The hub could not plan this change" error={create.error} />}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={create.isPending || !mayPlan} aria-busy={create.isPending}>Plan (dry run)</button>
        <button type="button" className="button" onClick={onCancel}>Cancel</button>
        {!mayPlan && <OperatorNote what="plan a DAX change" />}
        {mayPlan && create.isPending && <span role="status">Planning on the host…</span>}
      </div>
    </form>
  );
}
