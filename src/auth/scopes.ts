// What an API token may do. `admin` implies every other scope; `deploy:promote` does not imply
// `deploy:read`, so a pipeline token can be limited to pushing releases. `deploy:approve` lets a
// token approve or reject a deploy or rollback that waits at an environment's approval gate; it is
// apart from `deploy:promote` so that those who ask for a release are not, by their token alone,
// those who let it through.
export const SCOPES = ['deploy:read', 'deploy:promote', 'deploy:approve', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function grantsScope(granted: readonly string[], required: Scope): boolean {
  return granted.includes('admin') || granted.includes(required);
}
