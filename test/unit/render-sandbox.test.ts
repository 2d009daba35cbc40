// The render sandbox against templates written by an attacker, and interpolated values that try
// to become YAML structure. Real isolates (isolated-vm), real nunjucks; no services.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifestDocuments } from '../../src/manifest/parse.js';
import { RenderSandbox } from '../../src/render/sandbox/render-sandbox.js';
import { renderTemplate } from '../../src/render/template.js';
import { failureOf } from '../support/failures.js';

let base: string;
let root: string;
// Short limits keep the bombs quick; the defaults are the same mechanism with larger numbers.
const sandbox = new RenderSandbox({ cpuTimeMs: 1_000, memoryMiB: 32, maxOutputBytes: 64 * 1024 }, 2);
const SECRET = 'hunter2-secret-value';

async function template(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

const render = (templatePath: string, values: Record<string, unknown> = {}, valuesSchema?: unknown) =>
  renderTemplate(
    { root, displayRoot: 'ops', templatePath },
    { image_ref: 'registry.example/web:1', project_name: 'shop', environment: 'prod', namespace: 'shop-prod', values },
    { sandbox, valuesSchema: valuesSchema === undefined ? undefined : { schema: valuesSchema, file: 'ops/values.schema.json' } },
  );

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'deployer-sandbox-'));
  root = join(base, 'repo');
  await mkdir(root, { recursive: true });
  await writeFile(join(base, 'secret.txt'), `${SECRET}\n`);
  process.env.DEPLOYER_SANDBOX_TEST_SECRET = SECRET;
});
afterAll(async () => {
  sandbox.close();
  delete process.env.DEPLOYER_SANDBOX_TEST_SECRET;
  await rm(base, { recursive: true, force: true });
});

describe('escape routes', () => {
  it.each([
    ['range.constructor', '{{ range.constructor.constructor("return process")().env.DEPLOYER_SANDBOX_TEST_SECRET }}'],
    ['a computed member name', '{{ range["constr" + "uctor"]["constructor"]("return process")() }}'],
    ['cycler', '{{ cycler(1).next.constructor("return process")() }}'],
    ['joiner', '{{ joiner().constructor.constructor("return process")() }}'],
    ['loop', '{% for x in [1] %}{{ loop.constructor.constructor("return process")() }}{% endfor %}'],
    ['__proto__', '{{ values.__proto__.constructor }}'],
    ['prototype', '{{ range.prototype }}'],
    ['a string method', '{{ "x".toString.constructor("return process")() }}'],
    ['sort by attribute', '{{ [range] | sort(false, false, "constructor.constructor") }}'],
    ['__lookupGetter__', '{{ values.__lookupGetter__("x") }}'],
  ])('%s is refused as TemplateForbidden', async (_name, text) => {
    await template('escape.njk', `a: ${text}\n`);
    const failure = await failureOf(() => render('escape.njk', { list: [1] }));
    expect(failure.type).toBe('TemplateForbidden');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^ops\/escape\.njk line 1: access to the member "[A-Za-z_]+" is not allowed in templates$/);
    expect(failure.message).not.toContain(SECRET);
  });

  it('sees no process or require, and process.getBuiltinModule is refused by name', async () => {
    await template('globals.njk', 'p: {{ process }}\n');
    const undefinedProcess = await failureOf(() => render('globals.njk'));
    expect(undefinedProcess.type).toBe('TemplateError');
    expect(undefinedProcess.message).toBe('ops/globals.njk line 1: process is undefined (or null)');
    await template('require.njk', 'r: {{ require("fs") }}\n');
    expect((await failureOf(() => render('require.njk'))).message).toMatch(/^ops\/require\.njk line 1: .*(undefined|not a function)/);
    await template('getbuiltin.njk', '{{ values.process.getBuiltinModule("fs") }}\n');
    const failure = await failureOf(() => render('getbuiltin.njk', { process: {} }));
    expect(failure.type).toBe('TemplateForbidden');
  });

  it.each([
    ['an absolute path', '/etc/passwd'],
    ['a path out through ..', '../secret.txt'],
  ])('an include of %s is TemplateForbidden and reads nothing', async (_name, target) => {
    await template('include.njk', `a: 1\n{% include "${target}" ignore missing %}\n`);
    const failure = await failureOf(() => render('include.njk'));
    expect(failure.type).toBe('TemplateForbidden');
    expect(failure.message).not.toContain(SECRET);
    expect(failure.message).not.toContain('root:');
  });

  it('an include through a symlink that points out of the repo is TemplateForbidden', async () => {
    await symlink(join(base, 'secret.txt'), join(root, 'linked.txt'));
    await template('via-link.njk', '{% include "linked.txt" %}\n');
    const failure = await failureOf(() => render('via-link.njk'));
    expect(failure.type).toBe('TemplateForbidden');
    expect(failure.message).toMatch(/symlink that points outside the repository/);
    expect(failure.message).not.toContain(SECRET);
  });
});

