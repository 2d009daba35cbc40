// A release made through the API and waited for to its final outcome, for tests whose subject is
// what comes after it (the dashboard showing it, its buttons acting on it).
import { expect } from 'vitest';
import { call, type ApiTest } from '../api/support.js';

/** Deploys `image` to `environment` as the test's promoter, and waits until the request is final; answers its outcome. */
export async function deployThroughApi(app: ApiTest['app'], test: ApiTest, environment: string, image: string, reason: string): Promise<{ requestId: string; outcome: string }> {
  const deployments = `/api/projects/${test.project}/deployments/${environment}`;
  const deploy = await call(app, 'PATCH', deployments, { token: test.tokens.promoter, json: { image_ref: image, reason } });
  expect(deploy.status, JSON.stringify(deploy.body)).toBe(202);
  for (;;) {
    const { body } = await call(app, 'GET', `${deployments}/requests/${deploy.body.request_id}?wait_s=30`, { token: test.tokens.reader });
    if (body.final) return { requestId: deploy.body.request_id, outcome: body.outcome };
  }
}
