// What the apply sends, decided without a cluster: the order, the labels, the namespace and the
// replicas of each object, and how the rendered YAML is read.
import { failureOfSync } from '../support/failures.js';
import { describe, expect, it } from 'vitest';
import {
  environmentLabels,
  environmentLabelValue,
  environmentSelector,
  parseManifests,
  refKey,
  type KubeObject,
} from '../../src/k8s/objects.js';
import { applyOrder, applyTiers, pruneOrder } from '../../src/k8s/order.js';
import { prepareForApply } from '../../src/k8s/prepare.js';

const object = (apiVersion: string, kind: string, name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name },
  ...extra,
});

const deployment = (): KubeObject =>
  object('apps/v1', 'Deployment', 'web', {
    metadata: { name: 'web', labels: { app: 'web', tier: 'frontend' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1.2.0' }] } },
    },
  });

describe('applyOrder', () => {
  it('puts Namespaces and CRDs first, workloads after their config, custom resources last', () => {
    const rendered = [
      object('example.com/v1', 'Widget', 'w'),
      deployment(),
      object('v1', 'Service', 'web'),
      object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
      object('v1', 'ConfigMap', 'web-config'),
      object('v1', 'Namespace', 'shop'),
      object('v1', 'ServiceAccount', 'web'),
      object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
      object('networking.k8s.io/v1', 'Ingress', 'web'),
    ];
    expect(applyOrder(rendered).map((o) => o.kind)).toEqual([
      'Namespace',
      'CustomResourceDefinition',
      'ServiceAccount',
      'ClusterRole',
      'ConfigMap',
      'Service',
      'Deployment',
      'Ingress',
      'Widget',
    ]);
  });

  it('groups objects of one phase into a tier, tiers in apply order: accounts before Secrets, config and Services together, workloads after', () => {
    const rendered = [
      object('v1', 'ConfigMap', 'b'),
      deployment(),
      object('v1', 'Service', 'web'),
      object('v1', 'Secret', 'token'),
      object('v1', 'ConfigMap', 'a'),
      object('v1', 'ServiceAccount', 'web'),
      object('rbac.authorization.k8s.io/v1', 'RoleBinding', 'web'),
      object('v1', 'Namespace', 'shop'),
      object('batch/v1', 'CronJob', 'nightly'),
      object('networking.k8s.io/v1', 'Ingress', 'web'),
      object('example.com/v1', 'Widget', 'w'),
      object('example.com/v1', 'Gadget', 'g'),
    ];
    expect(applyTiers(rendered).map((tier) => tier.map((o) => `${o.kind}/${o.metadata.name}`))).toEqual([
      ['Namespace/shop'],
      ['ServiceAccount/web', 'RoleBinding/web'],
      ['Secret/token', 'ConfigMap/b', 'ConfigMap/a', 'Service/web'],
      ['Deployment/web', 'CronJob/nightly'],
      ['Ingress/web'],
      ['Widget/w', 'Gadget/g'],
    ]);
  });

  it('keeps the rendered order among objects of one kind', () => {
    const rendered = [object('v1', 'ConfigMap', 'b'), object('v1', 'Namespace', 'shop'), object('v1', 'ConfigMap', 'a'), object('v1', 'ConfigMap', 'c')];
    expect(applyOrder(rendered).map((o) => o.metadata.name)).toEqual(['shop', 'b', 'a', 'c']);
  });

  it('ranks kinds by group: a custom resource named Service is not the core Service', () => {
    const rendered = [object('serving.knative.dev/v1', 'Service', 'web'), object('v1', 'ConfigMap', 'c')];
    expect(applyOrder(rendered).map((o) => o.apiVersion)).toEqual(['v1', 'serving.knative.dev/v1']);
  });

  it('prunes in reverse: custom resources before their CRD, the Namespace last', () => {
    const objects = [object('v1', 'Namespace', 'shop'), object('example.com/v1', 'Widget', 'w'), object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'), deployment()];
    expect(pruneOrder(objects).map((o) => o.kind)).toEqual(['Widget', 'Deployment', 'CustomResourceDefinition', 'Namespace']);
  });

  it('does not reorder the array it is given', () => {
    const rendered = [deployment(), object('v1', 'Namespace', 'shop')];
    applyOrder(rendered);
    expect(rendered.map((o) => o.kind)).toEqual(['Deployment', 'Namespace']);
  });
});

describe('prepareForApply', () => {
  const labels = environmentLabels('shop', 'production');
  const options = { namespace: 'shop-prod', labels, omitReplicas: false };

  it('labels the object as the deployer’s and the environment’s, keeping its own labels', () => {
    const prepared = prepareForApply(deployment(), true, options);
    expect(prepared.metadata.labels).toEqual({
      app: 'web',
      tier: 'frontend',
      'app.kubernetes.io/managed-by': 'deployer',
      'deployer.dev/environment': 'shop.production',
    });
  });

  it('leaves the pod template labels (and so the selector) exactly as rendered', () => {
    const prepared = prepareForApply(deployment(), true, options);
    const spec = prepared.spec as { template: { metadata: { labels: Record<string, string> } }; selector: unknown };
    expect(spec.template.metadata.labels).toEqual({ app: 'web' });
    expect(spec.selector).toEqual({ matchLabels: { app: 'web' } });
  });

  it('overrides a rendered label that claims another environment', () => {
    const rendered = object('v1', 'ConfigMap', 'c', { metadata: { name: 'c', labels: { 'deployer.dev/environment': 'other.env' } } });
    expect(prepareForApply(rendered, true, options).metadata.labels?.['deployer.dev/environment']).toBe('shop.production');
  });

  it('puts namespaced objects without a namespace into the environment’s namespace', () => {
    expect(prepareForApply(deployment(), true, options).metadata.namespace).toBe('shop-prod');
  });

  it('keeps a namespace the render names explicitly', () => {
    const rendered = object('v1', 'ConfigMap', 'shared', { metadata: { name: 'shared', namespace: 'platform' } });
    expect(prepareForApply(rendered, true, options).metadata.namespace).toBe('platform');
  });

  it('strips a namespace from cluster-scoped objects', () => {
    const rendered = object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader', { metadata: { name: 'reader', namespace: 'shop-prod' } });
    expect(prepareForApply(rendered, false, options).metadata).not.toHaveProperty('namespace');
  });

  it('drops server-written metadata copied from `kubectl get -o yaml`', () => {
    const rendered = object('v1', 'ConfigMap', 'c', {
      metadata: { name: 'c', resourceVersion: '4711', uid: '5f0c', creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [] },
    });
    expect(Object.keys(prepareForApply(rendered, true, options).metadata).sort()).toEqual(['labels', 'name', 'namespace']);
  });

  it('omits spec.replicas of Deployments and StatefulSets when an autoscaler owns them', () => {
    const statefulSet = object('apps/v1', 'StatefulSet', 'db', { spec: { replicas: 2, serviceName: 'db' } });
    const withHpa = { ...options, omitReplicas: true };
    expect(prepareForApply(deployment(), true, withHpa).spec).not.toHaveProperty('replicas');
    expect(prepareForApply(statefulSet, true, withHpa).spec).toEqual({ serviceName: 'db' });
    // Everything else of the spec stays.
    expect(prepareForApply(deployment(), true, withHpa).spec).toHaveProperty('template');
  });

  it('keeps spec.replicas without an autoscaler, and on kinds an HPA does not own', () => {
    expect((prepareForApply(deployment(), true, options).spec as { replicas: number }).replicas).toBe(3);
    const custom = object('example.com/v1', 'Deployment', 'x', { spec: { replicas: 2 } });
    expect(prepareForApply(custom, true, { ...options, omitReplicas: true }).spec).toEqual({ replicas: 2 });
  });

  it('never changes the rendered object it was given', () => {
    const rendered = deployment();
    prepareForApply(rendered, true, { ...options, omitReplicas: true });
    expect(rendered).toEqual(deployment());
  });
});

describe('environment labels', () => {
  it('are project.environment when that is a valid label value', () => {
    expect(environmentLabelValue('shop', 'production')).toBe('shop.production');
    expect(environmentSelector('shop', 'production')).toBe('app.kubernetes.io/managed-by=deployer,deployer.dev/environment=shop.production');
  });

  it('fall back to a readable prefix and a hash for names a label value cannot hold', () => {
    const long = environmentLabelValue('a-very-long-project-name-that-goes-on-and-on', 'and-an-environment-too');
    expect(long).toMatch(/^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long.startsWith('a-very-long-project')).toBe(true);
    const spaced = environmentLabelValue('my shop', 'prod/eu');
    expect(spaced).toMatch(/^my-shop\.prod-eu-[0-9a-f]{10}$/);
    // Distinct names never collapse onto one value.
    expect(environmentLabelValue('my shop', 'prod/eu')).not.toBe(environmentLabelValue('my/shop', 'prod eu'));
  });
});

describe('parseManifests', () => {
  it('reads every object of a multi-document stream, skipping empty documents', () => {
    const objects = parseManifests('---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n# nothing\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  mode: "0644"\n');
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/shop', 'ConfigMap/c']);
    expect(objects[1]?.data).toEqual({ mode: '0644' });
  });

  it('flattens a List into its items', () => {
    const objects = parseManifests('apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n');
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'Secret']);
  });

  it('reads scalars as Kubernetes does (YAML 1.1)', () => {
    const [secret] = parseManifests('apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nspec:\n  defaultMode: 0644\n');
    expect((secret?.spec as { defaultMode: number }).defaultMode).toBe(420);
  });

  it('refuses a document without a name, naming the document and line', () => {
    const failure = failureOfSync(() => parseManifests('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n'));
    expect(failure.type).toBe('InvalidManifest');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('the rendered manifest: document 2 (rendered line 6) (ConfigMap) has no metadata.name (a non-empty string is required)');
  });

  it('refuses invalid YAML and the same object twice', () => {
    expect(failureOfSync(() => parseManifests('apiVersion: v1\nkind: [unclosed\n')).type).toBe('InvalidManifest');
    const twice = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: web}\n';
    expect(failureOfSync(() => parseManifests(twice)).message).toMatch(/Deployment web \(apps\/v1beta2\) appears more than once/);
  });

  it('identifies objects by group, kind, namespace and name, not version', () => {
    expect(refKey({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' })).toBe(
      refKey({ apiVersion: 'apps/v1beta2', kind: 'Deployment', name: 'web', namespace: 'shop' }),
    );
  });
});
