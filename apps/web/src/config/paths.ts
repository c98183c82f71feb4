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
  /** the host's DAX page; `start`: open the change form for this kind on this target (namespaceX.Y, regionN, daxX.Y) */
  hostDax: {
    path: '/hosts/:hostId/dax',
    getHref: (hostId: string, start?: { kind: string; target: string }) => {
      const base = `/hosts/${encodeURIComponent(hostId)}/dax`;
      return start === undefined ? base : `${base}?${new URLSearchParams({ change: start.kind, target: start.target }).toString()}`;
    },
  },
  /** one DAX change: review, execute, verified result */
  daxChange: {
    path: '/dax/changes/:changeId',
    getHref: (changeId: string) => `/dax/changes/${encodeURIComponent(changeId)}`,
  },
  /** the fleet's persistent-memory capacity by mode */
  capacity: {
    path: '/capacity',
    getHref: () => '/capacity',
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
  recovery: {
    /** recent recovery plans; `host`, `status`: the list's filters */
    list: {
      path: '/recovery',
      getHref: (filter: { host?: string | undefined; status?: string | undefined } = {}) => {
        const search = new URLSearchParams();
        if (filter.host !== undefined) search.set('host', filter.host);
        if (filter.status !== undefined) search.set('status', filter.status);
        const qs = search.toString();
        return qs === '' ? '/recovery' : `/recovery?${qs}`;
      },
    },
    /** choose an action for a bad range (and a file it hits) */
    new: {
      path: '/recovery/new',
      getHref: (start: { host: string; region: string; offset: number; length: number; path?: string | undefined }) => {
        const search = new URLSearchParams({ host: start.host, region: start.region, offset: String(start.offset), length: String(start.length) });
        if (start.path !== undefined) search.set('path', start.path);
        return `/recovery/new?${search.toString()}`;
      },
    },
    /** one plan: review, execute, follow, result */
    plan: {
      path: '/recovery/:planId',
      getHref: (planId: string) => `/recovery/${encodeURIComponent(planId)}`,
    },
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
      /** the audit log under filters (AuditQuerySchema's names), e.g. a recovery plan's entries (target plan:<id>) */
      getHref: (filter: { action?: string; target?: string; since?: string; until?: string } = {}) => {
        const search = new URLSearchParams();
        for (const [key, value] of Object.entries(filter)) if (value !== undefined) search.set(key, value);
        const qs = search.toString();
        return qs === '' ? '/admin/audit' : `/admin/audit?${qs}`;
      },
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
