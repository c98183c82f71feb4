/** Where the REST API lives. The hub serves the UI and the API from one origin, so the default is relative. */
export const env = {
  apiBaseUrl: (import.meta.env.VITE_DAXFLEET_API_URL as string | undefined) ?? '/api/v1',
} as const;
