// The Node side of the replay coverage check: a sink that adds up the counter deltas the
// instrumented workflows report (see coverage-interceptor.ts) into one coverage per source file.
import type { InjectedSinks } from '@temporalio/worker';
import type { CoverageDelta, CoverageSinks, FileCoverage } from './coverage-interceptor.js';

export class CoverageCollector {
  readonly files = new Map<string, FileCoverage>();

  sinks(): InjectedSinks<CoverageSinks> {
    return { coverage: { report: { fn: (_info, deltas) => this.add(deltas), callDuringReplay: true } } };
  }

  private add(deltas: CoverageDelta[]): void {
    for (const delta of deltas) {
      let file = this.files.get(delta.path);
      if (!file) {
        file = { path: delta.path, hash: delta.hash, statementMap: {}, branchMap: {}, fnMap: {}, s: {}, b: {} };
        this.files.set(delta.path, file);
      }
      if (file.hash !== delta.hash) throw new Error(`${delta.path} was instrumented twice, differently (${file.hash} vs ${delta.hash})`);
      if (delta.maps) Object.assign(file, delta.maps);
      for (const [index, hits] of delta.statements) file.s[index] = (file.s[index] ?? 0) + hits;
      for (const [index, location, hits] of delta.branches) {
        const counts = (file.b[index] ??= []);
        counts[location] = (counts[location] ?? 0) + hits;
      }
    }
  }
}
