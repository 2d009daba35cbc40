// Template values: the repository's values.yaml with the environment's and the release's
// overrides deep-merged over it, the way Helm layers values files.
import { DeployerError, TemplateError, TemplateTooLarge } from '../domain/errors.js';
import YAML from 'yaml';
import { isPlainObject } from '../domain/json-bounds.js';
import { describeYamlError, kubeParseOptions } from '../manifest/kube-yaml.js';
import { MAX_YAML_NESTING, tooDeepYamlLine } from '../manifest/yaml-nesting.js';

export type Values = Record<string, unknown>;

// Plain assignment of a key named "__proto__" would replace the object's prototype instead.
function setOwn(target: Values, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * `override` over `base`: mappings merge key by key, recursively; anything else in `override`
 * (lists, scalars, null) replaces what `base` has. Neither input is modified.
 */
export function mergeValues(base: Values, override: Values): Values {
  const merged: Values = {};
  for (const [key, value] of Object.entries(base)) setOwn(merged, key, value);
  for (const [key, value] of Object.entries(override)) {
    const current = Object.hasOwn(merged, key) ? merged[key] : undefined;
    setOwn(merged, key, isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value);
  }
  return merged;
}

/** Parses a values file; `file` names it in errors. An empty file is no values. */
export function parseValues(text: string, file: string): Values {
  const deep = tooDeepYamlLine(text);
  if (deep !== undefined) throw new DeployerError(TemplateError, `${file} line ${deep}: invalid YAML: nested deeper than ${MAX_YAML_NESTING} levels`);
  const doc = YAML.parseDocument(text, kubeParseOptions);
  const error = doc.errors[0];
  if (error) {
    const { line, message } = describeYamlError(error);
    throw new DeployerError(TemplateError, `${file}${line ? ` line ${line}` : ''}: invalid YAML: ${message}`);
  }
  let values: unknown;
  try {
    values = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new DeployerError(TemplateTooLarge, `${file}: uses YAML aliases too often (${(error as Error).message})`);
  }
  if (values === null || values === undefined) return {};
  if (!isPlainObject(values)) {
    throw new DeployerError(TemplateError, `${file}: the top level must be a mapping of names to values, not ${Array.isArray(values) ? 'a list' : 'a scalar'}`);
  }
  return values;
}
