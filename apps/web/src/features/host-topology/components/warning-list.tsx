import type { ScanWarning } from '@daxfleet/shared';

/** Warnings the scan attached to one object (unreadable or malformed sysfs attributes). */
export function WarningList({ warnings }: { warnings: readonly ScanWarning[] | undefined }) {
  if (warnings === undefined || warnings.length === 0) return null;
  return (
    <ul className="warning-list" aria-label="Scan warnings">
      {warnings.map((warning) => (
        <li key={`${warning.path}:${warning.message}`}>
          <code>{warning.path}</code>: {warning.message}
        </li>
      ))}
    </ul>
  );
}
