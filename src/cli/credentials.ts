// Where the command line keeps the API it talks to and the token it talks with, as `argocd login`
// does: DEPLOYER_URL and DEPLOYER_TOKEN when set, else the file `deployer login` wrote, readable
// by its owner only.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Credentials {
  url: string;
  token: string;
}

export function credentialsFile(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'deployer', 'credentials.json');
}

/** The API and token to use, or undefined when there are none. */
export async function loadCredentials(env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  if (env.DEPLOYER_URL && env.DEPLOYER_TOKEN) return { url: env.DEPLOYER_URL, token: env.DEPLOYER_TOKEN };
  let text: string;
  try {
    text = await readFile(credentialsFile(env), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Partial<Credentials> | null = null;
  try {
    parsed = JSON.parse(text) as Partial<Credentials> | null;
  } catch {
    // reported below, with what to do
  }
  if (typeof parsed?.url !== 'string' || typeof parsed.token !== 'string') {
    throw new Error(`${credentialsFile(env)} holds no url and token: run \`deployer login --url URL --token TOKEN\` again`);
  }
  return { url: parsed.url, token: parsed.token };
}

/** Writes the file (0600, in a 0700 directory) so that no other user can read the token. */
export async function saveCredentials(env: NodeJS.ProcessEnv, credentials: Credentials): Promise<string> {
  const file = credentialsFile(env);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // an existing file keeps its old mode otherwise
  return file;
}

/** The commands that reach environments or administer them were asked for without a login. */
export class NotLoggedInError extends Error {
  constructor() {
    super(
      'not logged in: run `deployer login --url URL` with the token in DEPLOYER_TOKEN (or set DEPLOYER_URL and DEPLOYER_TOKEN), ' +
        'so the request goes through the API, its checks and scopes, and is audited under the token\'s name. ' +
        'An operator holding the Temporal and database credentials may set DEPLOYER_DIRECT=1 to bypass the API (no scopes, no audit)',
    );
    this.name = 'NotLoggedInError';
  }
}

/**
 * The API's credentials, which every request and administration command goes through; undefined
 * only when DEPLOYER_DIRECT=1 asks for the break-glass path straight to Temporal and the database.
 * Neither: NotLoggedInError.
 */
export async function frontDoor(env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const credentials = await loadCredentials(env);
  if (credentials) return credentials;
  if (env.DEPLOYER_DIRECT === '1' || env.DEPLOYER_DIRECT === 'true') return undefined;
  throw new NotLoggedInError();
}
