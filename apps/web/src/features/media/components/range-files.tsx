import type { BadRange, LedgerEntry, RangeFiles, RangeHit } from '@daxfleet/shared';
import { Badge } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { RelativeTime } from '@/components/ui/relative-time';
import { formatInteger } from '@/lib/format';
import { RecoverLink } from './recover-link';

/**
 * What an open bad range hits on the filesystem over it (issue 6), as the host's agent last mapped it
 * (LedgerEntry.files): the summary in the ledger row ("hits 2 files") and the details the row expands to: the
 * mount point, fstype, dax mode and mapping method, and one line per piece of the range (a file's bytes, a
 * metadata structure, free space).
 */

/** distinct files among the hits (by inode, else path) */
export function filesHit(files: RangeFiles): number {
  const keys = new Set<string>();
  for (const hit of files.hits) {
    if (hit.kind === 'file') keys.add(hit.inode !== undefined ? `i${hit.inode}` : `p${hit.path ?? ''}`);
  }
  return keys.size;
}

/** "hits 2 files, metadata" / "hits metadata" / "free space" / "mapping failed": the ledger row's summary */
export function rangeFilesSummary(files: RangeFiles): string {
  const count = filesHit(files);
  const metadata = files.hits.some((hit) => hit.kind === 'metadata');
  const unknown = files.hits.some((hit) => hit.kind === 'unknown');
  if (count > 0) return `hits ${formatInteger(count)} ${count === 1 ? 'file' : 'files'}${metadata ? ', metadata' : ''}`;
  if (metadata) return 'hits metadata';
  if (unknown) return 'unknown owner';
  if (files.hits.length > 0) return 'free space';
  return files.error !== undefined ? 'mapping failed' : 'nothing mapped';
}

/** Why an open range has no files: no block device a filesystem could be on, or none mounted over it. */
export function noFilesReason(range: BadRange): string {
  if (range.blockdev === undefined) {
    return range.chardev !== undefined ? 'not under a filesystem (device DAX)' : 'not under a mounted filesystem';
  }
  return 'not under a mounted filesystem';
}

function HitOwner({ hit }: { hit: RangeHit }) {
  switch (hit.kind) {
    case 'file':
      return hit.path !== undefined
        ? <code>{hit.path}</code>
        : <span>inode {hit.inode ?? '?'} <span className="muted">(no path: unlinked or not found)</span></span>;
    case 'metadata':
      return <span><Badge tone="warning">metadata</Badge> {hit.metadata ?? 'filesystem metadata'}</span>;
    case 'free':
      return <span className="muted">free space</span>;
    default:
      return <span className="muted">unknown owner</span>;
  }
}

function hitNotes(hit: RangeHit): string[] {
  const notes: string[] = [];
  if (hit.unwritten === true) notes.push('unwritten (reads return zeros)');
  if (hit.kind === 'file' && hit.file_offset !== undefined && hit.file_size !== undefined && hit.file_offset >= hit.file_size) {
    notes.push('past the end of the file (preallocated)');
  }
  return notes;
}

/** A file hit by several pieces of the range gets one "Recover…", on its first piece. */
function firstHitOf(files: RangeFiles, hit: RangeHit): boolean {
  return files.hits.find((other) => other.kind === 'file' && other.path === hit.path) === hit;
}

/** The details of one range's mapping: where, how, and every piece it hits. */
export function RangeFilesPanel({ entry, files }: { entry: LedgerEntry; files: RangeFiles }) {
  const name = `${entry.range.region}+${entry.range.region_offset}`;
  const onlyFree = files.hits.length > 0 && files.hits.every((hit) => hit.kind === 'free');
  const dataLost = files.hits.some((hit) => hit.kind === 'file' && hit.unwritten !== true);
  return (
    <div className="range-files" role="region" aria-label={`Files hit by ${name}`}>
      <p className="range-files__where">
        <code>{files.blockdev}</code> mounted on <code>{files.mountpoint}</code> ({files.fstype}
        {files.dax !== undefined ? `, dax=${files.dax}` : ', dax mode not shown'}); mapped with {files.method === 'getfsmap'
          ? 'GETFSMAP (the filesystem\'s reverse map)' : 'FIEMAP (a walk of the mount\'s files)'}{' '}
        <RelativeTime iso={files.mapped_at} />
      </p>
      {files.error !== undefined && <p className="range-files__error" role="alert">{files.hits.length > 0 ? 'Partial mapping: ' : ''}{files.error}</p>}
      {onlyFree && <p className="range-files__note">Maps to free space: no file data lost.</p>}
      {!onlyFree && files.hits.length > 0 && dataLost && (
        <p className="range-files__note range-files__note--lost">The file bytes below are unreadable (read() fails with EIO, a DAX mapping raises SIGBUS) until they are rewritten.</p>
      )}
      {files.hits.length > 0 && (
        <table className="table table--compact range-files__table" aria-label={`Hits of ${name}`}>
          <thead>
            <tr>
              <th scope="col">File or owner</th>
              <th scope="col">File offset</th>
              <th scope="col">Bytes</th>
              <th scope="col">Device offset</th>
              <th scope="col">Notes</th>
              <th scope="col"><span className="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {files.hits.map((hit, index) => (
              <tr key={`${hit.device_offset}-${index}`}>
                <td><HitOwner hit={hit} /></td>
                <td>{hit.file_offset === undefined ? <span className="muted">-</span> : formatInteger(hit.file_offset)}</td>
                <td><Bytes value={hit.length} /></td>
                <td>{formatInteger(hit.device_offset)}</td>
                <td>{hitNotes(hit).join('; ') || <span className="muted">-</span>}</td>
                <td>{hit.kind === 'file' && hit.path !== undefined && firstHitOf(files, hit) && <RecoverLink entry={entry} path={hit.path} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The ledger row's cell: the summary as a disclosure button (open ranges with a mapping), else why there is none. */
export function RangeFilesCell({ entry, expanded, onToggle, detailsId }: {
  entry: LedgerEntry; expanded: boolean; onToggle: () => void; detailsId: string;
}) {
  if (entry.state !== 'open') return <span className="muted">-</span>;
  if (entry.files === undefined) {
    return (
      <span className="muted" title="the agent maps ext4, xfs and ext2 mounted on the range's pmem block device">
        {noFilesReason(entry.range)}
      </span>
    );
  }
  const summary = rangeFilesSummary(entry.files);
  const tone = filesHit(entry.files) > 0 || summary === 'hits metadata' ? 'danger' : summary === 'free space' ? 'good' : 'muted';
  return (
    <button type="button" className={`button range-files__toggle range-files__toggle--${tone}`} aria-expanded={expanded}
      aria-controls={detailsId} onClick={onToggle}>
      {summary}
    </button>
  );
}
