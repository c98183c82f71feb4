/**
 * The five recovery actions as the UI offers them: a title, what each does and what it loses (after the kernel's
 * Documentation/filesystems/dax.rst, "Handling Media Errors"), and whether it applies to a range and a file.
 * The agent decides for real (its preconditions); this only keeps actions that cannot apply from being chosen,
 * and says why.
 */
import type { NamespaceMode, RecoveryAction } from '@daxfleet/shared';

export type ActionInfo = {
  action: RecoveryAction;
  /** the radio's accessible name (stable: the e2e walk uses it) */
  title: string;
  /** what it does, one line */
  does: string;
  /** what it loses, one line */
  loses: string;
  /** needs a file the range hits */
  fileAction: boolean;
};

export const RECOVERY_ACTIONS: readonly ActionInfo[] = [
  {
    action: 'punch-hole',
    title: 'Punch a hole',
    does: 'Deallocates the file\'s blocks on the bad range (fallocate PUNCH_HOLE, whole 512 B sectors); the file keeps its size.',
    loses: 'The file bytes on the bad range read as zeros afterwards.',
    fileAction: true,
  },
  {
    action: 'truncate',
    title: 'Truncate',
    does: 'Cuts the file at a new size below the first bad byte, freeing every block from there on.',
    loses: 'Everything from the new size to the end of the file.',
    fileAction: true,
  },
  {
    action: 'delete-restore',
    title: 'Delete and restore from a backup',
    does: 'Copies a backup next to the file, checks its sha256, then renames it over the damaged file; the freed bad blocks are zeroed through the driver when the filesystem allocates them again.',
    loses: 'The file\'s current content: changes made since the backup.',
    fileAction: true,
  },
  {
    action: 'clear-errors',
    title: 'Clear errors',
    does: 'Writes zeros to the bad sectors through the pmem driver (raw, or fsdax not mounted), or sends the bus\'s clear-error command (devdax); the platform clears the poison where it can.',
    loses: 'The data in the bad sectors of the device (it is unreadable already).',
    fileAction: false,
  },
  {
    action: 'scrub-recheck',
    title: 'Scrub and re-check',
    does: 'Runs an address range scrub on the range\'s bus and reads the bad-block lists again: tells whether the range is still bad.',
    loses: 'Nothing: no data is written.',
    fileAction: false,
  },
];

export function actionInfo(action: RecoveryAction): ActionInfo {
  return RECOVERY_ACTIONS.find((info) => info.action === action) ?? RECOVERY_ACTIONS[0]!;
}

export type RangeContext = {
  /** the namespace mode under the range, when the ledger knows it */
  mode?: NamespaceMode | undefined;
  /** the file the operator started from (a file the range hits) */
  path?: string | undefined;
};

/** Why `action` cannot apply here, or undefined when it can (the agent's preconditions still decide). */
export function whyNotApplicable(info: ActionInfo, context: RangeContext): string | undefined {
  if (info.fileAction) {
    if (context.path === undefined || context.path === '') return 'needs a file the range hits: start from a file in the ledger\'s "Files" details';
    if (context.mode === 'devdax') return 'the range is on a devdax namespace: no filesystem over it';
    return undefined;
  }
  if (info.action === 'clear-errors') {
    if (context.mode === 'sector') return 'BTT (sector mode) remaps sectors: rewrite the data through the filesystem instead';
    return undefined;
  }
  return undefined;
}
