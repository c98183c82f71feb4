import { QueryClient } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { AppProvider, createAppQueryClient } from '@/app/provider';
import { routes } from '@/app/router';

/** The whole UI (router, session gate, layout) at `path`, with an empty cache. */
export function renderApp(path: string): { router: ReturnType<typeof createMemoryRouter>; queryClient: QueryClient } {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const queryClient = createAppQueryClient();
  render(<AppProvider queryClient={queryClient}><RouterProvider router={router} /></AppProvider>);
  return { router, queryClient };
}
