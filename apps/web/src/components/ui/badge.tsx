import type { ReactNode } from 'react';

export type BadgeTone = 'neutral' | 'good' | 'info' | 'warning' | 'danger' | 'muted'
  | 'mode-fsdax' | 'mode-devdax' | 'mode-system-ram' | 'mode-sector' | 'mode-raw' | 'mode-unknown';

export function Badge({ tone = 'neutral', children, title }: { tone?: BadgeTone; children: ReactNode; title?: string }) {
  return <span className={`badge badge--${tone}`} title={title}>{children}</span>;
}
