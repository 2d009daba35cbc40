import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';
import { failureOf } from '../support/failures.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRenderedSize, maxRenderedBytes, parseManifestDocuments, serialiseDocuments } from '../../src/manifest/parse.js';
import { objectRefsOf } from '../../src/render/object-refs.js';
import { renderTemplate, type TemplateContext } from '../../src/render/template.js';
import { mergeValues, parseValues } from '../../src/render/values.js';


describe('mergeValues', () => {
  const repo = { image: { repository: 'web', tag: 'v1', pullPolicy: 'IfNotPresent' }, ports: [80, 443], replicas: 2, debug: true };

  it('merges mappings key by key and lets later layers win', () => {
    const environment = { image: { tag: 'v2' }, replicas: 3 };
    const release = { image: { tag: 'v3' } };
    expect(mergeValues(mergeValues(repo, environment), release)).toEqual({
      image: { repository: 'web', tag: 'v3', pullPolicy: 'IfNotPresent' },
      ports: [80, 443],
      replicas: 3,
      debug: true,
    });
  });

  it('replaces lists, scalars and mappings-by-scalars instead of merging them', () => {
    expect(mergeValues(repo, { ports: [8080], debug: null, image: 'web:latest' })).toEqual({
      image: 'web:latest',
      ports: [8080],
      replicas: 2,
      debug: null,
    });
  });

  it('leaves its inputs untouched', () => {
    const override = { image: { tag: 'v9' } };
    mergeValues(repo, override);
    expect(repo.image.tag).toBe('v1');
    expect(override).toEqual({ image: { tag: 'v9' } });
  });

  it('keeps a "__proto__" key as data instead of changing the prototype', () => {
    const merged = mergeValues({}, JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect((merged as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(merged)).toEqual(['__proto__']);
  });
});

describe('parseValues', () => {
  it('reads a float only where Kubernetes does: a digit before the exponent, at least one digit', () => {
    expect(parseValues('env: e0001\nother: E5\ndot: .\nexp: 1e3\nhalf: .5\nsmall: 2.5e-1\n', 'values.yaml')).toEqual({
      env: 'e0001',
      other: 'E5',
      dot: '.',
      exp: 1000,
      half: 0.5,
      small: 0.25,
    });
  });

  it('reads YAML the way Kubernetes does (1.1: 0644 is octal, yes is true)', () => {
    expect(parseValues('mode: 0644\nenabled: yes\ndate: 2024-01-01\n', 'values.yaml')).toEqual({ mode: 0o644, enabled: true, date: '2024-01-01' });
  });

  it('treats an empty file as no values', () => {
    expect(parseValues('# nothing yet\n', 'values.yaml')).toEqual({});
  });

  it('names the file and line of invalid YAML', async () => {
    const failure = await failureOf(() => parseValues('image:\n  tag: v1\n  tag: v2\n', 'envs/prod/values.yaml'));
    expect(failure.type).toBe('TemplateError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^envs\/prod\/values\.yaml line 3: invalid YAML: Map keys must be unique/);
  });

  it('refuses a top level that is not a mapping', async () => {
    const failure = await failureOf(() => parseValues('- a\n- b\n', 'values.yaml'));
    expect(failure.type).toBe('TemplateError');
    expect(failure.message).toBe('values.yaml: the top level must be a mapping of names to values, not a list');
  });
});

describe('renderTemplate', () => {
  let base: string;
  let root: string;
  const context: TemplateContext = {
    image_ref: 'registry.example/web@sha256:abc',
    project_name: 'shop',
    environment: 'prod',
    namespace: 'shop-prod',
    values: { replicas: 3, image: { pullPolicy: 'Always' } },
  };

  async function template(path: string, text: string): Promise<void> {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }

  const render = (templatePath: string, values = context.values) =>
    renderTemplate({ root, displayRoot: 'envs/prod', templatePath }, { ...context, values });

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'deployer-render-'));
    root = join(base, 'repo', 'envs', 'prod');
    await mkdir(root, { recursive: true });
    await writeFile(join(base, 'secret.yaml'), 'password: hunter2\n');
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('gives templates the image, names, namespace and values', async () => {
    await template(
      'templates/app.yaml.njk',
      'name: {{ project_name }}-{{ environment }}\nnamespace: {{ namespace }}\nimage: {{ image_ref }}\nreplicas: {{ values.replicas }}\npull: {{ values.image.pullPolicy }}\n',
    );
    expect(await render('templates/app.yaml.njk')).toBe(
      'name: shop-prod\nnamespace: shop-prod\nimage: registry.example/web@sha256:abc\nreplicas: 3\npull: Always\n',
    );
  });

  it('does not HTML-escape values', async () => {
    await template('escape.njk', 'cmd: {{ values.cmd }}\n');
    expect(await render('escape.njk', { cmd: 'a && b < c' })).toBe('cmd: a && b < c\n');
  });

  it('names the file, line and expression of an undefined value', async () => {
    await template('templates/undefined.yaml.njk', 'kind: Deployment\nimage: {{ image_ref }}\ntag: {{ values.image.tag }}\n');
    const failure = await failureOf(() => render('templates/undefined.yaml.njk'));
    expect(failure.type).toBe('TemplateError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('envs/prod/templates/undefined.yaml.njk line 3: values.image.tag is undefined (or null)');
  });

  it('names the included file when the undefined value is there', async () => {
    await template('partials/labels.njk', 'labels:\n  team: {{ values.team }}\n');
    await template('with-include.njk', 'kind: ConfigMap\n{% include "partials/labels.njk" %}\n');
    const failure = await failureOf(() => render('with-include.njk'));
    expect(failure.message).toBe('envs/prod/partials/labels.njk line 2: values.team is undefined (or null)');
  });

  it('resolves ./ includes against the including template', async () => {
    await template('nested/main.njk', 'a: 1\n{% include "./part.njk" %}');
    await template('nested/part.njk', 'b: 2\n');
    expect(await render('nested/main.njk')).toBe('a: 1\nb: 2\n');
  });

  it('names the line of a syntax error', async () => {
    await template('syntax.njk', 'a: 1\nb: 2\nc: {{ values. }}\n');
    const failure = await failureOf(() => render('syntax.njk'));
    expect(failure.type).toBe('TemplateError');
    expect(failure.message).toMatch(/^envs\/prod\/syntax\.njk line 3: expected name as lookup value, got }}/);
  });

  it('reports an unclosed block at the last line', async () => {
    await template('unclosed.njk', 'a: 1\n{% if values.replicas %}\nb: 2');
    const failure = await failureOf(() => render('unclosed.njk'));
    expect(failure.message).toBe('envs/prod/unclosed.njk line 3: parseIf: expected elif, else, or endif, got end of file');
  });

  it('reports a syntax error in an included template as a failure, not a crash', async () => {
    await template('partials/broken.njk', 'x: {% if %}\n');
    await template('includes-broken.njk', '{% include "partials/broken.njk" %}\n');
    const failure = await failureOf(() => render('includes-broken.njk'));
    expect(failure.type).toBe('TemplateError');
    expect(failure.message).toMatch(/^envs\/prod\/partials\/broken\.njk line 1: /);
  });

  it('names the line of an unknown filter', async () => {
    await template('filter.njk', 'a: 1\nb: {{ values.replicas | frobnicate }}\n');
    const failure = await failureOf(() => render('filter.njk'));
    expect(failure.message).toBe('envs/prod/filter.njk line 2: filter not found: frobnicate');
  });

  it('names a missing include', async () => {
    await template('missing-include.njk', 'a: 1\n{% include "nope.njk" %}\n');
    const failure = await failureOf(() => render('missing-include.njk'));
    expect(failure.type).toBe('TemplateError');
    expect(failure.message).toMatch(/^envs\/prod\/missing-include\.njk.*template not found: nope\.njk/);
  });

  it.each([
    ['../../../secret.yaml', 'leaves the repository through ".."'],
    ['./../secret.yaml', 'leaves the repository through ".."'],
    ['/etc/passwd', 'is absolute'],
  ])('refuses to include %s', async (target, reason) => {
    await template('escape-include.njk', `{% include "${target}" %}\n`);
    const failure = await failureOf(() => render('escape-include.njk'));
    expect(failure.type).toBe('TemplateForbidden');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(reason);
  });

  it('refuses an escaping include even when marked "ignore missing"', async () => {
    await template('escape-ignored.njk', 'a: 1\n{% include "../../../secret.yaml" ignore missing %}\n');
    expect((await failureOf(() => render('escape-ignored.njk'))).type).toBe('TemplateForbidden');
  });

  it('refuses a symlink that points outside the template root', async () => {
    await symlink(join(base, 'secret.yaml'), join(root, 'linked-secret.yaml'));
    await template('via-symlink.njk', '{% include "linked-secret.yaml" %}\n');
    const failure = await failureOf(() => render('via-symlink.njk'));
    expect(failure.type).toBe('TemplateForbidden');
    expect(failure.message).toMatch(/symlink that points outside the repository/);
    expect(failure.message).not.toContain('hunter2');
  });

  it('follows a symlink that stays inside', async () => {
    await template('real/target.njk', 'inside: true\n');
    await symlink(join(root, 'real', 'target.njk'), join(root, 'alias.njk'));
    expect(await render('alias.njk')).toBe('inside: true\n');
  });

  it('names a manifestPath that does not exist', async () => {
    const failure = await failureOf(() => render('templates/absent.njk'));
    expect(failure.type).toBe('InvalidPath');
    expect(failure.message).toBe('manifestPath "templates/absent.njk" does not exist in "envs/prod" at this commit');
  });
});

