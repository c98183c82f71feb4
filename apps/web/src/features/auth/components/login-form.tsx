import type { Principal } from '@daxfleet/shared';
import { useState, type FormEvent } from 'react';
import { ApiRequestError, describeError } from '@/lib/api-client';
import { useLogin } from '../api/login';
import { formatWait } from '../utils/roles';

/** What went wrong with a login, in words an operator can act on. */
export function describeLoginError(error: unknown): string {
  if (error instanceof ApiRequestError) {
    if (error.status === 401) return 'Wrong username or password. Check both and try again.';
    if (error.status === 429) {
      return error.retryAfterSeconds === undefined
        ? 'Too many failed logins. Wait a while before trying again.'
        : `Too many failed logins. Try again in ${formatWait(error.retryAfterSeconds)}.`;
    }
    if (error.status === 400) return `The hub refused the form: ${error.message}`;
  }
  return describeError(error);
}

/** Username and password; the hub answers with a session cookie the browser keeps (httpOnly). */
export function LoginForm({ onSuccess }: { onSuccess: (principal: Principal) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const loginMutation = useLogin({ onSuccess });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    loginMutation.mutate({ username: username.trim(), password });
  };
  return (
    <form className="form login-form" onSubmit={submit} aria-label="Log in">
      <label className="form__field">
        <span>Username</span>
        <input name="username" autoComplete="username" required value={username} onChange={(event) => setUsername(event.target.value)} />
      </label>
      <label className="form__field">
        <span>Password</span>
        <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
      </label>
      {loginMutation.isError && (
        <p className="form__error" role="alert">{describeLoginError(loginMutation.error)}</p>
      )}
      <button type="submit" className="button button--primary" disabled={loginMutation.isPending}>
        {loginMutation.isPending ? 'Logging in…' : 'Log in'}
      </button>
    </form>
  );
}
