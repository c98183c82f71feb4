import { Link, useSearchParams } from 'react-router';
import type { RangeRef } from '@daxfleet/shared';
import { ErrorMessage } from '@/components/ui/error-message';
import { paths } from '@/config/paths';
import { NewRecoveryPage } from '@/features/recovery/components/new-recovery-page';

/** The range a recovery starts from, from /recovery/new?host=&region=&offset=&length=&path=; undefined when malformed. */
export function parseRecoveryStart(params: URLSearchParams): { host: string; range: RangeRef; path?: string } | undefined {
  const host = params.get('host');
  const region = params.get('region');
  const offset = Number(params.get('offset'));
  const length = Number(params.get('length'));
  if (host === null || host === '' || region === null || !/^region[0-9]{1,6}$/.test(region)) return undefined;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1 || params.get('offset') === '') return undefined;
  const path = params.get('path');
  return { host, range: { region, region_offset: offset, length }, ...(path === null || path === '' ? {} : { path }) };
}

export function RecoveryNewRoute() {
  const [searchParams] = useSearchParams();
  const start = parseRecoveryStart(searchParams);
  if (start === undefined) {
    return (
      <>
        <title>Recover a bad range · daxfleet</title>
        <h1>Recover a bad range</h1>
        <ErrorMessage title="No bad range chosen" error={new Error('This page needs host, region, offset and length: start from "Recover…" on a bad range.')} />
        <p><Link to={paths.media.getHref()}>Media errors</Link></p>
      </>
    );
  }
  return <NewRecoveryPage hostId={start.host} range={start.range} path={start.path} />;
}