describe('parseManifestDocuments', () => {
  const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n';
  const service = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: edge\n';

  it('splits the documents, skipping empty ones', () => {
    const documents = parseManifestDocuments(`---\n# only a comment\n---\n${deployment}---\n---\n${service}\n---\n`, 'app.njk');
    expect(documents.map((d) => [d.index, d.line, d.object.kind])).toEqual([
      [2, 4, 'Deployment'],
      [4, 10, 'Service'],
    ]);
  });

  it('refuses a document that is not a mapping, naming its index and line', async () => {
    const failure = await failureOf(() => parseManifestDocuments(`${deployment}---\n- a\n- b\n`, 'envs/prod/app.njk'));
    expect(failure.type).toBe('InvalidManifest');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('envs/prod/app.njk: document 2 (rendered line 6) is a list, not a mapping (a Kubernetes object)');
  });

  it.each([
    ['metadata:\n  name: x\napiVersion: v1\n', 'has no kind'],
    ['kind: ConfigMap\nmetadata:\n  name: x\n', 'has no apiVersion'],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n', '(ConfigMap) has no metadata.name'],
    ['apiVersion: v1\nkind: 7\nmetadata:\n  name: x\n', 'has no kind'],
    ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: [a]\n', '(ConfigMap x) has a metadata.namespace that is not a non-empty string'],
  ])('refuses %j', async (document, problem) => {
    const failure = await failureOf(() => parseManifestDocuments(`${deployment}---\n${document}`, 'app.njk'));
    expect(failure.type).toBe('InvalidManifest');
    expect(failure.message).toContain(`app.njk: document 2 (rendered line 6) ${problem}`);
  });

  it('turns the items of a List into objects of their own, checking each', async () => {
    const list = 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n  - {apiVersion: v1, kind: Secret, metadata: {name: b}}\n';
    const documents = parseManifestDocuments(`${deployment}---\n${list}`, 'app.njk');
    expect(documents.map((d) => [d.index, d.item, d.object.kind])).toEqual([
      [1, undefined, 'Deployment'],
      [2, 1, 'ConfigMap'],
      [2, 2, 'Secret'],
    ]);
    expect(serialiseDocuments(documents)).not.toContain('kind: List');

    const broken = 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n  - {apiVersion: v1, metadata: {name: b}}\n';
    const failure = await failureOf(() => parseManifestDocuments(broken, 'app.njk'));
    expect(failure.message).toBe('app.njk: document 1 item 2 (rendered line 1) has no kind (a non-empty string is required)');
  });

  it('refuses one object twice, in any API version, naming both documents', async () => {
    const again = 'apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: web\n';
    const failure = await failureOf(() => parseManifestDocuments(`${deployment}---\n${service}---\n${again}`, 'app.njk'));
    expect(failure.type).toBe('InvalidManifest');
    expect(failure.message).toBe('app.njk: document 3 (rendered line 12) Deployment web (apps/v1beta2) appears more than once: also document 1 (rendered line 1)');
    // The same name in another namespace, or of another kind, is another object.
    const otherNamespace = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: core\n';
    expect(parseManifestDocuments(`${deployment}---\n${service}---\n${otherNamespace}`, 'app.njk')).toHaveLength(3);
  });

  it('keeps big integers exact for text written out again, and as numbers for objects sent as JSON', () => {
    const big = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  generation: 12345678901234567890\n';
    expect(parseManifestDocuments(big, 'app.njk')[0]!.object.metadata.generation).toBe(12345678901234567890n);
    expect(typeof parseManifestDocuments(big, 'app.njk', { exactIntegers: false })[0]!.object.metadata.generation).toBe('number');
  });

  it('names the line of invalid YAML', async () => {
    const failure = await failureOf(() => parseManifestDocuments(`${deployment}---\nkind: A\nkind: B\n`, 'app.njk'));
    expect(failure.type).toBe('InvalidManifest');
    expect(failure.message).toBe('app.njk: document 2 (rendered line 7) is not valid YAML: Map keys must be unique');
  });
});

