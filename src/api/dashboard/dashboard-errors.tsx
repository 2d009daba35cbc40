// How a dashboard request that failed is answered: a page saying what was refused and why, in
// the API's words (the same ApiError messages), or a bare "internal error" with the details in the
// server log. Never a stack trace to the browser.
import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Principal } from '../../auth/find-token.js';
import type { AppEnv } from '../app-env.js';
import type { ApiLogger } from '../deps.js';
import { ApiError } from '../errors.js';
import { ErrorView } from './error-view.js';
import { page } from './respond.js';

const TITLES: Partial<Record<number, string>> = { 400: 'Bad request', 403: 'Not allowed', 404: 'Not found', 413: 'Too large' };

export function handleDashboardErrors(logger: ApiLogger): ErrorHandler<AppEnv> {
  return (error, c) => {
    const principal = c.get('principal') as Principal | undefined;
    if (error instanceof ApiError) {
      // For the audit row of a refused button (middleware/audit.ts), as the API's handler sets it.
      c.set('apiError', error.payload);
      return page(c, <ErrorView title={TITLES[error.status] ?? 'Refused'} message={error.message} principal={principal} />, error.status);
    }
    if (error instanceof HTTPException && error.status === 403) {
      // Hono's CSRF guard: a form posted from another site's page.
      return page(c, <ErrorView title="Not allowed" message="This form was not sent from the dashboard's own pages, so it was refused." principal={principal} />, 403);
    }
    logger.error({ err: error, method: c.req.method, path: c.req.path }, 'unexpected error handling a dashboard request');
    return page(c, <ErrorView title="Internal error" message="Internal error; the server log has the details." principal={principal} />, 500);
  };
}
