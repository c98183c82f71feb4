import { RECOVERY_PLAN_TTL_SECONDS, type LedgerEntry, type RangeRef, type RecoveryAction, type RecoveryRequest } from '@daxfleet/shared';
import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ErrorMessage } from '@/components/ui/error-message';
import { useMe } from '@/features/auth/api/get-me';
import { hasRole } from '@/features/auth/utils/roles';
import { paths } from '@/config/paths';
import { formatInteger } from '@/lib/format';
import { useCreateRecoveryPlan } from '../api/recovery-plans';
import { RECOVERY_ACTIONS, whyNotApplicable, type RangeContext } from '../utils/actions';

const DAX_BLOCK_BYTES = 4096;
const TTL_CHOICES_MINUTES = [5, 10, 30, 60] as const;

/** The files (by path) the ledger says this range hits. */
function filesOf(entry: LedgerEntry | null | undefined): string[] {
  const out = new Set<string>();
  for (const hit of entry?.files?.hits ?? []) if (hit.kind === 'file' && hit.path !== undefined) out.add(hit.path);
  return [...out];
}

/**
 * The most truncate can keep of `path`: its first bad byte's file offset rounded down to 4 KiB, the block size DAX
 * filesystems have (the page size); the agent rounds down to the filesystem's own block size, which the dry run shows.
 */
export function defaultTruncateSize(entry: LedgerEntry | null | undefined, path: string): number | undefined {
  const offsets = (entry?.files?.hits ?? [])
    .filter((hit) => hit.kind === 'file' && hit.path === path && hit.file_offset !== undefined && hit.unwritten !== true)
    .map((hit) => hit.file_offset ?? 0);
  if (offsets.length === 0) return undefined;
  return Math.floor(Math.min(...offsets) / DAX_BLOCK_BYTES) * DAX_BLOCK_BYTES;
}

/**
 * Step 2 of a recovery: choose the action (only the ones that can apply are enabled, each disabled one says why),
 * its inputs, how long the plan stays executable, and ask the agent for a dry run ("Plan (dry run)").
 */