describe('serialiseDocuments', () => {
  it('gives the same text for the same objects however the template spelled them', () => {
    const terse = parseManifestDocuments('{apiVersion: v1, kind: ConfigMap, metadata: {name: x}, data: {a: "1"}}\n', 'a');
    const verbose = parseManifestDocuments(
      '# comment\napiVersion: "v1"\nkind:   ConfigMap\nmetadata:\n    name: x   # trailing\ndata:\n    a: \'1\'\n',
      'b',
    );
    expect(serialiseDocuments(terse)).toBe(serialiseDocuments(verbose));
    expect(serialiseDocuments(terse)).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n');
  });

  it('joins documents with ---', () => {
    const documents = parseManifestDocuments('apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n', 'x');
    expect(serialiseDocuments(documents)).toBe('apiVersion: v1\nkind: A\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: B\nmetadata:\n  name: b\n');
  });

  it('keeps the meaning Kubernetes gives the rendered text, for YAML 1.1 and 1.2 readers alike', () => {
    const rendered =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  defaultMode: 0644\n  flag: "yes"\n  octal: "0o17"\n  big: 12345678901234567890\n  anchor: &a {x: 1}\n  alias: *a\n';
    const text = serialiseDocuments(parseManifestDocuments(rendered, 'x'));
    // A YAML 1.2 reader (the yaml package's default) and a 1.1 reader (Kubernetes) agree.
    expect(YAML.parse(text, { intAsBigInt: true }).spec).toEqual({
      defaultMode: 420n,
      flag: 'yes',
      octal: '0o17',
      big: 12345678901234567890n,
      anchor: { x: 1n },
      alias: { x: 1n },
    });
    expect(YAML.parse(text, { version: '1.1' }).spec).toMatchObject({ defaultMode: 420, flag: 'yes', octal: '0o17' });
    expect(text).not.toContain('&');
  });
});

