// One call of the deployer's HTTP API with a token: what the HTTP clients (deploys, and the
// administration of environments, ops repos and policies) share.

export interface ApiCredentials {
  /** the API's base URL, e.g. https://deployer.example */
  url: string;
  /** an API token */
  token: string;
}

/** The API refused a call: its HTTP status and the error body's code, message and details. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ApiRequestError';
  }
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/**
 * Sends `body` (JSON) to `path`. `requestId` goes as the Idempotency-Key: the same key makes a
 * retried call harmless. A refusal throws ApiRequestError with the API's own words.
 */
export async function callApi(credentials: ApiCredentials, method: string, path: string, body?: Record<string, unknown>, requestId?: string): Promise<ApiAnswer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${credentials.token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (requestId !== undefined) headers['Idempotency-Key'] = requestId;
  const response = await fetch(new URL(path, credentials.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed = text === '' ? undefined : (JSON.parse(text) as { error?: { code: string; message: string; details?: unknown } });
  if (!response.ok) {
    const error = parsed?.error;
    throw new ApiRequestError(response.status, error?.code ?? 'http_error', error?.message ?? (text.slice(0, 200) || response.statusText), error?.details);
  }
  return { status: response.status, body: parsed };
}
