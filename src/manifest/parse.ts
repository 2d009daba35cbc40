// Rendered text → Kubernetes objects: the one parser of a manifest, used by the render (on what a
// template produced) and by the apply (on what the render stored). Each YAML document must look
// like an object the API server could accept (apiVersion, kind, metadata.name), and no object may
// appear twice; catching that here names the template and line, where the API server would only
// say "invalid object" at apply time.
import { DeployerError, InvalidManifest, TemplateTooLarge } from '../domain/errors.js';
import YAML from 'yaml';
import { isPlainObject } from '../domain/json-bounds.js';
import { describeRef, refKey, refOf, type KubeObject } from '../domain/kube-object.js';
import { describeYamlError, kubeParseOptions, stringifyKubeDocument } from './kube-yaml.js';
import { MAX_YAML_NESTING, tooDeepYamlLine } from './yaml-nesting.js';

/** Aliases one document may use; Kubernetes manifests need few, alias bombs need many. */
const MAX_ALIASES = 100;

/** Rendered output above this is refused: it is stored in Postgres and applied in one go. */
export const maxRenderedBytes = 1024 * 1024;

export interface ManifestDocument {
  /** position in the rendered stream, 1-based, counting empty documents too */
  index: number;
  /** position in the document's `items` when it was a List, 1-based */
  item?: number;
  /** line of the rendered text where the document's content starts */
  line: number;
  object: KubeObject;
}

export function assertRenderedSize(rendered: string, file: string, what = 'rendered to'): void {
  const bytes = Buffer.byteLength(rendered, 'utf8');
  if (bytes > maxRenderedBytes) {
    throw new DeployerError(
      TemplateTooLarge,
      `${file} ${what} ${bytes} bytes; the limit is ${maxRenderedBytes} bytes (1 MiB). Split the environment or trim the manifests`,
    );
  }
}

/**
 * YAML aliases let a small text stand for a huge manifest (an alias of an alias of a big
 * mapping). Walks the parsed objects as they will be written out, every alias in full, and stops
 * as soon as the estimate passes the limit, so the expansion itself is never built.
 */
function assertExpandedSize(values: readonly unknown[], file: string): void {
  let budget = maxRenderedBytes;
  const stack: unknown[] = [...values];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') budget -= value.length + 2;
    else if (Array.isArray(value)) {
      budget -= 2 + value.length;
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        budget -= key.length + 3;
        stack.push(item);
      }
    } else budget -= String(value).length;
    if (budget < 0) {
      throw new DeployerError(
        TemplateTooLarge,
        `${file}: the manifest expands (through YAML aliases) to more than ${maxRenderedBytes} bytes (1 MiB); write the objects out or trim them`,
      );
    }
  }
}

interface Position {
  index: number;
  item?: number;
  line?: number;
}

function describePosition({ index, item, line }: Position): string {
  const document = item === undefined ? `document ${index}` : `document ${index} item ${item}`;
  return line === undefined ? document : `${document} (rendered line ${line})`;
}

function invalid(file: string, position: Position, problem: string): never {
  throw new DeployerError(InvalidManifest, `${file}: ${describePosition(position)} ${problem}`);
}

/** One object twice (apps/v1 and apps/v1beta2 of one name are one object) would be applied twice. */
function assertUnique(documents: readonly ManifestDocument[], file: string): void {
  const seen = new Map<string, ManifestDocument>();
  for (const document of documents) {
    const ref = refOf(document.object);
    const key = refKey(ref);
    const first = seen.get(key);
    if (first) invalid(file, document, `${describeRef(ref)} (${ref.apiVersion}) appears more than once: also ${describePosition(first)}`);
    seen.set(key, document);
  }
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function describeShape(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'null' : `a ${typeof value}`;
}

/** The object in one document (or List item), checked for what every Kubernetes object needs. */
function checkObject(value: unknown, file: string, position: Position): KubeObject {
  if (!isPlainObject(value)) invalid(file, position, `is ${describeShape(value)}, not a mapping (a Kubernetes object)`);
  if (!nonEmptyString(value.apiVersion)) invalid(file, position, 'has no apiVersion (a non-empty string is required)');
  if (!nonEmptyString(value.kind)) invalid(file, position, 'has no kind (a non-empty string is required)');
  const metadata = value.metadata;
  if (!isPlainObject(metadata) || !nonEmptyString(metadata.name)) {
    invalid(file, position, `(${value.kind}) has no metadata.name (a non-empty string is required)`);
  }
  if (metadata.namespace !== undefined && !nonEmptyString(metadata.namespace)) {
    invalid(file, position, `(${value.kind} ${metadata.name}) has a metadata.namespace that is not a non-empty string`);
  }
  return value as KubeObject;
}

// kubectl accepts `kind: List` (and typed lists such as ConfigMapList) holding objects in `items`.
function isList(value: unknown): value is { kind: string; items: unknown[] } {
  return isPlainObject(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

/**
 * Parses the rendered text of `file` into objects, skipping empty documents. The items of a List
 * become objects of their own, so the stored manifest holds one object per document.
 * `exactIntegers` (the default) keeps big integers exact as bigints, for text that is only written
 * out again; without it they are JSON numbers, for objects sent as JSON.
 */
export function parseManifestDocuments(rendered: string, file: string, { exactIntegers = true } = {}): ManifestDocument[] {
  const deep = tooDeepYamlLine(rendered);
  if (deep !== undefined) throw new DeployerError(InvalidManifest, `${file}: rendered line ${deep} is not valid YAML: nested deeper than ${MAX_YAML_NESTING} levels`);
  const lineCounter = new YAML.LineCounter();
  const docs = YAML.parseAllDocuments(rendered, { ...kubeParseOptions, intAsBigInt: exactIntegers, lineCounter });
  const result: ManifestDocument[] = [];
  const expanded: unknown[] = [];
  docs.forEach((doc, position) => {
    const index = position + 1;
    const error = doc.errors[0];
    if (error) {
      const { line, message } = describeYamlError(error);
      invalid(file, { index, line }, `is not valid YAML: ${message}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (error) {
      // The yaml package refuses alias bombs with a plain ReferenceError.
      throw new DeployerError(TemplateTooLarge, `${file}: document ${index} uses YAML aliases too often (${(error as Error).message}); write the objects out instead`);
    }
    if (value === null || value === undefined) return;
    expanded.push(value);
    const line = lineCounter.linePos(doc.contents?.range[0] ?? doc.range[0]).line;
    if (isList(value)) {
      value.items.forEach((item, i) => {
        result.push({ index, item: i + 1, line, object: checkObject(item, file, { index, item: i + 1, line }) });
      });
    } else {
      result.push({ index, line, object: checkObject(value, file, { index, line }) });
    }
  });
  assertExpandedSize(expanded, file);
  assertUnique(result, file);
  return result;
}

/** The canonical text of the documents: same objects, same bytes, so the same content hash. */
export function serialiseDocuments(documents: readonly ManifestDocument[]): string {
  return documents.map((document) => stringifyKubeDocument(document.object)).join('---\n');
}