export function RecoveryRequestForm({ hostId, range, initialPath, entry }: {
  hostId: string; range: RangeRef; initialPath?: string | undefined; entry: LedgerEntry | null | undefined;
}) {
  const me = useMe();
  const mayPlan = hasRole(me.data, 'operator');
  const navigate = useNavigate();
  const create = useCreateRecoveryPlan(hostId);
  const [path, setPath] = useState(initialPath ?? '');
  const context: RangeContext = { mode: entry?.range.namespace_mode, path: path.trim() };
  const firstApplicable = RECOVERY_ACTIONS.find((info) => whyNotApplicable(info, context) === undefined)?.action ?? 'scrub-recheck';
  const [chosen, setChosen] = useState<RecoveryAction | undefined>(undefined);
  const action = chosen !== undefined && whyNotApplicable(RECOVERY_ACTIONS.find((info) => info.action === chosen)!, context) === undefined
    ? chosen : firstApplicable;
  const [backupPath, setBackupPath] = useState('');
  const [size, setSize] = useState('');
  const [ttlMinutes, setTtlMinutes] = useState<number>(RECOVERY_PLAN_TTL_SECONDS / 60);
  const [formError, setFormError] = useState<string | undefined>(undefined);
  const ids = useId();
  const files = filesOf(entry);
  const fileAction = RECOVERY_ACTIONS.find((info) => info.action === action)?.fileAction === true;
  const truncateDefault = defaultTruncateSize(entry, path.trim());

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(undefined);
    const request: RecoveryRequest = { action, range, ttl_seconds: ttlMinutes * 60 };
    if (fileAction) {
      if (!path.trim().startsWith('/')) return setFormError('The file must be an absolute path on the host.');
      request.path = path.trim();
    }
    if (action === 'delete-restore') {
      if (!backupPath.trim().startsWith('/')) return setFormError('Name the backup to restore from: an absolute path on the host.');
      request.backup_path = backupPath.trim();
    }
    if (action === 'truncate' && size.trim() !== '') {
      const bytes = Number(size.trim());
      if (!Number.isSafeInteger(bytes) || bytes < 0) return setFormError('The new size must be a whole number of bytes.');
      request.size = bytes;
    }
    create.mutate(request, { onSuccess: (plan) => void navigate(paths.recovery.plan.getHref(plan.id)) });
  };

  return (
    <form className="form recovery-form" aria-label="Choose a recovery action" onSubmit={submit}>
      <label className="form__field">
        <span>File</span>
        <input value={path} list={`${ids}-files`} placeholder="a file the range hits (file actions only)" maxLength={1024}
          onChange={(event) => setPath(event.target.value)} />
        <datalist id={`${ids}-files`}>{files.map((file) => <option key={file} value={file} />)}</datalist>
      </label>
      <fieldset className="recovery-form__actions">
        <legend>Action</legend>
        {RECOVERY_ACTIONS.map((info) => {
          const why = whyNotApplicable(info, context);
          const describedBy = `${ids}-${info.action}`;
          return (
            <div key={info.action} className={`recovery-form__action${why !== undefined ? ' recovery-form__action--disabled' : ''}`}>
              <label>
                <input type="radio" name="action" value={info.action} checked={action === info.action} disabled={why !== undefined}
                  aria-describedby={describedBy} onChange={() => setChosen(info.action)} />
                {' '}<strong>{info.title}</strong>
              </label>
              <p id={describedBy} className="recovery-form__explain">
                {info.does} <span className="recovery-form__loses">Loses: {info.loses}</span>
                {why !== undefined && <span className="recovery-form__why"> Not available: {why}.</span>}
              </p>
            </div>
          );
        })}
      </fieldset>
      {action === 'delete-restore' && (
        <div className="form__field">
          <label htmlFor={`${ids}-backup`}>Backup path</label>
          <input id={`${ids}-backup`} value={backupPath} required maxLength={1024} placeholder="/backup/orders.tbl"
            aria-describedby={`${ids}-backup-hint`} onChange={(event) => setBackupPath(event.target.value)} />
          <small id={`${ids}-backup-hint`} className="muted">A regular file on the host, readable by the agent, not on the bad range.</small>
        </div>
      )}
      {action === 'truncate' && (
        <div className="form__field">
          <label htmlFor={`${ids}-size`}>New size (bytes)</label>
          <input id={`${ids}-size`} value={size} inputMode="numeric" placeholder={truncateDefault === undefined ? 'default' : String(truncateDefault)}
            aria-describedby={`${ids}-size-hint`} onChange={(event) => setSize(event.target.value)} />
          <small id={`${ids}-size-hint`} className="muted">
            Optional. Default and largest allowed: the start of the filesystem block holding the first bad byte
            {truncateDefault !== undefined ? ` (here ${formatInteger(truncateDefault)} bytes with 4 KiB blocks; the dry run shows the exact size)` : ''}.
          </small>
        </div>
      )}
      <label className="form__field">
        <span>Plan valid for</span>
        <select value={ttlMinutes} onChange={(event) => setTtlMinutes(Number(event.target.value))}>
          {TTL_CHOICES_MINUTES.map((minutes) => <option key={minutes} value={minutes}>{minutes} minutes</option>)}
        </select>
      </label>
      {formError !== undefined && <p className="form__error" role="alert">{formError}</p>}
      {create.isError && <ErrorMessage title="The hub could not plan this recovery" error={create.error} />}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={create.isPending || !mayPlan} aria-busy={create.isPending}>Plan (dry run)</button>
        {!mayPlan && (
          <p className="recovery-role-note" role="note">
            An operator must plan a recovery: the agent reads the metadata of the files it is given and names the processes that hold them.
          </p>
        )}
        {mayPlan && create.isPending
          ? <span role="status">Planning on the host…</span>
          : <span className="muted">The agent checks everything and lists the exact steps; nothing on the host changes yet.</span>}
      </div>
    </form>
  );
}
