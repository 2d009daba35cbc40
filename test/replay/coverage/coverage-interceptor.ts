// Bundled into the instrumented workflow code of the replay coverage check (never into the
// worker's): at the end of every activation it hands the istanbul counters that moved since the
// last one to a sink, and zeroes them. Sinks are the one way out of the workflow sandbox, and
// zeroing makes each report a delta, so the collector only has to add them up.
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** Per instrumented file: counters that moved, as [index, hits] (branches: [index, location, hits]). */
export interface CoverageDelta {
  path: string;
  /** istanbul's hash of the instrumented source: a changed file is never mixed with an old map */
  hash: string;
  statements: Array<[number, number]>;
  branches: Array<[number, number, number]>;
  /** the file's statement and branch maps, sent with the first delta of each workflow */
  maps?: Pick<FileCoverage, 'statementMap' | 'branchMap' | 'fnMap'>;
}

export interface CoverageSinks extends Sinks {
  coverage: { report(deltas: CoverageDelta[]): void };
}

interface Location {
  start: { line: number; column: number | null };
  end: { line: number; column: number | null };
}
export interface FileCoverage {
  path: string;
  hash: string;
  statementMap: Record<string, Location>;
  branchMap: Record<string, { type: string; loc: Location; locations: Location[]; line: number }>;
  fnMap: Record<string, { name: string; loc: Location; decl: Location; line: number }>;
  s: Record<string, number>;
  b: Record<string, number[]>;
}

const { coverage } = proxySinks<CoverageSinks>();
const mapsSent = new Set<string>();

function takeDeltas(): CoverageDelta[] {
  const files = (globalThis as { __workflowCoverage__?: Record<string, FileCoverage> }).__workflowCoverage__ ?? {};
  const deltas: CoverageDelta[] = [];
  for (const file of Object.values(files)) {
    const statements: Array<[number, number]> = [];
    for (const [index, hits] of Object.entries(file.s)) {
      if (hits > 0) statements.push([Number(index), hits]);
      file.s[index] = 0;
    }
    const branches: Array<[number, number, number]> = [];
    for (const [index, counts] of Object.entries(file.b)) {
      counts.forEach((hits, location) => {
        if (hits > 0) branches.push([Number(index), location, hits]);
        counts[location] = 0;
      });
    }
    const withMaps = !mapsSent.has(file.path);
    if (statements.length === 0 && branches.length === 0 && !withMaps) continue;
    mapsSent.add(file.path);
    deltas.push({
      path: file.path,
      hash: file.hash,
      statements,
      branches,
      maps: withMaps ? { statementMap: file.statementMap, branchMap: file.branchMap, fnMap: file.fnMap } : undefined,
    });
  }
  return deltas;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      concludeActivation(input, next) {
        const deltas = takeDeltas();
        if (deltas.length > 0) coverage.report(deltas);
        return next(input);
      },
    },
  ],
});
