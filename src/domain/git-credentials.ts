// The credentials an ops repository's git remote asks for: write-only, like every secret. What a
// caller may give, and what reads may show of them.

/** HTTPS: a user name and a token (or password). SSH: a private key, and the hosts it may trust. */
export type GitCredentials =
  | { kind: 'https'; username: string; token: string }
  | { kind: 'ssh'; privateKey: string; knownHosts?: string };

/** What reads show: the kind and a fingerprint of the whole, never any part of it. */
export interface GitCredentialsSummary {
  kind: GitCredentials['kind'];
  fingerprint: string;
}

/** The parts of credentials that must never be shown, for redaction. */
export function credentialSecrets(credentials: GitCredentials | undefined): string[] {
  if (!credentials) return [];
  return credentials.kind === 'https' ? [credentials.token] : [credentials.privateKey];
}

/** One canonical text of the credentials, to fingerprint: equal credentials, equal fingerprints. */
export function credentialsText(credentials: GitCredentials): string {
  return credentials.kind === 'https'
    ? JSON.stringify(['https', credentials.username, credentials.token])
    : JSON.stringify(['ssh', credentials.privateKey, credentials.knownHosts ?? '']);
}
