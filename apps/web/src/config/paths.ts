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
  login: {
    path: '/login',
    /** `next`: where to go after logging in (a path of this UI) */
    getHref: (next?: string) => (next === undefined || next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`),
  },
  media: {
    path: '/media',
    /** `host`: the media errors of one host */
    getHref: (host?: string) => (host === undefined ? '/media' : `/media?host=${encodeURIComponent(host)}`),
  },
  changePassword: {
    path: '/change-password',
    getHref: () => '/change-password',
  },
  admin: {
    root: {
      path: '/admin',
      getHref: () => '/admin/users',
    },
    users: {
      path: '/admin/users',
      getHref: () => '/admin/users',
    },
    tokens: {
      path: '/admin/tokens',
      getHref: () => '/admin/tokens',
    },
    agents: {
      path: '/admin/agents',
      getHref: () => '/admin/agents',
    },
    audit: {
      path: '/admin/audit',
      getHref: () => '/admin/audit',
    },
    webhooks: {
      path: '/admin/webhooks',
      getHref: () => '/admin/webhooks',
    },
  },
} as const;

/**
 * The `next` parameter of the login page, when it is a path of this UI; anything else (another origin,
 * "//evil.example", the login page itself) falls back to the fleet, so a crafted link cannot send a user away.
 */
export function safeNextPath(next: string | null): string {
  if (next === null || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return paths.fleet.getHref();
  if (next === paths.login.path || next.startsWith(`${paths.login.path}?`)) return paths.fleet.getHref();
  return next;
}
