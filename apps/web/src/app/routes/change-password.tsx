import { useNavigate } from 'react-router';
import { Notice } from '@/components/ui/notice';
import { paths } from '@/config/paths';
import { useMe } from '@/features/auth/api/get-me';
import { ChangePasswordForm } from '@/features/auth/components/change-password-form';

export function ChangePasswordRoute() {
  const me = useMe();
  const navigate = useNavigate();
  const required = me.data?.must_change_password === true;
  return (
    <section className="narrow">
      <title>Change password · daxfleet</title>
      <h1>Change your password</h1>
      {required && (
        <Notice title="Choose your own password">
          <p>You logged in with a one-time password (printed when the hub created the first admin, or set for you by an admin). Choose your own before using daxfleet; until then the hub refuses every other request.</p>
        </Notice>
      )}
      <ChangePasswordForm onSuccess={() => void navigate(paths.fleet.getHref(), { replace: true })} />
    </section>
  );
}
