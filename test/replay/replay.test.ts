// Replays recorded histories of the environment workflow against today's workflow code: a change
// that would make running workflows non-deterministic fails here, before it reaches a worker.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historiesDir, workflowBundle } from '../workflow/harness.js';

describe('replay of recorded histories', () => {
  it('replays every recorded history without a determinism error', async () => {
    const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(9);
    const histories = await Promise.all(
      files.map(async (file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(await readFile(join(historiesDir, file), 'utf8'))) })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
