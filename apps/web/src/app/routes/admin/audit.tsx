import { AuditLog } from '@/features/audit/components/audit-log';

export function AdminAuditRoute() {
  return (
    <>
      <title>Audit · daxfleet</title>
      <h2>Audit log</h2>
      <AuditLog />
    </>
  );
}
