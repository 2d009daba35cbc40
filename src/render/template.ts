// Renders the environment's manifest template with nunjucks. Every template failure becomes a
// non-retryable TemplateError whose message starts with the file (relative to the repository
// root) and line, because that is what the person fixing the ops repo needs first.
import { posix } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import nunjucks from 'nunjucks';
import { resolveInside } from '../git/checkout.js';
import { ContainedLoader } from './contained-loader.js';
import type { Values } from './values.js';

/** The variables a template sees. Names are snake_case, as templates usually spell them. */
export interface TemplateContext {
  image_ref: string;
  project_name: string;
  environment: string;
  namespace: string;
  values: Values;
}

export interface TemplateLocation {
  /** directory the loader is rooted at (the ops repo sub-path inside a checkout) */
  root: string;
  /** that directory relative to the repository root, to name files in messages */
  displayRoot: string;
  /** the template to render, relative to `root` */
  templatePath: string;
}

export async function renderTemplate(location: TemplateLocation, context: TemplateContext): Promise<string> {
  const { root, displayRoot, templatePath } = location;
  if (resolveInside(root, templatePath, 'manifestPath') === undefined) {
    throw ApplicationFailure.nonRetryable(
      `manifestPath ${JSON.stringify(templatePath)} does not exist in ${JSON.stringify(displayRoot || '.')} at this commit`,
      'InvalidPath',
    );
  }
  const loader = new ContainedLoader(root);
  // dev: keep nunjucks' own error object (it carries lineno/colno); otherwise it is replaced by
  // a bare Error. Callback mode: in synchronous mode an error in an included template is thrown
  // from a callback, outside any try/catch, and takes the worker process down.
  const env = new nunjucks.Environment(loader, { autoescape: false, throwOnUndefined: true, dev: true });
  let rendered: string;
  try {
    rendered = await new Promise<string>((resolve, reject) => {
      env.render(templatePath, context, (error, result) => (error ? reject(error) : resolve(result ?? '')));
    });
  } catch (error) {
    if (loader.violation) throw loader.violation;
    throw ApplicationFailure.nonRetryable(describeTemplateError(error as NunjucksError, loader.sources, displayRoot), 'TemplateError');
  }
  if (loader.violation) throw loader.violation;
  return rendered;
}

interface NunjucksError extends Error {
  lineno?: number;
  colno?: number;
  cause?: unknown;
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
  const offset = error.cause === undefined ? 0 : 1;
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
