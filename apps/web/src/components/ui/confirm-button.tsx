import { useState } from 'react';

/** A destructive action asked twice: the first click shows "Confirm"/"Cancel" in place. */
export function ConfirmButton({ label, confirmLabel, question, onConfirm, disabled = false }: {
  label: string; confirmLabel: string; question: string; onConfirm: () => void; disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return <button type="button" className="button button--danger" disabled={disabled} onClick={() => setAsking(true)}>{label}</button>;
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm__question">{question}</span>
      <button type="button" className="button button--danger" onClick={() => { setAsking(false); onConfirm(); }}>{confirmLabel}</button>
      <button type="button" className="button" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}
