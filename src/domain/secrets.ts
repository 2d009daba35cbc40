// Write-only secrets: what a secret's name and value may be, what a write of secrets asks for, and
// how text that may hold a secret's value (an error, a summary) is cleaned before it is kept or shown.
// Plain rules; sealing and storage are the db layer's.

/** A secret's name is a template identifier: `secrets.NAME` must reach it without quoting. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const SECRET_NAME_RULE = 'must be a template identifier: a letter or "_", then letters, digits or "_" (at most 63)';
/** Enough for a certificate chain or a key; a larger secret belongs in a secret store. */
export const MAX_SECRET_BYTES = 16 * 1024;
export const MAX_SECRETS_PER_ENVIRONMENT = 100;

/** Secrets to write: a value sets the secret, null deletes it, an absent name leaves it as it is. */
export type SecretChanges = Record<string, string | null>;

/** What reads show of a stored secret. */
export interface SecretFingerprint {
  fingerprint: string;
}

/** Why `name` cannot name a secret, or undefined. */
export function secretNameProblem(name: string): string | undefined {
  return SECRET_NAME.test(name) ? undefined : SECRET_NAME_RULE;
}

/** Why `value` cannot be a secret's value, or undefined. Never quotes the value. */
export function secretValueProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty (null deletes the secret)';
  if (utf8(value).length > MAX_SECRET_BYTES) return `must be at most ${MAX_SECRET_BYTES} bytes`;
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  return undefined;
}

/**
 * What a log line, audit row or response may say about secret changes: each name with what became
 * of it, never the value.
 */
export function describeSecretChanges(changes: SecretChanges, fingerprints: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(changes).map(([name, value]) => [name, value === null ? 'deleted' : fingerprints[name] ? `set (${fingerprints[name]})` : 'set']),
  );
}

export const REDACTED = '[secret]';

/**
 * `text` with every secret value in it replaced by `[secret]`: the value as written, as JSON would
 * escape it and in base64 (a Secret's `data`), longest first so a value containing another is
 * replaced whole. Errors from the render, the apply or git may quote what they were given; this is
 * what keeps a secret out of history rows, Temporal failures and logs.
 */
export function redactSecrets(text: string, values: readonly string[]): string {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length === 0) continue;
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
    forms.add(base64(value));
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 8) forms.add(line);
  }
  let redacted = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (form.length > 0) redacted = redacted.split(form).join(REDACTED);
  }
  return redacted;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function base64(text: string): string {
  let binary = '';
  for (const byte of utf8(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The same error with every secret value taken out of its message, stack, details and causes,
 * changed in place so that its class (what retry policies and callers test) stays as it is.
 */
export function redactError<E>(error: E, values: readonly string[]): E {
  if (values.length === 0) return error;
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const target = current as Error & { details?: unknown };
    const clean = (text: string) => redactSecrets(text, values);
    setField(target, 'message', clean(target.message));
    if (typeof target.stack === 'string') setField(target, 'stack', clean(target.stack));
    if (Array.isArray(target.details)) setField(target, 'details', redactValue(target.details, values));
    current = target.cause;
  }
  return error;
}

/**
 * `value` with every string in it (keys too) redacted, walked rather than written out as JSON and
 * read back: a secret such as `:` or `"` would break the JSON text.
 */
export function redactValue(value: unknown, values: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value, values);
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, values, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [redactSecrets(key, values), redactValue(item, values, depth + 1)]));
}

/** Writes a property, readonly ones included: they are readonly to callers, not to the error itself. */
function setField(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: Object.prototype.propertyIsEnumerable.call(target, key) });
}
