import { useParams } from 'react-router';
import { HostDaxPage } from '@/features/dax/components/host-dax-page';

/** /hosts/:hostId/dax: the host's filesystems, files, namespaces and dax devices, and their changes. */
export function HostDaxRoute() {
  const { hostId = '' } = useParams();
  return <HostDaxPage hostId={hostId} />;
}
