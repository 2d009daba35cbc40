// The price of the render sandbox: the same templates rendered by the sandbox (nunjucks in
// reused V8 isolates, values written as YAML data) and by plain in-process nunjucks (what the
// worker did before: a new Environment per render over the same contained file loader), side by
// side in one run. Needs no services. Usage: `npx tsx bench/render.ts [renders per case]`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { resolveInside } from '../src/git/checkout.js';
import { ContainedLoader } from '../src/render/contained-loader.js';
import { RenderSandbox } from '../src/render/sandbox/render-sandbox.js';
import { renderTemplate, type TemplateContext } from '../src/render/template.js';
import { parseValues } from '../src/render/values.js';

const renders = Number(process.argv[2] ?? 1000);
const sampleDir = fileURLToPath(new URL('../sample/ops-repo', import.meta.url));

// 10 services × (ConfigMap, ServiceAccount, Service, Deployment) = 40 objects, from one loop.
const fortyObjects = `{% for svc in values.services %}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ svc.name }}-config
  labels: {{ values.labels | toYaml(4) }}
data:
  greeting: {{ values.greeting }}
  index: {{ loop.index | string }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ svc.name }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ svc.name }}
spec:
  selector:
    app: {{ svc.name }}
  ports:
    - port: {{ svc.port }}
      targetPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ svc.name }}
spec:
  replicas: {{ svc.replicas }}
  selector:
    matchLabels:
      app: {{ svc.name }}
  template:
    metadata:
      labels:
        app: {{ svc.name }}
    spec:
      serviceAccountName: {{ svc.name }}
      containers:
        - name: web
          image: {{ image_ref }}
          resources: {{ values.resources | toYaml(12) }}
---
{% endfor %}`;

// The plain renderer has no toYaml filter; it gets the closest plain equivalent (JSON).
const plainFilters = { toYaml: (value: unknown) => JSON.stringify(value) };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Case {
  name: string;
  root: string;
  displayRoot: string;
  templatePath: string;
  context: TemplateContext;
}

// The same file access the worker's renderer has (containment checks, realpath), as before.
class FileLoader implements nunjucks.ILoader {
  private readonly contained: ContainedLoader;
  constructor(root: string) {
    this.contained = new ContainedLoader(root);
  }
  getSource(name: string) {
    const found = this.contained.getSource(name);
    return (found === null ? null : { ...found, noCache: true }) as nunjucks.LoaderSource;
  }
}

function renderPlain(c: Case): Promise<string> {
  if (resolveInside(c.root, c.templatePath, 'manifestPath') === undefined) throw new Error('no template');
  const env = new nunjucks.Environment(new FileLoader(c.root), { autoescape: false, throwOnUndefined: true, dev: true });
  for (const [name, filter] of Object.entries(plainFilters)) env.addFilter(name, filter);
  return new Promise((resolve, reject) => env.render(c.templatePath, c.context, (error, result) => (error ? reject(error) : resolve(result ?? ''))));
}

async function latency(run: () => Promise<string>): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 0; i < 50; i++) await run(); // warm-up: JIT, isolates created
  const times: number[] = [];
  for (let i = 0; i < renders; i++) {
    const started = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

/** Renders per second with `concurrency` renders in flight, over `seconds`. */
async function throughput(run: () => Promise<string>, concurrency: number, seconds = 3): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        await run();
        done++;
      }
    }),
  );
  return done / seconds;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'deployer-bench-render-'));
  await writeFile(join(dir, 'forty.yaml.njk'), fortyObjects);
  const sampleValues = parseValues(readFileSync(join(sampleDir, 'values.yaml'), 'utf8'), 'values.yaml');
  const base = { image_ref: 'registry.example/bench/web:1.0.0', project_name: 'bench', environment: 'dev', namespace: 'bench-dev' };
  const cases: Case[] = [
    { name: 'sample (3 objects)', root: sampleDir, displayRoot: '', templatePath: 'app.yaml.njk', context: { ...base, values: sampleValues } },
    {
      name: '40 objects',
      root: dir,
      displayRoot: '',
      templatePath: 'forty.yaml.njk',
      context: {
        ...base,
        values: {
          greeting: 'hello',
          labels: { team: 'bench', tier: 'web' },
          resources: { requests: { cpu: '50m', memory: '64Mi' } },
          services: Array.from({ length: 10 }, (_, i) => ({ name: `svc-${i}`, port: 8000 + i, replicas: 1 + (i % 3) })),
        },
      },
    },
  ];

  const coldStarted = process.hrtime.bigint();
  const sandbox = new RenderSandbox();
  await renderTemplate(cases[0]!, cases[0]!.context, { sandbox });
  const coldMs = Number(process.hrtime.bigint() - coldStarted) / 1e6;

  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, ${renders} renders per case, sandbox pool of ${sandbox.size} isolates`);
  console.log(`first render (creates an isolate, loads nunjucks): ${coldMs.toFixed(1)} ms`);
  console.log('| template | renderer | p50 | p99 | mean | renders/s (1 in flight) | renders/s (8 in flight) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const c of cases) {
    const sandboxed = () => renderTemplate(c, c.context, { sandbox });
    const plain = () => renderPlain(c);
    for (const [label, run] of [['plain nunjucks', plain], ['sandbox', sandboxed]] as const) {
      const l = await latency(run);
      const one = await throughput(run, 1);
      const eight = await throughput(run, 8);
      console.log(`| ${c.name} | ${label} | ${l.p50.toFixed(3)} ms | ${l.p99.toFixed(3)} ms | ${l.mean.toFixed(3)} ms | ${one.toFixed(0)} | ${eight.toFixed(0)} |`);
    }
  }
  sandbox.close();
  await rm(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
