// The JavaScript a render isolate starts with: the JSON Schema validator's CommonJS files wrapped as
// module factories, nunjucks' browser build, then our own set-up (in-isolate.js). Read once per
// process; each isolate compiles it once and keeps the result for its lifetime.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

function jsonSchemaModules(): string {
  const dir = dirname(require.resolve('@cfworker/json-schema'));
  const factories = readdirSync(dir)
    .filter((file) => file.endsWith('.js'))
    .map((file) => {
      const source = readFileSync(join(dir, file), 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, '');
      return `${JSON.stringify(file)}: function (module, exports, require, URL) {\n${source}\n}`;
    });
  return `globalThis.__deployerJsonSchemaModules = {\n${factories.join(',\n')}\n};\n`;
}

let program: string | undefined;

export function isolateProgram(): string {
  program ??= [
    jsonSchemaModules(),
    readFileSync(join(here, 'json-schema-in-isolate.js'), 'utf8'),
    // The UMD wrapper of the browser build assigns to `this.nunjucks` when there is no module system.
    readFileSync(join(dirname(require.resolve('nunjucks')), 'browser', 'nunjucks.js'), 'utf8'),
    readFileSync(join(here, 'in-isolate.js'), 'utf8'),
  ].join('\n;\n');
  return program;
}
