// Where the worker's Kubernetes credentials come from: an explicit kubeconfig file (local stack,
// tests, a worker outside the cluster) or the pod's service account when it runs inside one.
import * as k8s from '@kubernetes/client-node';

/**
 * Loads the kubeconfig at `path` when given; otherwise the in-cluster service account when the
 * process runs in a pod, else the usual `$KUBECONFIG` / `~/.kube/config` lookup.
 */
export function loadKubeConfig(path?: string): k8s.KubeConfig {
  const kubeConfig = new k8s.KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster()) {
    throw new Error(`kubeconfig ${path ?? '(default)'} names no current cluster`);
  }
  return kubeConfig;
}
