import { useParams } from 'react-router';
import { DaxChangePage } from '@/features/dax/components/change-page';

/** /dax/changes/:changeId: one change, from review to verified result. */
export function DaxChangeRoute() {
  const { changeId = '' } = useParams();
  return <DaxChangePage changeId={changeId} />;
}
