import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { paths, safeNextPath } from '@/config/paths';
import { useMe } from '@/features/auth/api/get-me';
import { LoginForm } from '@/features/auth/components/login-form';

export function LoginRoute() {
  const [searchParams] = useSearchParams();
  const navigate = useNavigate();
  const me = useMe();
  const next = safeNextPath(searchParams.get('next'));
  // isSuccess, not data: after a lost session the cache still holds the old principal beside the 401
  if (me.isSuccess) return <Navigate to={me.data.must_change_password === true ? paths.changePassword.getHref() : next} replace />;
  return (
    <div className="login-page">
      <title>Log in · daxfleet</title>
      <div className="login-card">
        <p className="login-card__brand">daxfleet</p>
        <h1>Log in</h1>
        <p className="muted">Persistent memory across the fleet. Ask an admin for an account.</p>
        <LoginForm onSuccess={(principal) => void navigate(principal.must_change_password === true ? paths.changePassword.getHref() : next, { replace: true })} />
      </div>
    </div>
  );
}
