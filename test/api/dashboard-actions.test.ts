// The dashboard's buttons over HTTP, without a browser: who sees which forms, that a post without
// the scope or from another site is refused before anything reaches the workflow (and is audited
// as the API's refusals are), that a bad field comes back next to its input with what was typed,
// and that an accepted post sends the same request the API would, audited under the API's action.
// No worker polls the test's task queue, so a request stays a signal in the workflow's history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentWorkflowId } from '../../workflows/messages.js';
import { auditRows, registerTestEnvironment, setUpApiTest, signalsOf, workflowExists, type ApiTest } from './support.js';

const ORIGIN = 'http://localhost';
const ACTIONS = ['deploy', 'rollback', 'stop', 'cancel', 'approve', 'reject'] as const;

describe('the dashboard actions over HTTP', () => {
  let test: ApiTest;
  let page: string;
  let approver: string;

  beforeAll(async () => {
    test = await setUpApiTest('dashboard-actions');
    await registerTestEnvironment(test, test.project, 'dev');
    await registerTestEnvironment(test, test.project, 'qa');
    page = `/projects/${test.project}/environments/dev`;
    approver = await test.token('approver', ['deploy:read', 'deploy:approve']);
  });

  afterAll(async () => {
    await test?.close();
  });

  async function get(path: string, token: string): Promise<Response> {
    return await test.app.request(path, { headers: { Cookie: `deployer_session=${token}` } });
  }

  async function post(path: string, token: string, fields: Record<string, string>, headers: Record<string, string> = { Origin: ORIGIN }): Promise<Response> {
    return await test.app.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `deployer_session=${token}`, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  const forms = (html: string) => [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => match[1]!.split('/').at(-1));

  it('shows a promote token the deploy, rollback and stop forms, an approve-only token none of them, and a read token no actions at all', async () => {
    const promoter = await (await get(page, test.tokens.promoter)).text();
    expect(promoter).toContain('<section id="actions"');
    // Sign-out is a form of the layout's; the rest are the buttons'. Nothing is in flight or waits for approval.
    expect(forms(promoter)).toEqual(['delete', 'deploy', 'rollback', 'stop']);
    expect(promoter).toMatch(/<label for="deploy-image-ref">Image<\/label>/);
    expect(promoter).toContain('No earlier healthy release to roll back to.');

    const reader = await (await get(page, test.tokens.reader)).text();
    expect(reader).not.toContain('id="actions"');
    expect(forms(reader)).toEqual(['delete']);

    // deploy:approve alone: the section, but no approval form while nothing waits for one.
    const approving = await (await get(page, approver)).text();
    expect(forms(approving)).toEqual(['delete']);

    // A token bound to another project may not even read this page.
    expect((await get(page, test.tokens.otherProjectAdmin)).status).toBe(403);
  });

  it.each(ACTIONS)("refuses a read token's forged %s with 403, sends nothing to the workflow, and audits the refusal", async (action) => {
    const fields = { image_ref: 'registry.example.com/web:2', reason: 'forged', request_id: 'build-1', to_release: '1' };
    const response = await post(`${page}/${action}`, test.tokens.reader, fields);
    expect(response.status).toBe(403);
    const scope = action === 'approve' || action === 'reject' ? 'deploy:approve' : 'deploy:promote';
    expect(await response.text()).toContain(`lacks the scope ${scope}`);
    expect(await workflowExists(test.client, environmentWorkflowId(test.project, 'dev'))).toBe(false);
    const audit = (await auditRows(test, { action: `deployment.${action === 'deploy' ? 'update' : action}` })).filter((row) => row.actor === `${test.prefix}-reader`);
    expect(audit.at(-1)).toMatchObject({ outcome: 'rejected', project: test.project, environment: 'dev', details: { status: 403, error: { code: 'forbidden' } } });
  });

  it('refuses a post without the Origin of the dashboard, or from another site, before looking at the session', async () => {
    for (const headers of [{}, { Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }] as Array<Record<string, string>>) {
      const response = await post(`${page}/deploy`, test.tokens.promoter, { image_ref: 'registry.example.com/web:2', reason: 'csrf' }, headers);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('not sent from the dashboard&#39;s own pages');
    }
    expect(await workflowExists(test.client, environmentWorkflowId(test.project, 'dev'))).toBe(false);
  });

  it('refuses a project-bound token in another project, whatever its scopes', async () => {
    const response = await post(`${page}/stop`, test.tokens.otherProjectAdmin, { reason: 'not mine' });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain(`bound to project ${test.otherProject}, not ${test.project}`);
    expect(await workflowExists(test.client, environmentWorkflowId(test.project, 'dev'))).toBe(false);
  });

  it('answers a bad image ref with 400 and the form again: the error next to the image, what was typed kept, nothing sent', async () => {
    const response = await post(`${page}/deploy`, test.tokens.promoter, { image_ref: 'Not An Image!', values_override: 'replicas: 3', reason: 'try it' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(/<input type="text" id="deploy-image-ref" name="image_ref" required="" autocomplete="off" value="Not An Image!" aria-invalid="true" aria-describedby="deploy-image-ref-error"/);
    expect(html).toMatch(/<p class="field-error error" id="deploy-image-ref-error">image_ref: [^<]+<\/p>/);
    expect(html).toContain('replicas: 3</textarea>');
    expect(html).toContain('value="try it"');
    expect(await workflowExists(test.client, environmentWorkflowId(test.project, 'dev'))).toBe(false);
    const [audit] = (await auditRows(test, { action: 'deployment.update' })).filter((row) => row.actor === `${test.prefix}-promoter`);
    expect(audit).toMatchObject({ outcome: 'rejected', details: { status: 400, error: { code: 'invalid_request' } } });
  });

  it.each([
    [{ image_ref: 'registry.example.com/web:2', reason: '' }, 'reason', 'reason: say why'],
    [{ image_ref: 'registry.example.com/web:2', values_override: '- a list', reason: 'values' }, 'values-override', 'values_override: '],
    [{ image_ref: 'registry.example.com/web:2', values_override: 'a: [1', reason: 'values' }, 'values-override', 'values_override: is not valid YAML or JSON'],
  ])('answers the deploy form %j with the error next to its field', async (fields, id, message) => {
    const response = await post(`${page}/deploy`, test.tokens.promoter, fields);
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain(`aria-describedby="deploy-${id}-error"`);
    expect(html).toMatch(new RegExp(`id="deploy-${id}-error">${message}`));
  });

  it('answers htmx with the actions section, a refusal too, with its status (the page has htmx swap it), audited as refused', async () => {
    const response = await post(`${page}/deploy`, test.tokens.promoter, { image_ref: 'bad ref', reason: 'htmx' }, { Origin: ORIGIN, 'HX-Request': 'true' });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toMatch(/^<section id="actions"/);
    expect(html).toContain('aria-invalid="true"');
    const audit = (await auditRows(test, { action: 'deployment.update' })).filter((row) => row.details.path === `${page}/deploy`);
    expect(audit.at(-1)).toMatchObject({ outcome: 'rejected', details: { error: { code: 'invalid_request' } } });
  });

  it('sends an accepted deploy to the workflow as the API does, audited under its action, and redirects to the request it follows', async () => {
    const qa = `/projects/${test.project}/environments/qa`;
    const response = await post(`${qa}/deploy`, test.tokens.promoter, { image_ref: 'registry.example.com/web:2', values_override: '{"replicas": 3}', reason: 'from the dashboard' });
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    const requestId = /\/requests\/([^?]+)\?taken=accepted$/.exec(location)?.[1];
    expect(requestId).toBeDefined();
    const workflowId = environmentWorkflowId(test.project, 'qa');
    test.started.add(workflowId);
    const signals = await signalsOf(test.client, workflowId);
    expect(signals).toEqual([
      {
        name: 'deploy',
        payload: expect.objectContaining({ requestId, imageRef: 'registry.example.com/web:2', valuesOverride: { replicas: 3 }, reason: 'from the dashboard', requestedBy: `${test.prefix}-promoter` }),
      },
    ]);
    const [audit] = await auditRows(test, { action: 'deployment.update', requestId });
    expect(audit).toMatchObject({ outcome: 'accepted', project: test.project, environment: 'qa', details: { signal: 'deploy', image_ref: 'registry.example.com/web:2' } });

    // The request's page tells where it stands; no worker takes it here, so it is not final.
    const followed = await get(location, test.tokens.reader);
    expect(followed.status).toBe(200);
    const html = await followed.text();
    expect(html).toContain(`accepted: request <code>${requestId}</code>`);
    expect(html).toContain('data-final="false"');
    // For htmx the fragment asks for itself again, holding the answer server-side.
    const fragment = await (await test.app.request(`${location}&wait_s=0`, { headers: { Cookie: `deployer_session=${test.tokens.reader}`, 'HX-Request': 'true' } })).text();
    expect(fragment).toMatch(/^<div class="request-outcome"/);
    expect(fragment).toContain(`hx-get="/projects/${test.project}/environments/qa/requests/${requestId}?taken=accepted&amp;wait_s=20"`);
    expect(fragment).toContain('hx-trigger="load"');
  });

  it('answers an approval where nothing waits for one with the workflow-side refusal in the form, 409', async () => {
    const response = await post(`${page}/approve`, approver, { request_id: 'build-7', reason: 'looks fine' });
    expect(response.status).toBe(409);
    expect(await response.text()).toMatch(/nothing is waiting for approval|not awaiting approval|no workflow/);
  });
});
