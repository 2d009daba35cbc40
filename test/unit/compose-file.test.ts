// docker-compose.yml cannot run here (no Docker engine), so this checks that everything it
// references exists in the project: build contexts, commands, variables, ports, search attributes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { temporalSearchAttributes } from '../../scripts/stack/layout.js';
import { commands } from '../../src/cli.js';
import { configVariables } from '../../src/config.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = YAML.parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
const built = services.filter(([, s]) => s.build);
const nodeVariables: Record<string, RegExp> = { NODE_OPTIONS: /^--max-old-space-size=\d+$/ };

describe('docker-compose.yml', () => {
  it('builds the app from a Dockerfile whose copied paths exist', () => {
    expect(built.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'worker']);
    for (const [, service] of built) {
      const context = typeof service.build === 'string' ? service.build : service.build!.context;
      const dockerfile = join(root, context, typeof service.build === 'object' && service.build.dockerfile ? service.build.dockerfile : 'Dockerfile');
      expect(existsSync(dockerfile), dockerfile).toBe(true);
      const copied = [...readFileSync(dockerfile, 'utf8').matchAll(/^COPY\s+(.+)\s+\S+$/gm)].flatMap((m) => m[1]!.split(/\s+/));
      for (const source of copied) expect(existsSync(join(root, context, source)), `COPY ${source}`).toBe(true);
      expect(readFileSync(dockerfile, 'utf8')).toContain('ENTRYPOINT ["bin/deployer"]');
    }
  });

  it('runs only commands the CLI has', () => {
    for (const [name, service] of built) {
      const command = Array.isArray(service.command) ? service.command.join(' ') : service.command ?? 'server';
      expect(Object.keys(commands), `${name}: ${command}`).toContain(command);
    }
  });

  it('sets only variables the configuration reads, with valid values, and maps the ports it configures', () => {
    for (const [name, service] of built) {
      for (const [variable, value] of Object.entries(service.environment ?? {})) {
        // Node's own settings (the worker's heap size) are read by Node, not by src/config.ts.
        const forNode = nodeVariables[variable];
        if (forNode) {
          expect(value, `${name}: ${variable}`).toMatch(forNode);
          continue;
        }
        expect(Object.keys(configVariables), `${name}: ${variable}`).toContain(variable);
        const schema = configVariables[variable as keyof typeof configVariables].schema;
        expect(schema.safeParse(value).success, `${name}: ${variable}=${value}`).toBe(true);
      }
    }
    const containerPort = (service: Service) => service.ports!.map((p) => p.split(':').at(-1));
    expect(containerPort(compose.services.api!)).toEqual([compose.services.api!.environment!.DEPLOYER_API_PORT]);
    expect(containerPort(compose.services.worker!)).toEqual([compose.services.worker!.environment!.DEPLOYER_WORKER_METRICS_PORT]);
    expect(compose.services.worker!.healthcheck!.test.join(' ')).toContain(`:${compose.services.worker!.environment!.DEPLOYER_WORKER_METRICS_PORT}/healthz`);
    expect(compose.services.api!.healthcheck!.test.join(' ')).toContain(`:${compose.services.api!.environment!.DEPLOYER_API_PORT}/readyz`);
  });

  it('points the app at the services it starts, and waits for them', () => {
    const names = new Set(Object.keys(compose.services));
    for (const [name, service] of services) {
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(names.has(dependency), `${name} → ${dependency}`).toBe(true);
    }
    for (const [, service] of built) {
      const database = service.environment?.DATABASE_URL;
      if (database) expect(names.has(new URL(database).hostname)).toBe(true);
      const temporal = service.environment?.TEMPORAL_ADDRESS;
      if (temporal) expect(names.has(temporal.split(':')[0]!)).toBe(true);
    }
    for (const name of ['temporal', 'temporal-db', 'app-db', 'worker', 'api']) expect(compose.services[name]!.healthcheck, name).toBeDefined();
  });

  it('registers the search attributes the workflow upserts', () => {
    const setup = compose.services['temporal-search-attributes']!;
    const script = (Array.isArray(setup.command) ? setup.command.join(' ') : setup.command) ?? '';
    const registered = /for name in ([^;]+);/.exec(script)![1]!.trim().split(/\s+/);
    expect(registered).toEqual(temporalSearchAttributes);
    expect(script).toContain('--type Keyword');
  });
});
