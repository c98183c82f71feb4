import { useState, type FormEvent } from 'react';
import { ApiRequestError, describeError } from '@/lib/api-client';
import { useChangePassword } from '../api/change-password';

const MIN_LENGTH = 12;

/** Replace the current (or one-time) password; the hub checks the current one. */
export function ChangePasswordForm({ onSuccess }: { onSuccess: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const mutation = useChangePassword({ onSuccess });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (next.length < MIN_LENGTH) return setProblem(`The new password needs at least ${MIN_LENGTH} characters.`);
    if (next !== repeat) return setProblem('The two new passwords differ. Type the same password twice.');
    setProblem(undefined);
    mutation.mutate({ current_password: current, new_password: next });
  };
  const serverProblem = mutation.isError
    ? (mutation.error instanceof ApiRequestError && mutation.error.status === 401
      ? 'The current password is wrong.'
      : describeError(mutation.error))
    : undefined;
  const shown = problem ?? serverProblem;
  return (
    <form className="form" onSubmit={submit} aria-label="Change password">
      <label className="form__field">
        <span>Current password</span>
        <input type="password" autoComplete="current-password" required value={current} onChange={(event) => setCurrent(event.target.value)} />
      </label>
      <label className="form__field">
        <span>New password (at least {MIN_LENGTH} characters)</span>
        <input type="password" autoComplete="new-password" required value={next} onChange={(event) => setNext(event.target.value)} />
      </label>
      <label className="form__field">
        <span>New password again</span>
        <input type="password" autoComplete="new-password" required value={repeat} onChange={(event) => setRepeat(event.target.value)} />
      </label>
      {shown !== undefined && <p className="form__error" role="alert">{shown}</p>}
      <button type="submit" className="button button--primary" disabled={mutation.isPending}>
        {mutation.isPending ? 'Saving…' : 'Change password'}
      </button>
    </form>
  );
}
