import { describe, expect, it } from 'vitest';
import { WorkflowIdsByRun } from '../../src/observability/workflow-ids-by-run.js';
import { workflowTaskFailureOf } from '../../src/observability/workflow-task-failure.js';

// The metadata of core's "Failing workflow task" as the runtime forwards it (SDK 1.24).
const nondeterminismMeta = {
  sdkComponent: 'core',
  target: 'temporalio_sdk_core::worker::workflow',
  runId: '4208e0a9-4cb2-4aea-9b65-2fa29a7728ef',
  failure: 'Failure { failure: Some(Failure { message: "[TMPRL1100] Nondeterminism error: Activity machine does not handle this event: HistoryEvent(id: 57, TimerStarted)", source: "", stack_trace: "", encoded_attributes: None, cause: None, failure_info: Some(ApplicationFailureInfo(ApplicationFailureInfo { r#type: "", non_retryable: false, details: None, next_retry_delay: None, category: Unspecified })) }), force_cause: NonDeterministicError }',
  workflowId: 'deploy/shop/prod',
  taskQueue: 'deployer',
};
const thrownMeta = {
  sdkComponent: 'core',
  target: 'temporalio_sdk_core::worker::workflow',
  failure: 'Failure { failure: Some(Failure { message: "boom \\"quoted\\" \\u{1b}[1m it\\\'s", source: "TypeScriptSDK", stack_trace: "Error: boom\\n    at woken (workflows/environment.ts:541:12)", encoded_attributes: None, cause: None, failure_info: None }), force_cause: Unspecified }',
  runId: '456a8560-1e34-40df-bf0e-d5a0793fe2e0',
};

describe('workflowTaskFailureOf', () => {
  it('reads a nondeterminism failure found by core, with the workflow id of its span', () => {
    expect(workflowTaskFailureOf('Failing workflow task', nondeterminismMeta)).toEqual({
      workflowId: 'deploy/shop/prod',
      runId: '4208e0a9-4cb2-4aea-9b65-2fa29a7728ef',
      reason: 'nondeterminism',
      message: '[TMPRL1100] Nondeterminism error: Activity machine does not handle this event: HistoryEvent(id: 57, TimerStarted)',
    });
  });

  it('reads an error thrown by workflow code as workflow_error, unescaping its message', () => {
    expect(workflowTaskFailureOf('Failing workflow task', thrownMeta)).toEqual({
      runId: '456a8560-1e34-40df-bf0e-d5a0793fe2e0',
      reason: 'workflow_error',
      message: 'boom "quoted" \u001b[1m it\'s',
    });
  });

  it('takes the sandbox\'s NondeterminismError and the TMPRL1100 code alone for nondeterminism', () => {
    const sandbox = 'Failure { failure: Some(Failure { message: "Unknown patch", failure_info: Some(ApplicationFailureInfo(ApplicationFailureInfo { r#type: "NondeterminismError", non_retryable: false })) }), force_cause: Unspecified }';
    expect(workflowTaskFailureOf('Failing workflow task', { runId: 'r', failure: sandbox })?.reason).toBe('nondeterminism');
    const coded = 'Failure { failure: Some(Failure { message: "[TMPRL1100] Nondeterminism error: …" }) }';
    expect(workflowTaskFailureOf('Failing workflow task', { runId: 'r', failure: coded })?.reason).toBe('nondeterminism');
  });

  it('keeps the whole failure text when it has no message, and says so when it has none', () => {
    expect(workflowTaskFailureOf('Failing workflow task', { runId: 'r', failure: 'Failure { failure: None, force_cause: Unspecified }' })?.message).toBe('Failure { failure: None, force_cause: Unspecified }');
    expect(workflowTaskFailureOf('Failing workflow task', { runId: 'r' })).toEqual({ runId: 'r', reason: 'workflow_error', message: 'workflow task failed (no failure details)' });
  });

  it.each([
    ['a failed legacy query', 'Failing legacy query request', nondeterminismMeta],
    ['the sandbox\'s own line', 'Workflow failed', { workflowId: 'deploy/shop/prod', runId: 'r', error: new Error('boom') }],
    ['an entry without a run id', 'Failing workflow task', { failure: nondeterminismMeta.failure }],
    ['an entry without metadata', 'Failing workflow task', undefined],
  ])('ignores %s', (_name, message, meta) => {
    expect(workflowTaskFailureOf(message, meta)).toBeUndefined();
  });
});

describe('WorkflowIdsByRun', () => {
  it('learns a run\'s workflow from entries naming both, and forgets the oldest past its bound', () => {
    const runs = new WorkflowIdsByRun(2);
    runs.learn({ workflowId: 'deploy/a/prod', runId: 'run-a' });
    runs.learn({ workflowId: 'deploy/b/prod', workflowRunId: 'run-b' });
    runs.learn({ runId: 'run-c' });
    expect(runs.workflowIdOf('run-a')).toBe('deploy/a/prod');
    expect(runs.workflowIdOf('run-b')).toBe('deploy/b/prod');
    expect(runs.workflowIdOf('run-c')).toBeUndefined();
    runs.learn({ workflowId: 'deploy/c/prod', runId: 'run-c' });
    expect(runs.workflowIdOf('run-a')).toBeUndefined();
    expect(runs.workflowIdOf('run-c')).toBe('deploy/c/prod');
  });
});
