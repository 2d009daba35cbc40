// What the figures were measured on, printed with every result: the same benchmark on another
// machine is another measurement.
import { cpus, totalmem } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
}

export function describeMachine(): Machine {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return { cpu: model, cores: cpus().length, ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version };
}

export function machineLine(machine: Machine): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB, Node ${machine.node}`;
}
