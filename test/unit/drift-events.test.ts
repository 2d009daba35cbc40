// Which changes to a managed object are drift: server-side apply's field ownership tells whether
// someone else took fields the environment applied, or whether the environment applied again.
import { describe, expect, it } from 'vitest';
import { driftBetween, latestOtherManagers, observe, type WatchedObject } from '../../src/domain/drift-events.js';

const fieldManagerOf = (owner: string) => `deployer/${owner}`;
const digest = (fields: unknown) => JSON.stringify(fields);
const isDeployer = (manager: string) => manager.startsWith('deployer/');

function deployment(managedFields: WatchedObject['metadata'] extends infer M ? (M extends { managedFields?: infer F } ? F : never) : never, owner = 'shop/prod'): WatchedObject {
  return {
    kind: 'Deployment',
    metadata: { uid: 'u1', name: 'web', namespace: 'shop-prod', annotations: { 'deployer.dev/owner': owner }, managedFields },
  };
}

const ours = (time: string, fields: unknown) => ({ manager: 'deployer/shop/prod', operation: 'Apply', time, fieldsV1: fields });
const image = { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } } } };
const replicas = { 'f:spec': { 'f:replicas': {} } };
const both = { 'f:spec': { ...image['f:spec'], ...replicas['f:spec'] } };

describe('drift of a managed object', () => {
  const seen = (object: WatchedObject) => observe(object, 'deployer.dev/owner', fieldManagerOf, digest)!;

  it('is a hand edit: fields the environment applied moved to another manager, its own entry kept its time', () => {
    const before = seen(deployment([ours('2026-11-25T10:00:00Z', both)]));
    const editedObject = deployment([ours('2026-11-25T10:00:00Z', replicas), { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-25T10:05:00Z', fieldsV1: image }]);
    expect(driftBetween(before, seen(editedObject), latestOtherManagers(editedObject, isDeployer))).toEqual({
      owner: 'shop/prod',
      detail: 'Deployment/web in shop-prod: fields the environment applied were changed by kubectl-edit',
    });
  });

  it('is every applied field taken, and a deletion', () => {
    const before = seen(deployment([ours('2026-11-25T10:00:00Z', both)]));
    const taken = deployment([{ manager: 'script', operation: 'Update', time: '2026-11-25T10:06:00Z', fieldsV1: both }]);
    expect(driftBetween(before, seen(taken), latestOtherManagers(taken, isDeployer))?.detail).toBe(
      'Deployment/web in shop-prod: every field the environment applied was taken by script',
    );
    expect(driftBetween(before, undefined)).toEqual({ owner: 'shop/prod', detail: 'Deployment/web in shop-prod deleted' });
  });

  it('is not the environment applying again, a controller writing status or annotations, or a first sight', () => {
    const before = seen(deployment([ours('2026-11-25T10:00:00Z', replicas)]));
    expect(driftBetween(before, seen(deployment([ours('2026-11-25T10:09:00Z', both)])))).toBeUndefined();
    const controller = deployment([
      ours('2026-11-25T10:00:00Z', replicas),
      { manager: 'kube-controller-manager', operation: 'Update', time: '2026-11-25T10:01:00Z', fieldsV1: { 'f:metadata': { 'f:annotations': {} } } },
      { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', time: '2026-11-25T10:01:00Z', fieldsV1: { 'f:status': {} } },
    ]);
    expect(driftBetween(before, seen(controller))).toBeUndefined();
    expect(driftBetween(undefined, seen(controller))).toBeUndefined();
  });

  it('ignores objects no environment owns, and names the latest other managers only, scale included', () => {
    expect(observe({ kind: 'ConfigMap', metadata: { uid: 'u2', name: 'x' } }, 'deployer.dev/owner', fieldManagerOf, digest)).toBeUndefined();
    const object = deployment([
      ours('2026-11-25T10:00:00Z', replicas),
      { manager: 'old-script', operation: 'Update', time: '2026-11-25T09:00:00Z', fieldsV1: {} },
      { manager: 'kubectl-edit', operation: 'Update', time: '2026-11-25T10:05:00Z', fieldsV1: {} },
      { manager: 'kubectl-scale', operation: 'Update', subresource: 'scale', time: '2026-11-25T10:07:00Z', fieldsV1: {} },
    ]);
    expect(latestOtherManagers(object, isDeployer)).toEqual(['kubectl-scale']);
  });
});
