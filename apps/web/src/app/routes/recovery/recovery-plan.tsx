import { useParams } from 'react-router';
import { RecoveryPlanPage } from '@/features/recovery/components/plan-page';

/** /recovery/:planId: one plan, from review to verified result. */
export function RecoveryPlanRoute() {
  const { planId = '' } = useParams();
  return <RecoveryPlanPage planId={planId} />;
}
