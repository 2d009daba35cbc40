// Hands an ops repository's credentials to git without putting them on a command line (which every
// user of the machine can read in `ps`), in a URL (which git prints in its messages), or in a file
// anyone but the worker can read. HTTPS: a credential helper, configured through git's environment,
// that prints the user name and token from environment variables of the git process alone. SSH:
// the key in a 0600 file of a 0700 temporary directory, named by GIT_SSH_COMMAND and removed when
// git is done. Whatever git says afterwards is redacted of the token or key.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialSecrets, type GitCredentials } from '../domain/git-credentials.js';
import { redactError } from '../domain/secrets.js';

// git runs a helper starting with "!" as a shell command with the action ("get", "store", "erase")
// appended; only "get" answers. The values are expanded by that shell from its environment.
const HELPER = '!f() { test "$1" = get && printf \'username=%s\\npassword=%s\\n\' "$DEPLOYER_GIT_USERNAME" "$DEPLOYER_GIT_TOKEN"; }; f';

/** Single-quoted for the shell that runs GIT_SSH_COMMAND. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `work` with the environment variables that give git `credentials` (none without), then
 * removes what was written for it; a failure of `work` is redacted of the secret parts.
 */
export async function withGitCredentials<T>(credentials: GitCredentials | undefined, work: (env: Record<string, string>) => Promise<T>): Promise<T> {
  if (!credentials) return work({});
  const secrets = credentialSecrets(credentials);
  if (credentials.kind === 'https') {
    // After any configuration the worker's operator passes the same way (GIT_CONFIG_COUNT); the
    // empty helper first clears every helper configured before it, so only ours answers.
    const first = Number(process.env.GIT_CONFIG_COUNT ?? 0) || 0;
    const env = {
      GIT_CONFIG_COUNT: String(first + 2),
      [`GIT_CONFIG_KEY_${first}`]: 'credential.helper',
      [`GIT_CONFIG_VALUE_${first}`]: '',
      [`GIT_CONFIG_KEY_${first + 1}`]: 'credential.helper',
      [`GIT_CONFIG_VALUE_${first + 1}`]: HELPER,
      DEPLOYER_GIT_USERNAME: credentials.username,
      DEPLOYER_GIT_TOKEN: credentials.token,
    };
    return work(env).catch((error: unknown) => {
      throw redactError(error, secrets);
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'deployer-git-'));
  try {
    const keyFile = join(dir, 'key');
    // ssh refuses a key file others may read, and one without a final newline.
    await writeFile(keyFile, credentials.privateKey.endsWith('\n') ? credentials.privateKey : `${credentials.privateKey}\n`, { mode: 0o600 });
    const options = ['-i', shellQuote(keyFile), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'];
    if (credentials.knownHosts !== undefined) {
      const knownHosts = join(dir, 'known_hosts');
      await writeFile(knownHosts, credentials.knownHosts, { mode: 0o600 });
      options.push('-o', `UserKnownHostsFile=${shellQuote(knownHosts)}`, '-o', 'StrictHostKeyChecking=yes');
    }
    return await work({ GIT_SSH_COMMAND: `ssh ${options.join(' ')}` });
  } catch (error) {
    throw redactError(error, secrets);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
