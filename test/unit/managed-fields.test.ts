// Drift on the fields the deployer manages: the projection through managedFields (FieldsV1).
import { describe, expect, it } from 'vitest';
import { differsOnAppliedFields, fieldsAppliedBy, projectFields } from '../../src/k8s/managed-fields.js';
import type { KubeObject } from '../../src/k8s/objects.js';

// The FieldsV1 a v1.36 API server records for `deployer` applying a small Deployment.
const deployerFields = {
  'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/managed-by': {}, 'f:deployer.dev/environment': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } },
        },
      },
    },
  },
};

function liveDeployment(image: string, extra: { replicas?: number; revision?: string; otherManager?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      resourceVersion: '1200',
      annotations: { 'deployment.kubernetes.io/revision': extra.revision ?? '1' },
      labels: { 'app.kubernetes.io/managed-by': 'deployer', 'deployer.dev/environment': 'shop.prod' },
      managedFields: [
        { manager: 'deployer', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: deployerFields },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'apps/v1',
          subresource: 'status',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:replicas': {} } },
        },
      ],
    },
    spec: {
      replicas: extra.replicas ?? 2,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image, imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 8080, protocol: 'TCP' }] },
            ...(extra.otherManager ? [{ name: 'sidecar', image: 'mesh/proxy:1' }] : []),
          ],
          restartPolicy: 'Always',
        },
      },
    },
    status: { replicas: 2, updatedReplicas: 2 },
  };
}

describe('projectFields', () => {
  it('keeps exactly the fields of the trie, finding list elements by their keys', () => {
    const projection = projectFields(liveDeployment('web:1'), deployerFields);
    expect(projection).toEqual({
      'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/managed-by': 'deployer', 'f:deployer.dev/environment': 'shop.prod' } },
      'f:spec': {
        'f:replicas': 2,
        'f:selector': { matchLabels: { app: 'web' } },
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': 'web' } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': { 'f:image': 'web:1', 'f:name': 'web', 'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { 'f:containerPort': 8080 } } },
            },
          },
        },
      },
    });
  });

  it('marks set members and missing fields', () => {
    const projection = projectFields({ spec: { finalizers: ['a'] } }, { 'f:spec': { 'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} }, 'f:gone': {} } });
    const spec = projection['f:spec'] as Record<string, Record<string, unknown> | symbol>;
    expect(Object.keys(spec['f:finalizers'] as object)).toEqual(['v:"a"', 'v:"b"']);
    expect(typeof (spec['f:finalizers'] as Record<string, unknown>)['v:"a"']).toBe('symbol');
    expect((spec['f:finalizers'] as Record<string, unknown>)['v:"a"']).not.toBe((spec['f:finalizers'] as Record<string, unknown>)['v:"b"']);
    expect(typeof spec['f:gone']).toBe('symbol');
  });
});

describe('differsOnAppliedFields', () => {
  it('sees no drift when only server defaults, other managers or status differ', () => {
    const live = liveDeployment('web:1');
    const desired = liveDeployment('web:1', { revision: '2', otherManager: true });
    (desired.status as Record<string, number>).replicas = 5;
    expect(differsOnAppliedFields(live, desired, 'deployer')).toBe(false);
  });

  it('sees drift when a managed field differs', () => {
    expect(differsOnAppliedFields(liveDeployment('web:1'), liveDeployment('web:2'), 'deployer')).toBe(true);
    expect(differsOnAppliedFields(liveDeployment('web:1'), liveDeployment('web:1', { replicas: 3 }), 'deployer')).toBe(true);
  });

  it('sees drift when the apply would drop a field the deployer managed before', () => {
    const desired = liveDeployment('web:1');
    const fields = structuredClone(deployerFields) as { 'f:spec': Record<string, unknown> };
    delete fields['f:spec']['f:replicas'];
    desired.metadata.managedFields = [{ manager: 'deployer', operation: 'Apply', fieldsV1: fields }];
    (desired.spec as Record<string, unknown>).replicas = 1;
    expect(differsOnAppliedFields(liveDeployment('web:1'), desired, 'deployer')).toBe(true);
  });

  it('counts an object the deployer never applied as drift: the apply takes it over', () => {
    const live = liveDeployment('web:1');
    live.metadata.managedFields = [{ manager: 'kubectl-client-side-apply', operation: 'Update', fieldsV1: deployerFields }];
    expect(fieldsAppliedBy(live, 'deployer')).toBeUndefined();
    expect(differsOnAppliedFields(live, liveDeployment('web:1'), 'deployer')).toBe(true);
  });
});
