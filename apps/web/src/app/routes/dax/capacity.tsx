import { CapacityPage } from '@/features/dax/components/capacity-page';

/** /capacity: the fleet's persistent memory by mode. */
export function CapacityRoute() {
  return <CapacityPage />;
}
