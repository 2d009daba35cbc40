// A custom resource can only be applied once its CRD is Established (the API server serves the
// new kind); applying it earlier fails with 404. The apply waits for that condition, not a guess.
import { resourceUrlPath, type KubeClient } from './client.js';
import { apiGroup, apiVersionOnly, groupKind, type KubeObject } from './objects.js';
import { userError } from '../domain/errors.js';

export const CRD_GROUP_KIND = 'apiextensions.k8s.io/CustomResourceDefinition';

export function isCrd(object: { apiVersion: string; kind: string }): boolean {
  return groupKind(object) === CRD_GROUP_KIND;
}

interface CrdSpec {
  group?: string;
  scope?: 'Namespaced' | 'Cluster';
  names?: { kind?: string };
  versions?: Array<{ name?: string; served?: boolean }>;
}

/**
 * The scope of `kind` in `apiVersion` if one of `objects` is a CRD serving it. A dry run creates
 * no CRD, so this is how it knows a custom resource of the same render is valid and where it goes.
 */
export function scopeDefinedByCrds(objects: readonly KubeObject[], apiVersion: string, kind: string): CrdSpec['scope'] | undefined {
  for (const object of objects) {
    if (!isCrd(object)) continue;
    const spec = object.spec as CrdSpec | undefined;
    const serves = spec?.versions?.some((version) => version.name === apiVersionOnly(apiVersion) && version.served !== false);
    if (spec?.group === apiGroup(apiVersion) && spec.names?.kind === kind && serves) return spec.scope;
  }
  return undefined;
}

interface CrdCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** how to pause between polls; the activity passes its cancellable sleep */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function waitForCrdEstablished(client: KubeClient, name: string, options: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 30_000, intervalMs = 100, sleep = defaultSleep } = options;
  const path = resourceUrlPath({ group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', name });
  const deadline = Date.now() + timeoutMs;
  let conditions: CrdCondition[] = [];
  for (;;) {
    const crd = await client.get<{ status?: { conditions?: CrdCondition[] } }>(path);
    conditions = crd.status?.conditions ?? [];
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    const names = conditions.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
    if (names) {
      throw userError(
        `CustomResourceDefinition ${name}: names not accepted (${names.reason}): ${names.message}`,
        'InvalidManifest',
      );
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const summary = conditions.map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ''}`).join(', ') || 'no conditions';
  throw new Error(`CustomResourceDefinition ${name} is not Established after ${timeoutMs} ms: ${summary}`);
}
