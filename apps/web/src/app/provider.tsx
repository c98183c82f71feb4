import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { meQueryKey } from '@/features/auth/api/get-me';
import { createQueryClient } from '@/lib/react-query';

/** App-wide providers. Tests pass their own client so each test starts with an empty cache. */
export function AppProvider({ children, queryClient }: { children: ReactNode; queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? createAppQueryClient());
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

/** A 401 or "change your password first" anywhere re-asks GET /auth/me; the session gate then redirects. */
export function createAppQueryClient(): QueryClient {
  const client: QueryClient = createQueryClient({
    onSessionLost: () => void client.invalidateQueries({ queryKey: meQueryKey }),
  });
  return client;
}
