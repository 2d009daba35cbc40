// Waits for one object to reach a state, by watching it rather than polling: thirty trials
// polling every 100 ms would load the API server the deployer is being timed against.
import * as k8s from '@kubernetes/client-node';

export interface WatchedObject {
  metadata?: { name?: string; uid?: string };
  spec?: unknown;
}

/**
 * Resolves with the time (performance.now()) of the first watch event on object `name` under
 * `listPath` (a namespaced collection, e.g. /apis/apps/v1/namespaces/ns/deployments) for which
 * `reached` holds; rejects after `timeoutMs`. A watch the server closes is opened again.
 */
export async function waitForObjectState(
  kc: k8s.KubeConfig,
  listPath: string,
  name: string,
  reached: (type: string, object: WatchedObject) => boolean,
  timeoutMs: number,
): Promise<number> {
  const watch = new k8s.Watch(kc);
  let controller: AbortController | undefined;
  let settled = false;
  return new Promise<number>((resolve, reject) => {
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`not corrected within ${timeoutMs} ms`))), timeoutMs);
    const open = async (): Promise<void> => {
      if (settled) return;
      try {
        controller = await watch.watch(
          listPath,
          { fieldSelector: `metadata.name=${name}` },
          (type, object: WatchedObject) => {
            if (reached(type, object)) {
              const at = performance.now();
              finish(() => resolve(at));
            }
          },
          () => {
            if (!settled) setTimeout(() => void open(), 200);
          },
        );
      } catch {
        if (!settled) setTimeout(() => void open(), 500);
      }
    };
    void open();
  });
}
