// The readable diff of an apply, judged on the fields the environment's manager owns: what a
// release preview shows per object. Objects as the API server returns them, managedFields and all.
import { describe, expect, it } from 'vitest';
import { appliedFieldsDiff, MAX_FIELD_CHANGES } from '../../src/k8s/field-diff.js';
import { boundPreviewDiffs } from '../../src/domain/release-preview.js';
import type { KubeObject } from '../../src/k8s/objects.js';

const manager = 'deployer.shop.prod';

const deploymentFields = {
  'f:metadata': { 'f:labels': { 'f:app': {}, 'f:tier': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:env': { 'k:{"name":"MODE"}': { '.': {}, 'f:name': {}, 'f:value': {} } } },
        },
      },
    },
  },
};

function deployment(image: string, { mode = 'fast', tier = 'frontend', fields = deploymentFields }: { mode?: string; tier?: string; fields?: object } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      labels: { app: 'web', tier },
      // server-set and other managers' fields: never part of the diff
      uid: 'u-1',
      resourceVersion: '42',
      annotations: { 'deployment.kubernetes.io/revision': '3' },
      managedFields: [
        { manager, operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: fields },
        { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': { 'f:replicas': {} } } },
      ],
    },
    spec: {
      replicas: 2,
      progressDeadlineSeconds: 600, // defaulted by the server
      template: {
        spec: {
          containers: [{ name: 'web', image, env: [{ name: 'MODE', value: mode }], terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent' }],
          restartPolicy: 'Always',
        },
      },
    },
    status: { replicas: 2 },
  } as KubeObject;
}

describe('appliedFieldsDiff', () => {
  it('lists exactly the changed fields the manager owns, with paths people read, and no server defaults', () => {
    expect(appliedFieldsDiff(deployment('web:1'), deployment('web:2', { mode: 'safe' }), manager)).toEqual([
      { path: 'spec.template.spec.containers[name=web].image', before: 'web:1', after: 'web:2' },
      { path: 'spec.template.spec.containers[name=web].env[name=MODE].value', before: 'fast', after: 'safe' },
    ]);
    expect(appliedFieldsDiff(deployment('web:1'), deployment('web:1'), manager)).toEqual([]);
  });

  it('says what the apply adds and what it stops managing (the server removes it)', () => {
    const withoutTier = { ...deploymentFields, 'f:metadata': { 'f:labels': { 'f:app': {} } } };
    const live = deployment('web:1', { fields: withoutTier });
    delete (live.metadata.labels as Record<string, string>).tier;
    expect(appliedFieldsDiff(live, deployment('web:1'), manager)).toEqual([{ path: 'metadata.labels.tier', after: 'frontend' }]);
    const desired = deployment('web:1', { fields: withoutTier });
    delete (desired.metadata.labels as Record<string, string>).tier;
    expect(appliedFieldsDiff(deployment('web:1'), desired, manager)).toEqual([{ path: 'metadata.labels.tier', before: 'frontend' }]);
  });

  it('lists every owned field of an object the apply creates', () => {
    const changes = appliedFieldsDiff(undefined, deployment('web:1'), manager);
    expect(changes).toContainEqual({ path: 'spec.template.spec.containers[name=web].image', after: 'web:1' });
    expect(changes).toContainEqual({ path: 'spec.replicas', after: 2 });
    expect(changes.every((c) => !('before' in c))).toBe(true);
    expect(changes.map((c) => c.path)).not.toContain('spec.progressDeadlineSeconds');
  });

  it("never shows a Secret's values, only that they change", () => {
    const secret = (password: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', managedFields: [{ manager, operation: 'Apply', fieldsV1: { 'f:data': { 'f:password': {} }, 'f:type': {} } }] },
      type: 'Opaque',
      data: { password },
    });
    expect(appliedFieldsDiff(secret('czNjcjN0'), secret('bjN3'), manager)).toEqual([{ path: 'data.password', before: '(hidden)', after: '(hidden)' }]);
  });

  it('names set members and shortens long values, and stops at a bound', () => {
    const configMap = (text: string, finalizers: string[]): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', finalizers, managedFields: [{ manager, operation: 'Apply', fieldsV1: { 'f:data': { 'f:app.conf': {} }, 'f:metadata': { 'f:finalizers': { 'v:"example.com/keep"': {} } } } }] },
      data: { 'app.conf': text },
    });
    const [text, finalizer] = appliedFieldsDiff(configMap('x'.repeat(500), []), configMap('y'.repeat(500), ['example.com/keep']), manager);
    expect(text).toEqual({ path: 'data.app.conf', before: `${'x'.repeat(200)}… (500 characters)`, after: `${'y'.repeat(200)}… (500 characters)` });
    expect(finalizer).toEqual({ path: 'metadata.finalizers["example.com/keep"]', after: 'example.com/keep' });

    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, String(i)]));
    const wide = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'w', managedFields: [{ manager, operation: 'Apply', fieldsV1: { 'f:data': Object.fromEntries(Object.keys(many).map((k) => [`f:${k}`, {}])) } }] },
      data,
    });
    expect(appliedFieldsDiff(wide({}), wide(many), manager)).toHaveLength(MAX_FIELD_CHANGES);
  });

  describe("with the values the render took from the environment's secrets", () => {
    const configMap = (conf: string, mode: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app', managedFields: [{ manager, operation: 'Apply', fieldsV1: { 'f:data': { 'f:app.conf': {}, 'f:mode': {} } } }] },
      data: { 'app.conf': conf, mode },
    });

    it('takes them out before a long value is cut, where a cut one would no longer be recognised', () => {
      const secret = 's'.repeat(300);
      const [change] = appliedFieldsDiff(undefined, configMap(`password=${secret}`, 'fast'), manager, [secret]);
      expect(change).toEqual({ path: 'data.app.conf', after: 'password=[secret]' });
      const certificate = `-----BEGIN KEY-----\n${Array.from({ length: 6 }, (_, i) => `${i}`.repeat(64)).join('\n')}\n-----END KEY-----`;
      const [pem] = appliedFieldsDiff(undefined, configMap(certificate, 'fast'), manager, [certificate]);
      expect(pem).toEqual({ path: 'data.app.conf', after: '[secret]' });
    });

    it("hides whole the old value of a field that now carries one: it held the secret's previous value, which is no longer known", () => {
      const changes = appliedFieldsDiff(configMap('password=old-secret-1\nmode=a', 'fast'), configMap('password=new-secret-2\nmode=b', 'safe'), manager, ['new-secret-2']);
      expect(changes).toEqual([
        { path: 'data.app.conf', before: '(hidden)', after: 'password=[secret]\nmode=b' },
        { path: 'data.mode', before: 'fast', after: 'safe' },
      ]);
      expect(JSON.stringify(changes)).not.toContain('old-secret-1');
    });
  });
});

describe('boundPreviewDiffs', () => {
  it('keeps a preview of thousands of objects within its budget of field changes, and counts what it left out', () => {
    const objects = Array.from({ length: 3_000 }, (_, i) => ({
      ref: { apiVersion: 'v1', kind: 'ConfigMap', name: `c${i}`, namespace: 'shop' },
      action: 'created' as const,
      diff: [{ path: 'data.a', after: 'x' }, { path: 'data.b', after: 'y' }],
    }));
    const { objects: bounded, omitted } = boundPreviewDiffs(objects, 2_000);
    expect(bounded).toHaveLength(3_000);
    expect(bounded.flatMap((o) => o.diff ?? [])).toHaveLength(2_000);
    expect(omitted).toBe(4_000);
    expect(bounded[999]!.diff).toHaveLength(2);
    expect(bounded[1_000]).toEqual({ ref: objects[1_000]!.ref, action: 'created' });
  });
});
