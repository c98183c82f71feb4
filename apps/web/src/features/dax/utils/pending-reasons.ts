/** Why a file's effective DAX state differs from its flag, in the operator's words (after dax.rst). */
import type { FsDaxPendingReason } from '@daxfleet/shared';

export const PENDING_REASON_TEXT: Readonly<Record<FsDaxPendingReason, string>> = {
  'not-evicted': 'not evicted yet: the file is still open, mapped or cached; the flag takes effect once every process closed it and the kernel evicted the inode',
  'mount-never': 'the filesystem is mounted dax=never: the flag is ignored',
  'mount-always': 'the filesystem is mounted dax=always: every regular file is DAX whatever its flag',
  'device-no-dax': 'the device under the filesystem has no DAX support: nothing on it is ever DAX',
  'virtiofs-server': 'virtiofs: the server decides per file, the flag is only a hint',
  'file-excluded': 'the filesystem excludes this file from DAX (journalled data, verity, encryption or inline data)',
};

export function pendingReasonText(reason: FsDaxPendingReason | undefined): string {
  return reason === undefined ? 'flag and effective state differ' : PENDING_REASON_TEXT[reason];
}
