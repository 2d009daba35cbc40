// Renders the environment's manifest template with nunjucks, inside the render sandbox (a V8
// isolate: see sandbox/render-sandbox.ts). Every failure becomes a DeployerError whose message
// starts with the file (relative to the repository root) and line where known, because that is
// what the person fixing the ops repo needs first.
import { posix } from 'node:path';
import {
  DeployerError,
  InvalidPath,
  TemplateError,
  TemplateMemory,
  TemplateTimeout,
  TemplateTooLarge,
  ValuesInvalid,
} from '../domain/errors.js';
import { resolveInside } from '../git/checkout.js';
import { ContainedLoader } from './contained-loader.js';
import { RenderSandbox } from './sandbox/render-sandbox.js';
import type { Values } from './values.js';

/** The variables a template sees. Names are snake_case, as templates usually spell them. */
export interface TemplateContext {
  image_ref: string;
  project_name: string;
  environment: string;
  namespace: string;
  values: Values;
  /** the environment's secrets by name; written like values, but the render holding them is stored sealed */
  secrets?: Readonly<Record<string, string>>;
}

export interface TemplateLocation {
  /** directory the loader is rooted at (the ops repo sub-path inside a checkout) */
  root: string;
  /** that directory relative to the repository root, to name files in messages */
  displayRoot: string;
  /** the template to render, relative to `root` */
  templatePath: string;
}

export interface RenderOptions {
  /** the sandbox to render in; the process-wide one with the default limits otherwise */
  sandbox?: RenderSandbox;
  /** a parsed values.schema.json the merged values must match */
  valuesSchema?: { schema: unknown; file: string };
}

let processSandbox: RenderSandbox | undefined;

/** The sandbox renders use unless given one: created on first use, kept for the process. */
export function defaultRenderSandbox(): RenderSandbox {
  processSandbox ??= new RenderSandbox();
  return processSandbox;
}

export async function renderTemplate(location: TemplateLocation, context: TemplateContext, options: RenderOptions = {}): Promise<string> {
  const { root, displayRoot, templatePath } = location;
  const file = posix.join(displayRoot, templatePath);
  if (resolveInside(root, templatePath, 'manifestPath') === undefined) {
    throw new DeployerError(InvalidPath, `manifestPath ${JSON.stringify(templatePath)} does not exist in ${JSON.stringify(displayRoot || '.')} at this commit`);
  }
  const sandbox = options.sandbox ?? defaultRenderSandbox();
  const loader = new ContainedLoader(root);
  const outcome = await sandbox.render({
    templatePath,
    context: context as unknown as Record<string, unknown>,
    valuesSchema: options.valuesSchema?.schema,
    readTemplate: (name) => loader.getSource(name),
  });
  if (loader.violation) throw loader.violation;
  switch (outcome.kind) {
    case 'rendered':
      return outcome.output;
    case 'schema':
      throw new DeployerError(ValuesInvalid, `the values do not match ${options.valuesSchema?.file ?? 'values.schema.json'}: ${outcome.problems.join('; ')}`);
    case 'timeout':
      throw new DeployerError(TemplateTimeout, `${file}: rendering used more than ${outcome.cpuMs} ms of CPU time and was stopped (an endless or very long loop?)`);
    case 'memory':
      throw new DeployerError(TemplateMemory, `${file}: rendering used more than the ${sandbox.limits.memoryMiB} MiB of memory a render may use and was stopped`);
    case 'template': {
      const where = describeTemplateError(outcome, loader.sources, displayRoot);
      throw new DeployerError(outcome.type === TemplateTooLarge || outcome.type === 'TemplateForbidden' ? outcome.type : TemplateError, where);
    }
  }
}

interface NunjucksError {
  message: string;
  lineno?: number;
  colno?: number;
  /** the error was raised by code nunjucks called (a filter, a lookup), not by nunjucks itself */
  wrapped: boolean;
}

// nunjucks prefixes the message with one "(template) [Line n, Column m]" line per template the
// error passed through, innermost last; only the template where it happened has the position.
const HEADER = /^\s*\((.*)\)( \[Line \d+(?:, Column \d+)?\])?$/;
const UNDEFINED_OUTPUT = 'attempted to output null or undefined value';

/** "file line N: what went wrong", from a nunjucks error. */
function describeTemplateError(error: NunjucksError, sources: ReadonlyMap<string, string>, displayRoot: string): string {
  const lines = error.message.split('\n');
  let file: string | undefined;
  let located: string | undefined;
  let first = 0;
  for (; first < lines.length; first++) {
    const header = HEADER.exec(lines[first]!);
    if (!header) break;
    file = header[1];
    if (header[2]) located = header[1];
  }
  file = located ?? file ?? 'template';
  const detail = lines.slice(first).join('\n').trim().replace(/^Error: /, '');

  // Errors nunjucks raises itself carry 1-based positions; errors it wraps (an unknown filter, a
  // call of undefined) carry the compiler's 0-based ones.
  const offset = error.wrapped ? 1 : 0;
  const source = sources.get(file);
  let line = typeof error.lineno === 'number' ? error.lineno + offset : undefined;
  if (line === undefined && /end of file/.test(detail) && source !== undefined) line = source.split('\n').length;
  const column = typeof error.colno === 'number' ? error.colno + offset : undefined;
  // nunjucks looks filters up before it tracks any position, so it reports line 1 for all of them.
  const unknownFilter = /^filter not found: (\S+)/.exec(detail)?.[1];
  if (unknownFilter !== undefined && source !== undefined) line = lineUsingFilter(source, unknownFilter) ?? line;

  let what = detail;
  if (detail === UNDEFINED_OUTPUT) {
    const expression = source !== undefined && line !== undefined && column !== undefined ? outputExpressionAt(source, line, column) : undefined;
    what = expression ? `${expression} is undefined (or null)` : 'a value in {{ }} is undefined (or null)';
  }
  const where = posix.join(displayRoot, file);
  return line !== undefined && line > 0 ? `${where} line ${line}: ${what}` : `${where}: ${what}`;
}

/** The first line (1-based) that pipes into `filter`. */
function lineUsingFilter(source: string, filter: string): number | undefined {
  const escaped = filter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const index = source.split('\n').findIndex((text) => new RegExp(`\\|\\s*${escaped}\\b`).test(text));
  return index === -1 ? undefined : index + 1;
}

/** The expression of the `{{ … }}` starting at (line, column), both 1-based. */
function outputExpressionAt(source: string, line: number, column: number): string | undefined {
  const text = source.split('\n')[line - 1];
  if (text === undefined) return undefined;
  return /^\{\{-?\s*(.*?)\s*-?\}\}/.exec(text.slice(column - 1))?.[1];
}
