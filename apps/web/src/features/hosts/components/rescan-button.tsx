import { ErrorMessage } from '@/components/ui/error-message';
import { useRescanHost } from '../api/rescan-host';

/** "Rescan now" for operators: asks the host's agent (through the hub) to scan and report at once. */
export function RescanButton({ hostId }: { hostId: string }) {
  const rescan = useRescanHost(hostId);
  return (
    <div className="host-actions">
      <button type="button" className="button" disabled={rescan.isPending} onClick={() => rescan.mutate()}>
        {rescan.isPending ? 'Asking the agent…' : 'Rescan now'}
      </button>
      <span role="status" className="host-actions__status">
        {rescan.isSuccess && 'Rescan accepted: the agent is scanning; its report updates this page.'}
      </span>
      {rescan.isError && <ErrorMessage title="The rescan was not started" error={rescan.error} />}
    </div>
  );
}
