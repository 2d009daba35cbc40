// Stage 2: render the environment's manifests at an exact ops repo commit. The YAML is stored in
// Postgres under its content hash and only the hash and object refs travel through Temporal, so
// payloads stay small and a release records exactly what was applied.
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { DeployerError, ValuesInvalid } from '../src/domain/errors.js';
import { jsonBoundsProblem, valuesBounds } from '../src/domain/json-bounds.js';
import { openEnvironmentSecrets } from '../src/db/environment-secrets.js';
import { storeRenderedManifest } from '../src/db/manifests.js';
import { redactError } from '../src/domain/secrets.js';
import { checkoutCommit, resolveInside, type RepoCache } from '../src/git/checkout.js';
import { validateCommitSha, validateOpsRepoSource, validateRepoPath } from '../src/git/validate.js';
import { assertRenderedSize, parseManifestDocuments, serialiseDocuments } from '../src/manifest/parse.js';
import { objectRefsOf } from '../src/render/object-refs.js';
import { renderTemplate } from '../src/render/template.js';
import { mergeValues, parseValues, type Values } from '../src/render/values.js';
import type { ActivityDeps } from './index.js';
import { runStep } from './step.js';
import type { RenderInput, RenderResult } from './types.js';

const VALUES_FILE = 'values.yaml';
const VALUES_SCHEMA_FILE = 'values.schema.json';
/** values.yaml and values.schema.json are data for one environment's render, not bulk. */
const MAX_VALUES_FILE_BYTES = 1024 * 1024;

/** The text of a file of the ops repo sub-path, or undefined when there is none. */
function readSmallFile(dir: string, name: string, displayRoot: string): string | undefined {
  const file = resolveInside(dir, name, name);
  if (file === undefined || !statSync(file).isFile()) return undefined;
  const size = statSync(file).size;
  if (size > MAX_VALUES_FILE_BYTES) {
    throw new DeployerError(ValuesInvalid, `${posix.join(displayRoot, name)} is ${size} bytes; it may have at most ${MAX_VALUES_FILE_BYTES}`);
  }
  return readFileSync(file, 'utf8');
}

function assertValuesBounded(values: unknown, field: string): void {
  const problem = jsonBoundsProblem(values, field, { maxDepth: valuesBounds.maxDepth, maxBytes: 2 * MAX_VALUES_FILE_BYTES });
  if (problem !== undefined) throw new DeployerError(ValuesInvalid, problem);
}

/** The values.yaml of the ops repo sub-path; a missing file means no values. */
function readRepoValues(dir: string, displayRoot: string): Values {
  const text = readSmallFile(dir, VALUES_FILE, displayRoot);
  return text === undefined ? {} : parseValues(text, posix.join(displayRoot, VALUES_FILE));
}

/** values.schema.json next to values.yaml (as Helm has it), if the repo has one. */
function readValuesSchema(dir: string, displayRoot: string): { schema: unknown; file: string } | undefined {
  const file = posix.join(displayRoot, VALUES_SCHEMA_FILE);
  const text = readSmallFile(dir, VALUES_SCHEMA_FILE, displayRoot);
  if (text === undefined) return undefined;
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    throw new DeployerError(ValuesInvalid, `${file}: not valid JSON: ${(error as Error).message}`);
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new DeployerError(ValuesInvalid, `${file}: a JSON Schema must be an object`);
  }
  return { schema, file };
}

export function createRenderActivities(deps: Pick<ActivityDeps, 'pool' | 'repoCacheDir' | 'allowFileUrls' | 'payloadKeys'> & RepoCache) {
  return {
    renderManifests(input: RenderInput): Promise<RenderResult> {
      return runStep(() => render(input));
    },
  };

  async function render(input: RenderInput): Promise<RenderResult> {
    // Read fresh for every render, like the values override: a changed secret reaches the next
    // deployment or drift pass without a restart.
    const secrets = await openEnvironmentSecrets(deps.pool, deps.payloadKeys, input.project, input.environment);
    const secretValues = Object.values(secrets);
    try {
      return await renderWith(input, secrets);
    } catch (error) {
      // A template error may quote what it was given; history, Temporal and logs keep the rest.
      throw redactError(error, secretValues);
    }
  }

  async function renderWith(input: RenderInput, secrets: Record<string, string>): Promise<RenderResult> {
    const source = validateOpsRepoSource(input.opsRepo, deps);
    const sha = validateCommitSha('sha', input.sha);
    const templatePath = validateRepoPath('manifestPath', input.manifestPath, { allowRoot: false });
    const dir = await checkoutCommit(deps, source, sha);

    // Overrides arrive through signals and the database; bound them before the recursive merge.
    input.valuesOverrides.forEach((override, i) => assertValuesBounded(override, `valuesOverrides[${i}]`));
    const values = input.valuesOverrides.reduce(mergeValues, readRepoValues(dir, source.path));
    assertValuesBounded(values, 'values');
    const rendered = await renderTemplate(
      { root: dir, displayRoot: source.path, templatePath },
      {
        image_ref: input.imageRef,
        project_name: input.project,
        environment: input.environment,
        namespace: input.namespace,
        values,
        secrets,
      },
      { valuesSchema: readValuesSchema(dir, source.path) },
    );

    const file = posix.join(source.path, templatePath);
    assertRenderedSize(rendered, file);
    const documents = parseManifestDocuments(rendered, file);
    const objects = objectRefsOf(documents, input.namespace, file);
    const manifest = serialiseDocuments(documents);
    assertRenderedSize(manifest, file, 'is, written out in full,');
    // An environment with secrets has its every render sealed: a value a filter changed
    // (`| upper`) is in the output too, where no search for the value would find it.
    const secretValues = Object.values(secrets);
    const sealWith = secretValues.length > 0 && deps.payloadKeys ? { keyring: deps.payloadKeys, values: secretValues } : undefined;
    const manifestHash = await storeRenderedManifest(deps.pool, manifest, sealWith);
    return { manifestHash, objects };
  }
}
