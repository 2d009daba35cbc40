// A rollout in flight, as the environment page shows it: a release whose pods can be scheduled
// nowhere (a node selector no node has) stays in the health step, and the page, open before the
// deploy, follows its Deployment's replicas updated and ready without a reload, as the health step
// writes them when they change (the step's heartbeats reach Temporal throttled); the API's
// detail route and `deployer status` (through the API and straight to Temporal) carry the same
// counts. The release is then cancelled. Real browser, real worker, real cluster.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentPath } from '../../src/api/dashboard/paths.js';
import { runCli } from '../../src/cli.js';
import { loadKubeConfig } from '../../src/k8s/kubeconfig.js';
import { sample } from '../../src/system/sample.js';
import type { DashboardFleet } from '../support/dashboard-fleet.js';
import { startTestDashboardFleet } from '../support/test-dashboard-fleet.js';
import { launchChromium } from '../support/chromium.js';
import { testEnv, uniqueSuffix } from '../support/env.js';
import type { Browser } from 'playwright-core';

describe('the environment page during a rollout', () => {
  let browser: Browser;
  let fleet: DashboardFleet;

  beforeAll(async () => {
    browser = await launchChromium();
    fleet = await startTestDashboardFleet(`rollout-${uniqueSuffix()}`);
  });

  afterAll(async () => {
    await browser?.close();
    await fleet?.close();
  });

  it("lists each workload's replicas updated and ready while the health step waits", async () => {
    const ref = fleet.spare;
    const apps = loadKubeConfig(testEnv.kubeconfig).makeApiClient(k8s.AppsV1Api);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${fleet.base}/`, { waitUntil: 'load' });
    await page.fill('#token', fleet.readerToken);
    await page.click('button[type=submit]');
    await page.locator('#fleet').waitFor();
    await page.goto(`${fleet.base}${environmentPath(ref.project, ref.environment)}`, { waitUntil: 'load' });
    // The page listens before the deploy is asked for, and a reload would wipe the mark.
    await page.waitForFunction(`htmx.find('#environment-live').closest('[sse-connect]')['htmx-internal-data']?.sseEventSource?.readyState === 1`);
    await page.evaluate('window.notReloaded = true');

    const { requestId } = await fleet.deployer.deploy({
      ...ref,
      imageRef: sample.image.replace(/:[^:]+$/, ':2.0.0'),
      // Pods no node can take: the rollout waits (for ten minutes at most) instead of finishing.
      valuesOverride: { nodeSelector: { 'example.com/pool': 'nowhere' }, progressDeadlineSeconds: 600 },
      requestedBy: 'rollout-test',
      reason: 'a release that cannot become ready',
    });

    // With 2 replicas a rolling update may add 1 pod (maxSurge 25 %, rounded up) and take none away
    // (maxUnavailable 25 %, rounded down): 1 new pod that no node can take, and the 2 old ones still
    // ready. The counts reach that state after the step began: only their own notice brings them.
    const stuck = `Deployment ${ref.project}: 1 of 2 updated, 2 ready`;
    await page.locator('.rollout li', { hasText: stuck }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    const progress = await page.locator('.rollout li').allTextContents();
    expect(progress).toHaveLength(1);
    expect(progress[0]).not.toContain('(done)');
    expect(await page.locator('.facts').textContent()).toContain(`deploy ${requestId}: step health since`);

    const api = await fetch(`${fleet.base}/api/projects/${ref.project}/deployments/${ref.environment}`, { headers: { Authorization: `Bearer ${fleet.readerToken}` } });
    const rollout = ((await api.json()) as { workflow: { rollout?: Array<{ ref: { kind: string; name: string }; desired: number; updated: number; ready: number; done: boolean }> } }).workflow.rollout;
    expect(rollout).toEqual([expect.objectContaining({ ref: expect.objectContaining({ kind: 'Deployment', name: ref.project }), desired: 2, updated: 1, ready: 2, done: false })]);

    const status = async (env: Record<string, string>) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['status', '--project', ref.project, '--env', ref.environment], { out: (line) => out.push(line), err: (line) => err.push(line), env });
      expect(code, err.join('\n')).toBe(0);
      return out.filter((line) => line.trimStart().startsWith('rollout:'));
    };
    const line = `rollout:     ${stuck}`;
    expect(await status({ DEPLOYER_URL: fleet.base, DEPLOYER_TOKEN: fleet.readerToken, TEMPORAL_ADDRESS: '127.0.0.1:9' })).toEqual([expect.stringContaining(line)]);
    // Straight to Temporal the counts are the step's heartbeat's, which reaches the server throttled.
    const direct = { DEPLOYER_DIRECT: '1', TEMPORAL_ADDRESS: testEnv.temporalAddress, TEMPORAL_NAMESPACE: testEnv.temporalNamespace, DEPLOYER_TASK_QUEUE: fleet.taskQueue };
    await expect.poll(() => status(direct), { timeout: 30_000, interval: 500 }).toEqual([expect.stringContaining(line)]);

    // The counts change while the step goes on (someone scales the Deployment): the page follows,
    // though the workflow reports nothing new and the step's heartbeat reaches Temporal throttled.
    await apps.patchNamespacedDeploymentScale(
      { name: ref.project, namespace: `${ref.project}-${ref.environment}`.slice(0, 63).replace(/-+$/, ''), body: { spec: { replicas: 4 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await page.locator('.rollout li', { hasText: new RegExp(`^Deployment ${ref.project}: \\d of 4 updated`) }).waitFor({ timeout: 30_000 });
    expect(await page.evaluate('window.notReloaded')).toBe(true);

    await fleet.deployer.cancel({ ...ref, requestedBy: 'rollout-test', reason: 'done looking' });
    const { request } = await fleet.deployer.waitForRequest(ref, requestId, { timeoutMs: 60_000 });
    expect(request.outcome).toBe('cancelled');
    await context.close();
  });
});
