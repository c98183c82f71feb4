import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiRequestError } from '@/lib/api-client';
import { ErrorMessage } from './error-message';

describe('ErrorMessage', () => {
  it("shows the hub's message, status, code and request id as an alert", () => {
    const error = new ApiRequestError({
      url: '/api/v1/hosts/x', status: 404, code: 'DAXFLEET_ERR_HOST_NOT_FOUND', reqId: 'req-3',
      message: 'No host with id "x" has reported to this hub.',
    });
    render(<ErrorMessage title="Could not load this host" error={error} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Could not load this host');
    expect(alert.textContent).toContain('No host with id "x" has reported to this hub.');
    expect(alert.textContent).toContain('HTTP 404 · DAXFLEET_ERR_HOST_NOT_FOUND · request req-3');
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('offers a retry that calls back', () => {
    let retries = 0;
    render(<ErrorMessage title="Could not load the fleet" error={new Error('boom')} onRetry={() => { retries += 1; }} />);
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(retries).toBe(1);
    expect(screen.getByRole('alert').textContent).toContain('boom');
  });
});
