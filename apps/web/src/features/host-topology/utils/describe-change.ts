import type { InventoryChange } from '@daxfleet/shared';
import { formatChangeValue } from '@/lib/format';

/** "namespace0.1 mode: raw → fsdax", "added namespace1.2", "removed dax1.0". */
export function describeChange(change: InventoryChange): string {
  switch (change.kind) {
    case 'added':
      return `added ${change.object}`;
    case 'removed':
      return `removed ${change.object}`;
    case 'changed': {
      const field = change.field ?? 'value';
      return `${change.object} ${field}: ${formatChangeValue(change.from, field)} → ${formatChangeValue(change.to, field)}`;
    }
  }
}
