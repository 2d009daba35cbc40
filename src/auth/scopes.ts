// What an API token may do. `admin` implies every other scope; `deploy:promote` does not imply
// `deploy:read`, so a pipeline token can be limited to pushing releases.
export const SCOPES = ['deploy:read', 'deploy:promote', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function grantsScope(granted: readonly string[], required: Scope): boolean {
  return granted.includes('admin') || granted.includes(required);
}
