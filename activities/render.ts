// Stage 2: render the environment's manifests at an exact ops repo commit. The YAML is stored in
// Postgres under its content hash and only the hash and object refs travel through Temporal, so
// payloads stay small and a release records exactly what was applied.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { storeRenderedManifest } from '../src/db/manifests.js';
import { checkoutCommit, resolveInside } from '../src/git/checkout.js';
import { validateCommitSha, validateOpsRepoSource, validateRepoPath } from '../src/git/validate.js';
import { assertRenderedSize, parseManifestDocuments, serialiseDocuments } from '../src/render/documents.js';
import { objectRefsOf } from '../src/render/object-refs.js';
import { renderTemplate } from '../src/render/template.js';
import { mergeValues, parseValues, type Values } from '../src/render/values.js';
import type { ActivityDeps } from './index.js';
import type { RenderInput, RenderResult } from './types.js';

const VALUES_FILE = 'values.yaml';

/** The values.yaml of the ops repo sub-path; a missing file means no values. */
function readRepoValues(dir: string, displayRoot: string): Values {
  const file = resolveInside(dir, VALUES_FILE, VALUES_FILE);
  if (file === undefined) return {};
  return parseValues(readFileSync(file, 'utf8'), posix.join(displayRoot, VALUES_FILE));
}

export function createRenderActivities(deps: Pick<ActivityDeps, 'pool' | 'repoCacheDir' | 'allowFileUrls'>) {
  return {
    async renderManifests(input: RenderInput): Promise<RenderResult> {
      const source = validateOpsRepoSource(input.opsRepo, deps);
      const sha = validateCommitSha('sha', input.sha);
      const templatePath = validateRepoPath('manifestPath', input.manifestPath, { allowRoot: false });
      const dir = await checkoutCommit(deps, source, sha);

      const values = input.valuesOverrides.reduce(mergeValues, readRepoValues(dir, source.path));
      const rendered = await renderTemplate(
        { root: dir, displayRoot: source.path, templatePath },
        {
          image_ref: input.imageRef,
          project_name: input.project,
          environment: input.environment,
          namespace: input.namespace,
          values,
        },
      );

      const file = posix.join(source.path, templatePath);
      assertRenderedSize(rendered, file);
      const documents = parseManifestDocuments(rendered, file);
      const objects = objectRefsOf(documents, input.namespace, file);
      const manifestHash = await storeRenderedManifest(deps.pool, serialiseDocuments(documents));
      return { manifestHash, objects };
    },
  };
}
