/**
 * The simulated hosts of the e2e fleet: each is a real agent process reading a sysfs tree recorded
 * from a real kernel in the lab (lab/fixtures/<fixture>/sys), beside ndctl's JSON of the same moment.
 */
export type SimulatedHost = { fixture: string; hostname: string; hostId: string };

export const SIMULATED_HOSTS: readonly SimulatedHost[] = [
  { fixture: 'two-dimm-all-modes', hostname: 'sim-all-modes', hostId: 'sim-all-modes' },
  { fixture: 'four-dimm-mixed', hostname: 'sim-four-dimm', hostId: 'sim-four-dimm' },
  { fixture: 'one-dimm-label-less', hostname: 'sim-label-less', hostId: 'sim-label-less' },
];

/** The environment variable through which global setup tells the tests where the hub listens. */
export const HUB_URL_ENV = 'DAXFLEET_E2E_HUB_URL';

export function hubUrl(): string {
  const url = process.env[HUB_URL_ENV];
  if (url === undefined || url === '') throw new Error(`${HUB_URL_ENV} is not set: run the tests through playwright.config.ts (global setup starts the hub)`);
  return url;
}
