import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { useApiTokens } from '@/features/api-tokens/api/tokens';
import { CreateTokenForm } from '@/features/api-tokens/components/create-token-form';
import { TokenTable } from '@/features/api-tokens/components/token-table';

export function AdminTokensRoute() {
  const tokens = useApiTokens();
  return (
    <>
      <title>API tokens · daxfleet</title>
      <h2>API tokens</h2>
      <p className="muted">For scripts and orchestration: sent as <code>Authorization: Bearer dxf_tok_…</code>; a token acts with its scope.</p>
      <CreateTokenForm />
      {tokens.isPending && <Loading label="Loading API tokens" />}
      {tokens.isError && <ErrorMessage title="Could not load the API tokens" error={tokens.error} onRetry={() => void tokens.refetch()} />}
      {tokens.data !== undefined && <TokenTable tokens={tokens.data.tokens} />}
    </>
  );
}
