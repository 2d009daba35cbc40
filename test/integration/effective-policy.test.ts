// The effective policy on real Postgres: an environment's settings over the defaults, its freeze
// windows followed by its project's, and notifications on exactly while a subscription (its own
// or its project's) covers it. The workflow's loads and its recorded state read the same answer.
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvironmentActivities } from '../../activities/environment.js';
import { createRecordedStateActivities } from '../../activities/recorded-state.js';
import type { EnvironmentConfig } from '../../activities/types.js';
import { loadEffectivePolicy, loadProjectEffectivePolicies } from '../../src/db/effective-policy.js';
import { registerEnvironment } from '../../src/db/environments.js';
import { migrate } from '../../src/db/migrate.js';
import { createSubscription, deleteSubscription } from '../../src/db/notifications.js';
import { closePools, getPool } from '../../src/db/pool.js';
import { saveProjectPolicy } from '../../src/db/tenancy.js';
import type { FreezeWindow } from '../../src/domain/freeze-windows.js';
import { defaultPolicy, type EnvironmentPolicy } from '../../src/domain/vocabulary.js';
import { testEnv, uniqueSuffix } from '../support/env.js';

const weekend: FreezeWindow = { kind: 'recurring', name: 'weekend', cron: '0 18 * * FRI', duration: 62 * 3_600_000, timeZone: 'Europe/Berlin', holdsRollbacks: false };
const launch: FreezeWindow = { kind: 'one-off', name: 'launch', from: '2026-12-21T00:00:00.000Z', until: '2026-12-23T00:00:00.000Z', holdsRollbacks: true };
const holidays: FreezeWindow = { kind: 'one-off', name: 'holidays', from: '2026-12-24T00:00:00.000Z', until: '2027-01-02T00:00:00.000Z', holdsRollbacks: false };
const approval = { required: true, expiresAfterMs: 86_400_000, allowSelfApproval: false };

describe('loadEffectivePolicy', () => {
  const project = `policy-${uniqueSuffix()}`;
  const pool = () => getPool(testEnv.databaseUrl);
  const defaults: EnvironmentPolicy = { ...defaultPolicy, minIntervalMs: 9_000 };
  const register = (environment: string, policy: Partial<EnvironmentPolicy>) =>
    registerEnvironment(pool(), {
      project,
      environment,
      opsRepo: { name: `${project}-ops`, url: 'https://git.example/ops.git', branch: 'main', path: '.' },
      manifestPath: 'app.yaml.njk',
      namespace: `${project}-${environment}`,
      policy,
    });
  const subscribe = (environment: string | null) =>
    createSubscription(pool(), { project, environment, events: ['*'], url: 'https://hooks.example.com/x', format: 'cloudevents', secret: null, createdBy: 'test' });

  beforeAll(async () => {
    await migrate(pool());
    await register('prod', { healthTimeoutMs: 60_000, approval, freezeWindows: [weekend] });
    await register('staging', {});
  });
  afterAll(async () => {
    await closePools();
  });

  it("lays the environment's settings over the defaults, and says nothing of gates it has none of", async () => {
    expect(await loadEffectivePolicy(pool(), project, 'prod', defaults)).toEqual({
      ...defaults,
      healthTimeoutMs: 60_000,
      approval,
      freezeWindows: [weekend],
      notifications: false,
    });
    expect(await loadEffectivePolicy(pool(), project, 'staging', defaults)).toEqual({ ...defaults, freezeWindows: [], notifications: false });
    expect(await loadEffectivePolicy(pool(), project, 'ghost', defaults)).toBeUndefined();
  });

  it("follows the environment's freeze windows with its project's, in every environment of the project", async () => {
    await saveProjectPolicy(pool(), project, { allowClusterRbac: false, freezeWindows: [launch, holidays] });
    expect((await loadEffectivePolicy(pool(), project, 'prod', defaults))?.freezeWindows).toEqual([weekend, launch, holidays]);
    expect(await loadProjectEffectivePolicies(pool(), project, defaults)).toEqual([
      { environment: 'prod', policy: expect.objectContaining({ freezeWindows: [weekend, launch, holidays], approval }) },
      { environment: 'staging', policy: expect.objectContaining({ freezeWindows: [launch, holidays] }) },
    ]);
  });

  it('turns notifications on while a subscription covers the environment: its own, or one for the whole project', async () => {
    const notifications = async () => Object.fromEntries((await loadProjectEffectivePolicies(pool(), project, defaults)).map((e) => [e.environment, e.policy.notifications]));
    const own = await subscribe('staging');
    expect(await notifications()).toEqual({ prod: false, staging: true });
    const projectWide = await subscribe(null);
    expect(await notifications()).toEqual({ prod: true, staging: true });
    await deleteSubscription(pool(), projectWide.id);
    await deleteSubscription(pool(), own.id);
    expect(await notifications()).toEqual({ prod: false, staging: false });
  });

  it('is the policy the workflow loads before a release and the one a fresh run starts with', async () => {
    await subscribe('prod');
    const expected = await loadEffectivePolicy(pool(), project, 'prod', defaults);
    expect(expected).toMatchObject({ notifications: true, approval });
    const activities = new MockActivityEnvironment();
    const { loadEnvironment } = createEnvironmentActivities({ pool: pool(), defaultPolicy: defaults });
    const config = (await activities.run(loadEnvironment, { project, environment: 'prod' })) as EnvironmentConfig;
    expect(config.policy).toEqual(expected);
    const { loadRecordedState } = createRecordedStateActivities({ pool: pool(), defaultPolicy: defaults });
    expect((await loadRecordedState({ project, environment: 'prod', limit: 5 })).policy).toEqual(expected);
    expect((await loadRecordedState({ project, environment: 'ghost', limit: 5 })).policy).toBeUndefined();
  });
});
