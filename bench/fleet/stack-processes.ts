// The local stack's server processes, found by the pid files `npm run stack -- up` wrote: what
// the steady-state benchmark charges the fleet's idle cost to. None when the stack runs elsewhere.
import { runningPid } from '../../scripts/stack/processes.js';
import { withChildren } from './proc-stats.js';

export interface StackProcess {
  name: string;
  /** the process and, for PostgreSQL, its backends */
  pids(): number[];
}

export function stackProcesses(): StackProcess[] {
  const found: StackProcess[] = [];
  for (const [name, command] of [['kube-apiserver', 'kube-apiserver'], ['etcd', 'etcd'], ['temporal', 'temporal'], ['postgres', 'postgres']] as const) {
    const pid = runningPid(name, command);
    if (pid === undefined) continue;
    found.push({ name, pids: name === 'postgres' ? () => withChildren(pid) : () => [pid] });
  }
  return found;
}
