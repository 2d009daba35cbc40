// `deployer notify …`: notification subscriptions and their delivery log, through the API only
// (scope admin). A subscription's secret comes from standard input, never an argument, which `ps`
// and the shell's history would show.
import { HttpAdminClient, type NotificationDeliveryBody, type NotificationSubscriptionBody } from '../client/http-admin-client.js';
import { expandEventName, NOTIFICATION_EVENT_TYPES, subscriptionProblems, urlOrigin, type SubscriptionProblem } from '../domain/notifications.js';
import { integer, parse, parseWithId, required, UsageError } from './args.js';
import { frontDoor } from './credentials.js';
import type { CliIo } from './deploy-commands.js';

const OPTION_OF: Record<SubscriptionProblem['field'], string> = {
  project: '--project',
  environment: '--env',
  url: '--url',
  format: '--format',
  events: '--events',
  secret: '--secret-stdin',
};

async function api(io: CliIo): Promise<HttpAdminClient> {
  const credentials = await frontDoor(io.env);
  // DEPLOYER_DIRECT=1 reaches the database, but subscriptions are kept with their audit rows.
  if (!credentials) throw new UsageError('notify goes through the API only: run `deployer login` (or set DEPLOYER_URL and DEPLOYER_TOKEN)');
  return new HttpAdminClient(credentials);
}

/** All of standard input, for a secret piped in (`openssl rand -hex 32 | tee secret | deployer notify add … --secret-stdin`). */
async function readStandardInput(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--secret-stdin reads the secret from a pipe: `deployer notify add … --secret-stdin < secret-file`');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function describeSubscription(subscription: NotificationSubscriptionBody): string {
  const where = subscription.environment === null ? `${subscription.project} (every environment)` : `${subscription.project}/${subscription.environment}`;
  const events = subscription.events.map((event) => event.replace(/^dev\.deployer\./, '')).join(', ');
  // The URL's origin only: its path may be the receiver's credential, and terminals end up in CI logs.
  return `#${subscription.id} ${where} → ${urlOrigin(subscription.url)} (${subscription.format}${subscription.secret_set ? ', signed' : ''}): ${events}`;
}

async function notifyAdd(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, {
    project: { type: 'string' }, env: { type: 'string' }, url: { type: 'string' }, format: { type: 'string' }, events: { type: 'string' },
    'secret-stdin': { type: 'boolean' },
  });
  const events = required(values, 'events').split(',').map((name) => name.trim()).filter((name) => name !== '').map(expandEventName);
  let secret: string | undefined;
  if (values['secret-stdin']) secret = (await (io.readStdin ?? readStandardInput)()).replace(/\r?\n$/, '');
  const request = { project: required(values, 'project'), environment: values.env, url: required(values, 'url'), format: required(values, 'format'), events, secret };
  // The API's own rules, so a mistake is named by its option before anything is sent.
  const problems = subscriptionProblems(request);
  if (problems.length > 0) throw new UsageError(problems.map((problem) => `${OPTION_OF[problem.field]} ${problem.message.slice(problem.field.length + 2)}`).join('; '));
  const created = await (await api(io)).subscribe({
    project: request.project,
    ...(request.environment === undefined ? {} : { environment: request.environment }),
    url: request.url,
    format: request.format,
    events,
    ...(secret === undefined ? {} : { secret }),
  });
  io.out(`subscribed ${describeSubscription(created)}`);
  return 0;
}

async function notifyList(args: string[], io: CliIo): Promise<number> {
  const values = parse(args, { project: { type: 'string' }, json: { type: 'boolean' } });
  const subscriptions = await (await api(io)).notificationSubscriptions(values.project);
  if (values.json) io.out(JSON.stringify(subscriptions, null, 2));
  else if (subscriptions.length === 0) io.out('no subscriptions');
  else for (const subscription of subscriptions) io.out(describeSubscription(subscription));
  return 0;
}

async function notifyRemove(args: string[], io: CliIo): Promise<number> {
  const { id } = parseWithId(args, {}, 'subscription id (see `deployer notify list`)');
  await (await api(io)).unsubscribe(id);
  io.out(`removed subscription #${id} and its delivery log`);
  return 0;
}

function deliveryLine(delivery: NotificationDeliveryBody): string {
  const answer = delivery.last_http_status === null ? '---' : String(delivery.last_http_status);
  const attempts = `${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}`;
  const error = delivery.last_error ? `  ${delivery.last_error}` : '';
  return `${delivery.updated_at}  ${delivery.status.padEnd(9)} ${answer}  ${attempts.padEnd(11)} ${delivery.event_type.replace(/^dev\.deployer\./, '').padEnd(20)} ${delivery.event_id}${error}`;
}

async function notifyDeliveries(args: string[], io: CliIo): Promise<number> {
  const { values, id } = parseWithId(args, { limit: { type: 'string' }, json: { type: 'boolean' } }, 'subscription id (see `deployer notify list`)');
  const limit = integer(values, 'limit');
  if (limit !== undefined && (limit < 1 || limit > 100)) throw new UsageError('--limit must be 1-100');
  const deliveries = await (await api(io)).notificationDeliveries(id, limit);
  if (values.json) io.out(JSON.stringify(deliveries, null, 2));
  else if (deliveries.length === 0) io.out(`no deliveries for subscription #${id} yet`);
  else for (const delivery of deliveries) io.out(deliveryLine(delivery));
  return 0;
}

export const notifyCommands = {
  'notify add': {
    run: notifyAdd,
    usage: `notify add --project P [--env E] --url URL --format cloudevents|slack --events TYPE[,TYPE…] [--secret-stdin]   (TYPE: ${NOTIFICATION_EVENT_TYPES.map((type) => type.replace(/^dev\.deployer\./, '')).join(', ')}, or "*" for all)`,
  },
  'notify list': { run: notifyList, usage: 'notify list [--project P] [--json]' },
  'notify remove': { run: notifyRemove, usage: 'notify remove ID' },
  'notify deliveries': { run: notifyDeliveries, usage: 'notify deliveries ID [--limit N] [--json]' },
};
