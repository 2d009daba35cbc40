// A release's preview as one activity: load the environment, sync its ops repo (to the branch head,
// or to a rollback's pinned commit), render the image with the release's values, and ask the API
// server what applying it would do (dry run, the environment's field manager). The same steps a
// release runs, so the preview shows what that release would do; nothing in the cluster changes.
import { releaseChanges } from '../src/domain/release-changes.js';
import { previewSummary, type ReleasePreview, type ReleasePreviewRequest } from '../src/domain/release-preview.js';
import { applyInput, renderInput, syncInput, type ReleaseSource } from '../src/domain/release-steps.js';
import type { EnvironmentRef } from '../src/domain/vocabulary.js';
import type { DeployerActivities } from './types.js';

export type PreviewSteps = Pick<DeployerActivities, 'loadEnvironment' | 'syncOpsRepo' | 'renderManifests' | 'applyManifests'>;

/** What releasing `release` to the environment would do now, its diffs bounded. */
export async function previewOf(steps: PreviewSteps, ref: EnvironmentRef, release: ReleaseSource): Promise<ReleasePreview> {
  const config = await steps.loadEnvironment(ref);
  const { sha } = await steps.syncOpsRepo(syncInput(config, release));
  const rendered = await steps.renderManifests(renderInput(config, release, sha));
  const applied = await steps.applyManifests({ ...applyInput('release', config, rendered.manifestHash), dryRun: true });
  const { objects, omittedFieldChanges } = releaseChanges(applied.changes);
  return {
    imageRef: release.imageRef,
    opsSha: sha,
    manifestHash: rendered.manifestHash,
    objects,
    summary: previewSummary(objects),
    ...(omittedFieldChanges > 0 ? { omittedFieldChanges } : {}),
  };
}

export function createPreviewReleaseActivities(steps: PreviewSteps): { previewRelease(request: ReleasePreviewRequest): Promise<ReleasePreview> } {
  return {
    previewRelease({ project, environment, imageRef, valuesOverride }: ReleasePreviewRequest): Promise<ReleasePreview> {
      return previewOf(steps, { project, environment }, { imageRef, valuesOverride, pinned: false });
    },
  };
}