describe('limits', () => {
  it('stops an endless loop by its CPU time, and the event loop keeps running meanwhile', async () => {
    await template('spin.njk', '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const started = Date.now();
    const failure = await failureOf(() => render('spin.njk'));
    clearInterval(timer);
    expect(failure.type).toBe('TemplateTimeout');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('ops/spin.njk: rendering used more than 1000 ms of CPU time and was stopped (an endless or very long loop?)');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    // The worker's own timers fired all along: the render ran on the isolate's thread.
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 50 / 2));
  });

  it('stops a memory bomb at the isolate limit without harming the process', async () => {
    await template('grow.njk', '{% set a = [] %}{% for i in range(100000000) %}{% set _ = a.push("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" ~ i) %}{% endfor %}');
    const failure = await failureOf(() => render('grow.njk'));
    expect(failure.type).toBe('TemplateMemory');
    expect(failure.message).toBe('ops/grow.njk: rendering used more than the 32 MiB of memory a render may use and was stopped');
    // The sandbox replaced the isolate: the next render works.
    await template('ok.njk', 'ok: {{ project_name }}\n');
    expect(await render('ok.njk')).toBe('ok: shop\n');
  });

  it('stops a string-doubling bomb', async () => {
    await template('double.njk', '{% set s = "xxxxxxxxxxxxxxxx" %}{% for i in range(40) %}{% set s = s ~ s %}{% endfor %}{{ s }}');
    const failure = await failureOf(() => render('double.njk'));
    expect(['TemplateMemory', 'TemplateError', 'TemplateTooLarge']).toContain(failure.type);
    expect(failure.nonRetryable).toBe(true);
  });

  it('counts output while rendering: literal text and values alike', async () => {
    await template('text-loop.njk', '{% for i in range(100000) %}padding padding padding padding\n{% endfor %}');
    expect((await failureOf(() => render('text-loop.njk'))).type).toBe('TemplateTooLarge');
    await template('value-loop.njk', '{% for i in range(100000) %}{{ values.s }}{% endfor %}');
    expect((await failureOf(() => render('value-loop.njk', { s: 'x'.repeat(100) }))).type).toBe('TemplateTooLarge');
  });

  it('renders many templates concurrently on a small pool', async () => {
    await template('n.njk', 'n: {{ values.n }}\n');
    const outputs = await Promise.all(Array.from({ length: 20 }, (_, n) => render('n.njk', { n })));
    expect(outputs).toEqual(Array.from({ length: 20 }, (_, n) => `n: ${n}\n`));
  });
});

