// A release's preview as one activity: load the environment, sync its ops repo to the branch head,
// render the image with the release's values, and ask the API server what applying it would do
// (dry run, the environment's field manager). The same steps a release runs, so the preview shows
// what that release would do; nothing in the cluster changes.
import { applyInput, renderInput, syncInput } from '../src/domain/release-steps.js';
import { previewSummary, type ReleasePreview, type ReleasePreviewRequest } from '../src/domain/release-preview.js';
import { releaseChanges } from '../src/domain/release-changes.js';
import type { DeployerActivities } from './types.js';

type Steps = Pick<DeployerActivities, 'loadEnvironment' | 'syncOpsRepo' | 'renderManifests' | 'applyManifests'>;

export function createPreviewReleaseActivities(steps: Steps): { previewRelease(request: ReleasePreviewRequest): Promise<ReleasePreview> } {
  return {
    async previewRelease({ project, environment, imageRef, valuesOverride }: ReleasePreviewRequest): Promise<ReleasePreview> {
      const config = await steps.loadEnvironment({ project, environment });
      const release = { imageRef, valuesOverride, pinned: false };
      const { sha } = await steps.syncOpsRepo(syncInput(config, release));
      const rendered = await steps.renderManifests(renderInput(config, release, sha));
      const applied = await steps.applyManifests({ ...applyInput('release', config, rendered.manifestHash), dryRun: true });
      const { objects, omittedFieldChanges } = releaseChanges(applied.changes);
      return { imageRef, opsSha: sha, manifestHash: rendered.manifestHash, objects, summary: previewSummary(objects), ...(omittedFieldChanges > 0 ? { omittedFieldChanges } : {}) };
    },
  };
}
