import { useState } from 'react';

/** Copies `text` to the clipboard and says whether that worked (clipboard access needs a secure context). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <>
      <button type="button" className="button" onClick={() => void copy()}>{label}</button>
      <span role="status" className="copy-status">
        {state === 'copied' && 'Copied'}
        {state === 'failed' && 'Copying failed: select the text and copy it by hand'}
      </span>
    </>
  );
}
