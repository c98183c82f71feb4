import type { DaxFilesystem } from '@daxfleet/shared';
import { DAX_RULES, daxModeText } from '../utils/fs-dax-mode';

const yesNo = (value: boolean | undefined) => (value === undefined ? 'unknown' : value ? 'yes' : 'no');

/** The host's mounted DAX-capable filesystems, how DAX is given on each, and a button to browse it. */
export function FilesystemTable({ filesystems, onBrowse }: { filesystems: readonly DaxFilesystem[] | undefined; onBrowse: (path: string) => void }) {
  return (
    <section aria-labelledby="dax-filesystems-heading">
      <h2 id="dax-filesystems-heading">Filesystems</h2>
      <p className="muted dax-rules">{DAX_RULES}</p>
      {filesystems === undefined && <p className="muted">This host&apos;s agent did not report its mounts (an older agent, or a recorded tree).</p>}
      {filesystems !== undefined && filesystems.length === 0 && <p className="muted">No ext2, ext4, xfs, virtiofs or erofs filesystem is mounted on this host.</p>}
      {filesystems !== undefined && filesystems.length > 0 && (
        <table className="table table--compact" aria-label="DAX filesystems">
          <thead>
            <tr>
              <th scope="col">Mountpoint</th><th scope="col">Type</th><th scope="col">Source</th><th scope="col">DAX mode</th>
              <th scope="col">Device supports DAX</th><th scope="col">Per-inode flags honoured</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {filesystems.map((fs) => (
              <tr key={`${fs.dev}:${fs.mountpoint}`}>
                <th scope="row"><code>{fs.mountpoint}</code>{fs.read_only && <span className="muted"> (read-only)</span>}</th>
                <td>{fs.fstype}</td>
                <td><code>{fs.source}</code>{fs.namespace !== undefined && <span className="muted"> ({fs.namespace})</span>}</td>
                <td>{daxModeText(fs)}</td>
                <td>{yesNo(fs.device_dax)}</td>
                <td>{fs.per_inode ? 'yes' : 'no'}</td>
                <td><button type="button" className="button" aria-label={`Browse ${fs.mountpoint}`} onClick={() => onBrowse(fs.mountpoint)}>Browse</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
