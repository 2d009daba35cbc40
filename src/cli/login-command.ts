// `deployer login --url URL --token TOKEN`: checks the token against the API (who it is, which
// scopes) and stores both for the commands that go through the API.
import { HttpDeployerClient } from '../client/http-deployer-client.js';
import { parse, UsageError } from './args.js';
import { saveCredentials } from './credentials.js';
import type { CliIo } from './deploy-commands.js';

export async function loginCommand(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { url: { type: 'string' }, token: { type: 'string' } });
  const url = values.url ?? io.env.DEPLOYER_URL;
  // A token on the command line lands in shell history; DEPLOYER_TOKEN keeps it out.
  const token = values.token ?? io.env.DEPLOYER_TOKEN;
  if (!url) throw new UsageError('--url is required (or DEPLOYER_URL): the deployer API, e.g. https://deployer.example');
  if (!token) throw new UsageError('--token is required (or DEPLOYER_TOKEN): an API token from `deployer token create`');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UsageError(`--url must be http(s)://, not ${parsed.protocol}`);
  const identity = await new HttpDeployerClient({ url: parsed.origin, token }).whoami();
  const file = await saveCredentials(io.env, { url: parsed.origin, token });
  io.out(`logged in to ${parsed.origin} as ${identity.name} (${identity.scopes.join(', ')}${identity.project ? `, project ${identity.project}` : ''}); credentials in ${file}`);
  return 0;
}
