// From a commit in the ops repository to the environments reconciling it. With the fleet deployed
// and idling: commits the deployer has to find by itself (whatever polls or times its passes),
// then commits announced by a push webhook (`POST /api/hooks/git/{repo}` on the API server, signed
// with a secret the run sets on the ops repo through the admin API; skipped with a note when the
// route answers 404). Each commit gives every environment's ConfigMap a new value; an
// environment's pass is its drift history row for that commit: started_at is when the pass
// started, finished_at when the change was applied and recorded.
// Usage: `npx tsx bench/git.ts [--envs 1000] [--code-dir DIR]`. Target (issue 13): webhook →
// started ≤ 2 s.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createApiToken } from '../src/auth/tokens.js';
import { deployFleet } from './fleet/deploy-fleet.js';
import { manifestPath } from './fleet/ops-repo.js';
import { withFleet, type Fleet } from './fleet/fleet.js';
import { assertAllHealthy, isMainModule, parseBenchArgs, positiveInt } from './fleet/options.js';
import { ms, report, summarize } from './fleet/stats.js';

const usage = `usage: npx tsx bench/git.ts [fleet options] [--commits C] [--jitter-s J] [--poll-timeout-s P] [--webhook-timeout-s W] [--settle-s S]
  Commit → each environment's pass started (and applied): C commits without a webhook, each after
  a random 0–J s wait (a poller or timer has a phase; one commit would sample only one point of
  it), then C commits each followed at once by a signed push webhook.
  --commits C            commits per phase of every environment (default 3)
  --one-app-commits K    commits touching only one more environment's app, each with a webhook, first (default 10)
  --jitter-s J           random wait before each commit without webhook (default 60)
  --poll-timeout-s P     wait at most P s per commit for every environment without a webhook (default 150)
  --webhook-timeout-s W  wait at most W s per commit after the webhook (default 60)
  --settle-s S           wait after the fleet is healthy, before the first commit (default 30)`;

export interface GitParams {
  commits: number;
  oneAppCommits: number;
  jitterMs: number;
  pollTimeoutMs: number;
  webhookTimeoutMs: number;
  settleMs: number;
}

interface CommitPasses {
  sha: string;
  /** environments whose pass for the commit was recorded within the timeout */
  reached: number;
  failedPasses: number;
  /** per environment, ms from the commit */
  startedMs: number[];
  appliedMs: number[];
}

/**
 * Waits until each of `environments` (default: the fleet's) has a drift row for `sha` (or the
 * timeout); times from `committedAt`.
 */
async function passesFor(fleet: Fleet, sha: string, committedAt: number, timeoutMs: number, environments = fleet.environments.map((e) => e.environment)): Promise<CommitPasses> {
  const deadline = committedAt + timeoutMs;
  let rows: Array<{ environment: string; status: string; started_at: Date; finished_at: Date }> = [];
  for (;;) {
    ({ rows } = await fleet.pool.query(
      `SELECT DISTINCT ON (environment) environment, status, started_at, finished_at FROM deployment_history
        WHERE project = $1 AND action = 'drift' AND sha = $2 AND finished_at IS NOT NULL AND environment = ANY($3)
        ORDER BY environment, started_at`,
      [fleet.project, sha, environments],
    ));
    if (rows.length >= environments.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, environments.length === 1 ? 20 : 250));
  }
  return {
    sha,
    reached: rows.length,
    failedPasses: rows.filter((r) => r.status === 'failed').length,
    startedMs: rows.map((r) => r.started_at.getTime() - committedAt),
    appliedMs: rows.map((r) => r.finished_at.getTime() - committedAt),
  };
}

/**
 * Gives the ops repo a webhook secret through the admin API, as an operator would; returns it, or
 * why not (code without webhooks has no such field).
 */
