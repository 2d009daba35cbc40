import { describe, expect, it } from 'vitest';
import { WedgedWorkflows } from '../../src/observability/wedged-workflows.js';

describe('WedgedWorkflows', () => {
  const failure = { workflowId: 'deploy/shop/prod', runId: 'run-1', reason: 'nondeterminism' as const, message: '[TMPRL1100] Nondeterminism error: …' };

  it('lists a workflow with a nondeterminism failure within the window, with its error and count', () => {
    const wedged = new WedgedWorkflows(60_000);
    wedged.noteFailure(failure, 1_000);
    wedged.noteFailure(failure, 2_000);
    wedged.noteFailure({ ...failure, workflowId: 'deploy/other/prod', reason: 'workflow_error' }, 2_000);
    expect(wedged.list(3_000)).toEqual([{
      workflowId: 'deploy/shop/prod',
      runId: 'run-1',
      error: '[TMPRL1100] Nondeterminism error: …',
      failures: 2,
      firstFailedAt: new Date(1_000).toISOString(),
      lastFailedAt: new Date(2_000).toISOString(),
    }]);
  });

  it('forgets a workflow once its last failure is older than the window', () => {
    const wedged = new WedgedWorkflows(60_000);
    wedged.noteFailure(failure, 1_000);
    wedged.noteFailure({ ...failure, workflowId: 'deploy/later/prod' }, 30_000);
    expect(wedged.list(61_000).map((w) => w.workflowId)).toEqual(['deploy/later/prod', 'deploy/shop/prod']);
    expect(wedged.list(61_001).map((w) => w.workflowId)).toEqual(['deploy/later/prod']);
    expect(wedged.list(90_001)).toEqual([]);
  });

  it('names a failure core could not attribute by its run', () => {
    const wedged = new WedgedWorkflows();
    wedged.noteFailure({ runId: 'run-9', reason: 'nondeterminism', message: 'm' }, 0);
    expect(wedged.list(0)[0]?.workflowId).toBe('(run run-9)');
  });
});
