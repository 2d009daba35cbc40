// Metric names follow the Prometheus conventions: one `deployer_` prefix, snake case, units and
// `_total` suffixes as the client library names them (no doubled prefix).
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/observability/metrics.js';

describe('metric names', () => {
  it('carry one deployer_ prefix, in snake case', async () => {
    const names = (await registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toContain('deployer_process_cpu_seconds_total');
    expect(names).toContain('deployer_process_resident_memory_bytes');
    expect(names).toContain('deployer_deployments_total');
    for (const name of names) {
      expect(name).toMatch(/^deployer_[a-z][a-z0-9_]*$/);
      expect(name).not.toMatch(/^deployer_(process_process|nodejs_nodejs|deployer)_/);
    }
  });
});
