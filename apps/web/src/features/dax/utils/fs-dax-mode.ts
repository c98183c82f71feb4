/** How a filesystem's dax mount mode is given and what it means for per-inode flags (dax.rst, "Summary"). */
import type { DaxFilesystem } from '@daxfleet/shared';

/** "dax=inode (default)", "dax=always", "dax (legacy, = always)", "never (ext2 without dax)". */
export function daxModeText(fs: Pick<DaxFilesystem, 'dax' | 'dax_option' | 'fstype'>): string {
  switch (fs.dax_option) {
    case 'dax': return 'always (legacy -o dax)';
    case 'default': return fs.dax === 'never' ? `never (${fs.fstype} without dax)` : `${fs.dax} (default)`;
    default: return fs.dax_option;
  }
}

/** The rules in one line, shown above the filesystems. */
export const DAX_RULES = 'A directory\'s flag is inherited by files and directories created in it; existing ones keep theirs. '
  + 'dax=always and dax=never override the flags; under dax=inode a changed flag takes effect when the file\'s inode is evicted (closed everywhere).';