async function configureWebhookSecret(baseUrl: string, fleet: Fleet, token: string, repoName = fleet.opsRepo.name): Promise<{ secret?: string; problem?: string }> {
  const { rows } = await fleet.pool.query<{ id: string }>('SELECT id FROM ops_repos WHERE name = $1', [repoName]);
  const secret = randomBytes(24).toString('hex');
  const response = await fetch(`${baseUrl}/api/admin/ops-repos/${rows[0]!.id}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ webhook_secret: secret }),
  });
  if (response.ok) return { secret };
  return { problem: `setting a webhook secret answered HTTP ${response.status}: ${(await response.text()).slice(0, 200)}` };
}

/** A GitHub push event for the ops repo's branch, signed as GitHub signs it. */
async function sendPushWebhook(baseUrl: string, fleet: Fleet, before: string, after: string, secret: string, repoName = fleet.opsRepo.name): Promise<{ status: number; body: string; ms: number }> {
  const body = JSON.stringify({
    ref: `refs/heads/${fleet.opsRepo.branch}`,
    before,
    after,
    repository: { name: fleet.opsRepo.name, clone_url: fleet.opsRepo.url, url: fleet.opsRepo.url },
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-GitHub-Event': 'push',
    'X-GitHub-Delivery': randomUUID(),
    'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  };
  const started = performance.now();
  const response = await fetch(`${baseUrl}/api/hooks/git/${encodeURIComponent(repoName)}`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.text()).slice(0, 500), ms: performance.now() - started };
}

function phaseFigures(passes: CommitPasses[], environments: number) {
  return {
    commits: passes.length,
    reached: passes.reduce((n, p) => n + p.reached, 0),
    expected: passes.length * environments,
    failedPasses: passes.reduce((n, p) => n + p.failedPasses, 0),
    startedMs: summarize(passes.flatMap((p) => p.startedMs)),
    appliedMs: summarize(passes.flatMap((p) => p.appliedMs)),
    perCommit: passes.map((p) => ({ sha: p.sha, reached: p.reached, startedMs: summarize(p.startedMs), appliedMs: summarize(p.appliedMs) })),
  };
}

/** The API server of the code under test, with the ops repo's webhook secret set through it. */
export async function prepareWebhook(fleet: Fleet): Promise<{ baseUrl: string; token: string; webhook: { secret?: string; problem?: string } }> {
  const api = await fleet.startApiServer();
  const { token } = await createApiToken(fleet.pool, { name: 'bench git webhook', scopes: ['admin'] });
  return { baseUrl: api.baseUrl, token, webhook: await configureWebhookSecret(api.baseUrl, fleet, token) };
}

const SOLO = { environment: 'solo', dir: 'solo' };

/**
 * The common case of a busy repository: a commit touching one app's files while every other
 * environment idles. One more environment renders its own copy of the app under solo/ (its own
 * ops repo row on the same repository and branch); each commit changes only that copy and is
 * announced by a webhook. Also counts passes of the fleet's environments for those commits (the
 * poller should signal none of them).
 */
async function measureOneApp(fleet: Fleet, api: Awaited<ReturnType<typeof prepareWebhook>>, commits: number, timeoutMs: number) {
  const rowName = `${fleet.project}-solo-ops`;
  const previous = (await fleet.opsRepo.git.revparse(['HEAD'])).trim();
  let head = await fleet.opsRepo.addApp(SOLO.dir);
  const env = await fleet.addEnvironment(SOLO.environment, rowName, SOLO.dir, manifestPath);
  const webhook = await configureWebhookSecret(api.baseUrl, fleet, api.token, rowName);
  if (!webhook.secret) return { skipped: webhook.problem };
  // A deploy renders the head the repository's poller knows: announce the new app first.
  await sendPushWebhook(api.baseUrl, fleet, previous, head, webhook.secret, rowName);
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const { rows } = await fleet.pool.query<{ last_sha: string | null }>('SELECT last_sha FROM ops_repos WHERE name = $1', [fleet.opsRepo.name]);
    if (rows[0]?.last_sha === head) break;
    if (Date.now() > deadline) return { skipped: `the ops repo's recorded head did not reach ${head.slice(0, 8)} within ${timeoutMs} ms of the webhook` };
    await new Promise((r) => setTimeout(r, 100));
  }
  const key = { project: fleet.project, environment: env.environment };
  const { requestId } = await fleet.deployer.deploy({ ...key, imageRef: 'registry.example/bench/web:1.0.0', requestedBy: 'bench' });
  await fleet.deployer.waitForRelease(key, requestId, { timeoutMs: 120_000 });
  const passes: CommitPasses[] = [];
  const shas: string[] = [];
  for (let i = 0; i < commits; i++) {
    const before = head;
    head = await fleet.opsRepo.commitAppRevision(SOLO.dir, `solo-r${i + 2}`);
    shas.push(head);
    const committedAt = Date.now();
    const hook = await sendPushWebhook(api.baseUrl, fleet, before, head, webhook.secret, rowName);
    if (hook.status >= 300) return { skipped: `the webhook answered HTTP ${hook.status}: ${hook.body.slice(0, 200)}` };
    const pass = await passesFor(fleet, head, committedAt, timeoutMs, [env.environment]);
    passes.push(pass);
    console.error(`[git] one app, webhook, commit ${head.slice(0, 8)}: ${pass.reached ? `started ${ms(pass.startedMs[0])}, applied ${ms(pass.appliedMs[0])}` : 'no pass'}`);
  }
  const { rows } = await fleet.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM deployment_history WHERE project = $1 AND environment <> $2 AND sha = ANY($3)`,
    [fleet.project, env.environment, shas],
  );
  return { ...phaseFigures(passes, 1), otherEnvironmentPasses: Number(rows[0]!.n) };
}

/** With the fleet deployed and its webhook prepared: settles, then the commits of both phases. */
export async function measureGit(fleet: Fleet, api: Awaited<ReturnType<typeof prepareWebhook>>, { commits, oneAppCommits, jitterMs, pollTimeoutMs, webhookTimeoutMs, settleMs }: GitParams): Promise<void> {
  const options = fleet.options;
  const webhook = api.webhook;
  await new Promise((r) => setTimeout(r, settleMs));
  // First, while nothing else is in flight: the commits of every environment below leave a backlog.
  const oneApp = await measureOneApp(fleet, api, oneAppCommits, webhookTimeoutMs);

  let revision = 1;
  let head = (await fleet.opsRepo.git.revparse(['HEAD'])).trim();
  // The commit that added the app under solo/ changed nothing of the fleet's: a fleet-wide commit follows.
  const unannounced: CommitPasses[] = [];
  for (let i = 0; i < commits; i++) {
    await new Promise((r) => setTimeout(r, Math.random() * jitterMs));
    head = await fleet.opsRepo.commitRevision(`r${++revision}`);
    const passes = await passesFor(fleet, head, Date.now(), pollTimeoutMs);
    unannounced.push(passes);
    const started = summarize(passes.startedMs);
    console.error(`[git] no webhook, commit ${head.slice(0, 8)}: ${passes.reached}/${fleet.environments.length} passed; started p50 ${ms(started.p50)}, max ${ms(started.max)}`);
  }

  const announced: CommitPasses[] = [];
  let webhookNote: string | undefined;
  for (let i = 0; i < commits && webhookNote === undefined; i++) {
    const before = head;
    head = await fleet.opsRepo.commitRevision(`r${++revision}`);
    const committedAt = Date.now();
    // Sent even when no secret could be set: the answer says whether the route exists at all.
    const hook = await sendPushWebhook(api.baseUrl, fleet, before, head, webhook.secret ?? 'no-secret-set');
    if (hook.status === 404) {
      webhookNote = `skipped: POST /api/hooks/git/{repo} answered 404 (${hook.body.slice(0, 120)}), no webhook route in this code`;
    } else if (hook.status >= 300) {
      webhookNote = `skipped: the webhook answered HTTP ${hook.status}: ${hook.body.slice(0, 200)}${webhook.problem ? `; ${webhook.problem}` : ''}`;
    } else {
      const passes = await passesFor(fleet, head, committedAt, webhookTimeoutMs);
      announced.push(passes);
      const started = summarize(passes.startedMs);
      console.error(`[git] webhook (HTTP ${hook.status} in ${ms(hook.ms)}), commit ${head.slice(0, 8)}: ${passes.reached}/${fleet.environments.length} passed; started p50 ${ms(started.p50)}, max ${ms(started.max)}`);
      await new Promise((r) => setTimeout(r, 5_000));
    }
  }
  if (webhookNote) console.error(`[git] webhook ${webhookNote}`);

  const polled = phaseFigures(unannounced, fleet.environments.length);
  const hooked = announced.length > 0 ? phaseFigures(announced, fleet.environments.length) : undefined;
  const cell = (phase: ReturnType<typeof phaseFigures> | undefined, key: 'startedMs' | 'appliedMs') =>
    phase ? `${ms(phase[key].p50)} / ${ms(phase[key].p99)}${phase.reached < phase.expected ? ` (${phase.reached}/${phase.expected})` : ''}` : 'skipped';
  report(
    {
      benchmark: 'git',
      label: options.label ?? '',
      codeCommit: fleet.codeCommit,
      options: { envs: options.envs, workers: options.workers, codeDir: options.codeDir, commits, oneAppCommits, jitterMs, pollTimeoutMs, webhookTimeoutMs, settleMs, driftIntervalMs: options.driftIntervalMs },
      figures: { oneAppWebhook: oneApp, withoutWebhook: polled, webhook: hooked ?? { skipped: webhookNote } },
    },
    [
      ['envs', String(options.envs)],
      ['commits', `${'commits' in oneApp ? oneApp.commits : 0} + ${commits} + ${announced.length}`],
      ['one app, webhook: started p50 / p99 (→ applied p50)', 'startedMs' in oneApp ? `${ms(oneApp.startedMs.p50)} / ${ms(oneApp.startedMs.p99)} (${ms(oneApp.appliedMs.p50)})${oneApp.reached < oneApp.expected ? ` (${oneApp.reached}/${oneApp.expected})` : ''}, ${oneApp.otherEnvironmentPasses} passes elsewhere` : `skipped: ${oneApp.skipped}`],
      ['no webhook: started p50 / p99', cell(polled, 'startedMs')],
      ['no webhook: applied p50 / p99', cell(polled, 'appliedMs')],
      ['webhook: started p50 / p99', cell(hooked, 'startedMs')],
      ['webhook: applied p50 / p99', cell(hooked, 'appliedMs')],
    ],
    options.out,
  );
}

if (isMainModule(import.meta.url)) {
  const { fleet: options, own } = parseBenchArgs(usage, {
    commits: { type: 'string', default: '3' },
    'one-app-commits': { type: 'string', default: '10' },
    'jitter-s': { type: 'string', default: '60' },
    'poll-timeout-s': { type: 'string', default: '150' },
    'webhook-timeout-s': { type: 'string', default: '60' },
    'settle-s': { type: 'string', default: '30' },
  });
  const params = {
    commits: positiveInt('commits', own.commits),
    oneAppCommits: positiveInt('one-app-commits', own['one-app-commits']),
    jitterMs: Number(own['jitter-s']) * 1000,
    pollTimeoutMs: positiveInt('poll-timeout-s', own['poll-timeout-s']) * 1000,
    webhookTimeoutMs: positiveInt('webhook-timeout-s', own['webhook-timeout-s']) * 1000,
    settleMs: Number(own['settle-s']) * 1000,
  };
  await withFleet(options, async (fleet) => {
    const api = await prepareWebhook(fleet);
    assertAllHealthy(await deployFleet(fleet, 'registry.example/bench/web:1.0.0'), 'not a fleet at rest');
    await measureGit(fleet, api, params);
  });
}
