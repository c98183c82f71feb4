/** Every route of the UI: the pattern the router matches and the href builder links use. */
export const paths = {
  fleet: {
    path: '/',
    getHref: () => '/',
  },
  host: {
    path: '/hosts/:hostId',
    getHref: (hostId: string) => `/hosts/${encodeURIComponent(hostId)}`,
  },
} as const;