describe('values are data', () => {
  const injection = '1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pwned\n  namespace: kube-system';

  it('a value cannot add a document, a key or an object', async () => {
    await template('app.njk', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  replicas: {{ values.replicas }}\n  name: {{ values.name }}\n  flow: [{{ values.item }}]\n  obj: {{ values.brace }}\n');
    const values = { replicas: injection, name: 'a: b', item: 'x, evil: 1', brace: '{"evil": 1}' };
    const rendered = await render('app.njk', values);
    const documents = parseManifestDocuments(rendered, 'app.njk');
    expect(documents).toHaveLength(1);
    expect(documents[0]!.object.data).toEqual({ replicas: injection, name: 'a: b', flow: ['x, evil: 1'], obj: '{"evil": 1}' });
  });

  it.each([
    ['a newline', 'a\nb: c'],
    ['a document marker', '---'],
    ['a comment', 'x #'],
    ['a leading indicator', '&anchor'],
    ['a quote', '"x'],
    ['a line separator', 'a\u2028b: c'],
  ])('a string with %s stays one string', async (_name, value) => {
    await template('one.njk', 'key: {{ values.v }}\n');
    expect(YAML.parse(await render('one.njk', { v: value }), { version: '1.1' })).toEqual({ key: value });
  });

  it('leaves plain words, image refs and numbers as they are written', async () => {
    await template('plain.njk', 'name: {{ project_name }}-config\nimage: {{ image_ref }}\ncmd: {{ values.cmd }}\nn: {{ values.n }}\nlist: {{ values.list }}\n');
    expect(await render('plain.njk', { cmd: 'a && b < c', n: 3, list: ['a', 1] })).toBe(
      'name: shop-config\nimage: registry.example/web:1\ncmd: a && b < c\nn: 3\nlist: ["a",1]\n',
    );
  });

  it('| raw writes text as YAML, as the template author asked', async () => {
    await template('raw.njk', 'data:\n{{ values.block | raw }}\n');
    expect(YAML.parse(await render('raw.njk', { block: '  a: 1\n  b: 2' }))).toEqual({ data: { a: 1, b: 2 } });
  });

  it('| toYaml(indent) writes a nested value as block YAML that reads back the same', async () => {
    const resources = { limits: { cpu: '500m', memory: '128Mi' }, flags: ['yes', 'on', '0644', 'a: b', 'x\ny'], empty: {}, none: [], n: 1.5, t: true, z: null };
    await template('toyaml.njk', 'spec:\n  resources: {{ values.resources | toYaml(4) }}\n  top:\n{{ values.resources | toYaml }}\n');
    const parsed = YAML.parse(await render('toyaml.njk', { resources }), { version: '1.1' }) as { spec: { resources: unknown } };
    expect(parsed.spec.resources).toEqual(resources);
  });

  it('| dump, | e and | escape cannot smuggle structure either', async () => {
    await template('filters.njk', 'a: {{ values.v | dump }}\nb: {{ values.v | e }}\nc: {{ values.v | escape }}\n');
    const value = 'x\ny: z';
    expect(YAML.parse(await render('filters.njk', { v: value }))).toEqual({ a: value, b: value, c: value });
  });
});

describe('values.schema.json', () => {
  const schema = {
    type: 'object',
    properties: {
      replicas: { type: 'integer', minimum: 1 },
      image: { type: 'object', properties: { tag: { type: 'string', pattern: '^v' } }, required: ['tag'] },
    },
    required: ['replicas'],
  };

  it('accepts values that match', async () => {
    await template('schema.njk', 'r: {{ values.replicas }}\n');
    expect(await render('schema.njk', { replicas: 2, image: { tag: 'v1' } }, schema)).toBe('r: 2\n');
  });

  it('refuses values that do not, naming each value path', async () => {
    const failure = await failureOf(() => render('schema.njk', { replicas: '2', image: { tag: '1' } }, schema));
    expect(failure.type).toBe('ValuesInvalid');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^the values do not match ops\/values\.schema\.json: /);
    expect(failure.message).toContain('values.replicas');
    expect(failure.message).toContain('values.image.tag');
  });

  it('stops a schema pattern that backtracks forever at the CPU limit', async () => {
    const evil = { type: 'object', properties: { s: { type: 'string', pattern: '^(a+)+$' } } };
    const failure = await failureOf(() => render('schema.njk', { replicas: 1, s: `${'a'.repeat(40)}!` }, evil));
    expect(failure.type).toBe('TemplateTimeout');
  });
});
