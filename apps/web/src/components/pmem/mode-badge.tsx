import { Badge, type BadgeTone } from '@/components/ui/badge';

export type PmemMode = 'raw' | 'sector' | 'fsdax' | 'devdax' | 'system-ram' | 'unknown';

const MODE_TONE: Record<PmemMode, BadgeTone> = {
  fsdax: 'mode-fsdax',
  devdax: 'mode-devdax',
  'system-ram': 'mode-system-ram',
  sector: 'mode-sector',
  raw: 'mode-raw',
  unknown: 'mode-unknown',
};

const MODE_MEANING: Record<PmemMode, string> = {
  fsdax: 'filesystem-DAX: a block device whose filesystem can map files directly',
  devdax: 'device-DAX: a character device mapped directly by applications',
  'system-ram': 'device-DAX onlined as system memory (kmem)',
  sector: 'BTT: a block device with atomic sector updates',
  raw: 'raw: a plain block device without DAX',
  unknown: 'mode the kernel reported but daxfleet did not recognise',
};

/** A namespace or dax-device mode, as ndctl names it. */
export function ModeBadge({ mode }: { mode: PmemMode }) {
  return <Badge tone={MODE_TONE[mode]} title={MODE_MEANING[mode]}>{mode}</Badge>;
}
