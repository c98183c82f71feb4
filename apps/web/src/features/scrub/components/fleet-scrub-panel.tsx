import '@/features/media/media.css';
import type { ScrubHostStateName, ScrubJob } from '@daxfleet/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { ErrorMessage } from '@/components/ui/error-message';
import { RelativeTime } from '@/components/ui/relative-time';
import { hasRole } from '@/features/auth/utils/roles';
import { useMe } from '@/features/auth/api/get-me';
import { useCancelScrubJob, useScrubJobs, useStartFleetScrub } from '../api/scrubs';

const HOST_TONES: Record<ScrubHostStateName, BadgeTone> = {
  waiting: 'muted', starting: 'info', running: 'info', completed: 'good', failed: 'danger', skipped: 'warning', cancelled: 'muted',
};

function JobProgress({ job }: { job: ScrubJob }) {
  const cancel = useCancelScrubJob();
  const me = useMe();
  const done = job.counts.completed + job.counts.failed + job.counts.skipped + job.counts.cancelled;
  return (
    <div className="scrub-job" aria-label={`Scrub job ${job.id}`} role="group">
      <p>
        <Badge tone={job.status === 'running' ? 'info' : job.status === 'completed' ? 'good' : job.status === 'failed' ? 'danger' : 'muted'}>{job.status}</Badge>{' '}
        started <RelativeTime iso={job.created_at} /> by {job.created_by}: {done} of {job.counts.total} hosts done
        {job.counts.failed > 0 && <>, <span className="text-warning">{job.counts.failed} failed</span></>}
        {' '}<progress max={Math.max(1, job.counts.total)} value={done} aria-label="Hosts done" />
        {job.status === 'running' && hasRole(me.data, 'operator') && (
          <> <ConfirmButton label="Cancel" confirmLabel="Yes, cancel" question="Cancel the hosts not started yet? A scrub already running finishes." disabled={cancel.isPending} onConfirm={() => cancel.mutate(job.id)} /></>
        )}
      </p>
      {cancel.isError && <ErrorMessage title="The job was not cancelled" error={cancel.error} />}
      <ol className="scrub-job__hosts" aria-label="Hosts, in scrub order">
        {job.hosts.map((host) => (
          <li key={host.host_id}>
            <Badge tone={HOST_TONES[host.state]}>{host.state}</Badge> {host.hostname ?? host.host_id}
            {host.buses.length > 0 && <span className="muted"> ({host.buses.map((bus) => `${bus.bus}${bus.count_after !== undefined ? ` ${bus.count_before ?? '?'}→${bus.count_after}` : ''}`).join(', ')})</span>}
            {host.error !== undefined && <span className="text-warning"> {host.error}</span>}
          </li>
        ))}
      </ol>
    </div>
  );
}

/**
 * "Scrub fleet" for operators: a job the hub walks host by host (one scrub at a time, so the fleet never loses
 * bandwidth everywhere at once), and the progress of the latest job for everyone.
 */
export function FleetScrubPanel() {
  const jobs = useScrubJobs();
  const start = useStartFleetScrub();
  const me = useMe();
  const latest = jobs.data?.jobs[0];
  const running = latest?.status === 'running';
  return (
    <section aria-labelledby="fleet-scrub-heading" className="panel">
      <h2 id="fleet-scrub-heading">Fleet scrub</h2>
      {hasRole(me.data, 'operator') && (
        <div className="host-actions">
          <button type="button" className="button" disabled={start.isPending || running} onClick={() => start.mutate({})}>
            {start.isPending ? 'Creating the job…' : 'Scrub fleet'}
          </button>
          <span className="muted">every online host with a bus that can scrub, one host at a time</span>
        </div>
      )}
      {start.isError && <ErrorMessage title="The fleet scrub was not started" error={start.error} />}
      {jobs.isError && <ErrorMessage title="Could not load the scrub jobs" error={jobs.error} onRetry={() => void jobs.refetch()} />}
      {jobs.isSuccess && latest === undefined && <p className="muted">No fleet scrub has run.</p>}
      {latest !== undefined && <JobProgress job={latest} />}
    </section>
  );
}
