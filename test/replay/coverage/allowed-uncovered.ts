// Code of the environment workflow that no recorded history has to pass through, grouped by the
// reason. Matched by the named function around it and a piece of its source line, never by line
// number, so edits elsewhere leave it valid. Keep it short: anything else that is uncovered needs
// a workflow test whose recorded history goes through it.
import type { UncoveredCode } from './uncovered-code.js';

interface Allowed {
  why: string;
  /** [file, function around it, a piece of the source line] */
  at: Array<[file: string, within: string, code: string]>;
}

export const allowedUncovered: Allowed[] = [
  {
    why: 'queries are answered, never recorded: no history runs a query handler',
    at: [['workflows/environment.ts', 'environmentWorkflow', 'setHandler(stateQuery']],
  },
  {
    why: 'a default the workflow never asks for: it always says whether drift keeps to healthy releases',
    at: [['workflows/decide.ts', 'planDrift', '{ onlyHealthy = true } = {}']],
  },
  {
    why: 'fallbacks for what every path sets: a finished release has its end time and, unless healthy, an error; stops are never refused; a record that counts releases lists them',
    at: [
      ['workflows/release.ts', 'runRelease', 'release.finishedAt ?? Date.now()'],
      ['workflows/requests.ts', 'handleRequest', "release.error ?? 'unknown error'"],
      ['workflows/display.ts', 'describeWaitingFor', 'failed.error ?'],
      ['workflows/requests.ts', 'recordRefusal', "request.kind === 'stop' ? 'stop'"],
      ['workflows/decide.ts', 'stateFromRecords', '?? state.status'],
    ],
  },
  {
    why: 'errors the workflow raises itself, not a step: a step fails as an ActivityFailure whose cause is a Temporal failure with a message, and an activity error always has a type',
    at: [
      ['workflows/environment-run.ts', 'errorMessage', '?? String(error)'],
    ],
  },
];

export function isAllowed(entry: UncoveredCode): boolean {
  return allowedUncovered.some(({ at }) => at.some(([file, within, code]) => entry.file === file && entry.within === within && entry.code.includes(code)));
}
