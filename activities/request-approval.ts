// A gated request's wait for approval begins here: preview the release it asks for (a dry-run apply
// against the live cluster) and write its history row, status awaiting-approval, holding the
// preview's diff for approvers to read. The workflow gets the counts only: the diff stays in
// Postgres, out of the long-lived workflow's history.
import type { ReleaseChanges } from '../src/domain/release-changes.js';
import type { ReleaseSource } from '../src/domain/release-steps.js';
import type { ApprovalPreview } from '../src/domain/release-preview.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';
import { previewOf, type PreviewSteps } from './preview-release.js';
import type { DeployerActivities, HistoryRecord } from './types.js';

export interface RequestApprovalInput {
  ref: EnvironmentRef;
  release: ReleaseSource;
  /** the wait's history row (status awaiting-approval) */
  row: HistoryRecord;
}

type Steps = PreviewSteps &
  Pick<DeployerActivities, 'recordHistory'> & {
    recordReleaseChanges(idempotencyKey: string, changes: ReleaseChanges): Promise<void>;
  };

export function createRequestApprovalActivities(steps: Steps): { requestApproval(input: RequestApprovalInput): Promise<ApprovalPreview> } {
  return {
    async requestApproval({ ref, release, row }: RequestApprovalInput): Promise<ApprovalPreview> {
      const preview = await previewOf(steps, ref, release);
      await steps.recordHistory({ ...row, sha: preview.opsSha, manifestHash: preview.manifestHash });
      await steps.recordReleaseChanges(row.idempotencyKey, { objects: preview.objects, omittedFieldChanges: preview.omittedFieldChanges ?? 0 });
      return {
        opsSha: preview.opsSha,
        manifestHash: preview.manifestHash,
        summary: preview.summary,
        ...(preview.omittedFieldChanges === undefined ? {} : { omittedFieldChanges: preview.omittedFieldChanges }),
      };
    },
  };
}
