import { useEffect, useRef, type ReactNode } from 'react';
import { CopyButton } from './copy-button';

/**
 * A secret the hub shows exactly once (API token, join token): the value with a copy button, a warning that
 * it cannot be shown again, and whatever else the caller adds (a command that uses it). Closing forgets it.
 */
export function SecretDialog({ title, secret, children, onClose }: {
  title: string; secret: string; children?: ReactNode; onClose: () => void;
}) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="secret-dialog-title">
        <h2 id="secret-dialog-title">{title}</h2>
        <p className="dialog__warning" role="note">
          Copy it now: this is the only time daxfleet shows it. The hub keeps only a hash; if it is lost, create a new one.
        </p>
        <div className="secret">
          <code className="secret__value" aria-label="Secret">{secret}</code>
          <CopyButton text={secret} />
        </div>
        {children}
        <div className="dialog__actions">
          <button ref={closeRef} type="button" className="button button--primary" onClick={onClose}>I have stored it — close</button>
        </div>
      </div>
    </div>
  );
}
