// Replays recorded histories of the environment workflow against today's workflow code: a change
// that would make running workflows non-deterministic fails here, before it reaches a worker.
// A second pass replays them on instrumented workflow code and fails when some statement or
// branch of the workflow is on no recorded history's path: a change there would go unchecked.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { historiesDir, workflowBundle } from '../workflow/harness.js';
import { allowedUncovered, isAllowed } from './coverage/allowed-uncovered.js';
import { CoverageCollector } from './coverage/coverage-collector.js';
import { instrumentedWorkflowBundle } from './coverage/instrumented-bundle.js';
import { formatUncovered, uncoveredCode } from './coverage/uncovered-code.js';
import { workerTuning } from '../../src/worker-tuning.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** the files whose every path must be on a recorded history */
const checkedFiles = [
  'workflows/environment.ts',
  'workflows/environment-run.ts',
  'workflows/requests.ts',
  'workflows/release.ts',
  'workflows/pipeline.ts',
  'workflows/drift-pass.ts',
  'workflows/stop.ts',
  'workflows/steps.ts',
  'workflows/decide.ts',
  'workflows/display.ts',
  'workflows/gate-pass.ts',
  'workflows/live-status.ts',
];

async function recordedHistories() {
  const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(await readFile(join(historiesDir, file), 'utf8'))) })),
  );
}

describe('replay of recorded histories', () => {
  it('replays every recorded history without a determinism error', async () => {
    const histories = await recordedHistories();
    expect(histories.length).toBeGreaterThanOrEqual(9);
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), sinks: workerTuning.sinks }, histories)) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
  });

  it('passes through every statement and branch of the workflow on some recorded history', async () => {
    const histories = await recordedHistories();
    const collector = new CoverageCollector();
    for await (const result of Worker.runReplayHistories({ workflowBundle: await instrumentedWorkflowBundle(), sinks: { ...workerTuning.sinks, ...collector.sinks() } }, histories)) {
      if (result.error) throw new Error(`${result.workflowId} does not replay: ${result.error.message}`);
    }
    const reached = checkedFiles.filter((file) => collector.files.has(join(repoRoot, file)));
    expect(reached, 'instrumented workflow files that reported coverage').toEqual(checkedFiles);
    const checked = new Map([...collector.files].filter(([path]) => checkedFiles.some((file) => path === join(repoRoot, file))));
    const found = uncoveredCode(checked, repoRoot);
    const uncovered = found.filter((entry) => !isAllowed(entry));
    if (uncovered.length > 0) {
      throw new Error(
        `${uncovered.length} statements or branch outcomes of the workflow are on no recorded history's path. ` +
          'Add a workflow test that goes through each and record its history (README, "Changing workflow code safely"):\n' +
          formatUncovered(uncovered).map((line) => `  ${line}`).join('\n'),
      );
    }
    // An allowance nothing needs any more (the code is gone or now covered) only hides the next gap.
    const unused = allowedUncovered.flatMap(({ at }) => at).filter(([file, within, code]) => !found.some((entry) => entry.file === file && entry.within === within && entry.code.includes(code)));
    expect(unused, 'allowances in coverage/allowed-uncovered.ts that match nothing uncovered: remove them').toEqual([]);
  });
});
