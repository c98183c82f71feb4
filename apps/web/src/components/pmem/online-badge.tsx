import { Badge } from '@/components/ui/badge';

export function OnlineBadge({ online }: { online: boolean }) {
  return online
    ? <Badge tone="good" title="reported within its last three scan intervals">online</Badge>
    : <Badge tone="danger" title="no report for more than three scan intervals">offline</Badge>;
}
