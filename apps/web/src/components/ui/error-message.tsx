import { ApiRequestError, describeError } from '@/lib/api-client';

/** A failed load, in words, with the hub's error code and request id when it sent them. */
export function ErrorMessage({ title, error, onRetry }: { title: string; error: unknown; onRetry?: () => void }) {
  const details: string[] = [];
  if (error instanceof ApiRequestError) {
    if (error.status !== undefined) details.push(`HTTP ${error.status}`);
    if (error.code !== undefined) details.push(error.code);
    if (error.reqId !== undefined) details.push(`request ${error.reqId}`);
  }
  return (
    <div className="error-message" role="alert">
      <p className="error-message__title">{title}</p>
      <p>{describeError(error)}</p>
      {details.length > 0 && <p className="error-message__details">{details.join(' · ')}</p>}
      {onRetry !== undefined && (
        <button type="button" className="button" onClick={onRetry}>Try again</button>
      )}
    </div>
  );
}