describe('objectRefsOf', () => {
  const rendered = [
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop-prod}',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}',
    'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: edge}',
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}',
  ].join('\n---\n');

  it('fills the namespace of namespaced kinds only', () => {
    expect(objectRefsOf(parseManifestDocuments(rendered, 'x'), 'shop-prod', 'x')).toEqual([
      { apiVersion: 'v1', kind: 'Namespace', name: 'shop-prod' },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop-prod' },
      { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'edge' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'reader' },
    ]);
  });

  it('refuses the same object twice, across versions of its group', async () => {
    const twice = `${rendered}\n---\napiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: web, namespace: shop-prod}\n`;
    const failure = await failureOf(() => objectRefsOf(parseManifestDocuments(twice, 'x'), 'shop-prod', 'app.njk'));
    expect(failure.type).toBe('InvalidManifest');
    expect(failure.message).toBe('app.njk: document 5 (rendered line 17) declares Deployment shop-prod/web again; document 2 already does');
  });
});

describe('size limit', () => {
  it('accepts exactly 1 MiB and refuses one byte more', async () => {
    expect(() => assertRenderedSize('x'.repeat(maxRenderedBytes), 'app.njk')).not.toThrow();
    const failure = await failureOf(() => assertRenderedSize('x'.repeat(maxRenderedBytes + 1), 'envs/prod/app.njk'));
    expect(failure.type).toBe('TemplateTooLarge');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^envs\/prod\/app\.njk rendered to 1048577 bytes; the limit is 1048576 bytes/);
  });

  it('counts bytes, not characters', async () => {
    const failure = await failureOf(() => assertRenderedSize('é'.repeat(maxRenderedBytes / 2 + 1), 'app.njk'));
    expect(failure.type).toBe('TemplateTooLarge');
  });

  it('stops a loop that blows the output up while it renders, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deployer-render-size-'));
    try {
      await writeFile(join(dir, 'big.njk'), '{% for i in range(0, 40000) %}key{{ i }}: {{ values.filler }}\n{% endfor %}');
      const failure = await failureOf(() =>
        renderTemplate(
          { root: dir, displayRoot: 'ops', templatePath: 'big.njk' },
          { image_ref: 'x', project_name: 'p', environment: 'e', namespace: 'n', values: { filler: 'y'.repeat(30) } },
        ),
      );
      expect(failure.type).toBe('TemplateTooLarge');
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(/^ops\/big\.njk line 1: the template produced more than 1048576 bytes of output$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
