import { describe, expect, it } from 'vitest';
import { applyInput, renderInput, syncInput, type EnvironmentConfig } from '../../src/domain/release-steps.js';
import { defaultPolicy } from '../../src/domain/vocabulary.js';

const config: EnvironmentConfig = {
  project: 'shop',
  environment: 'prod',
  namespace: 'shop-prod',
  opsRepo: { url: 'https://git.example/ops.git', branch: 'main', path: 'envs' },
  manifestPath: 'app.yaml.njk',
  valuesOverride: { replicas: 2 },
  policy: { ...defaultPolicy, forceConflicts: false, hasAutoscaler: true },
  impersonate: { user: 'system:serviceaccount:shop-prod:deployer' },
};

describe('what each step of a release is given', () => {
  it('syncs a pinned release to its own commit and a followed one to the branch head, the head the poller saw when it has one', () => {
    expect(syncInput(config, { pinned: true, opsSha: 'abc' }, 'head')).toEqual({ opsRepo: config.opsRepo, pinSha: 'abc', knownHead: undefined });
    expect(syncInput(config, { pinned: false, opsSha: 'abc' }, 'head')).toEqual({ opsRepo: config.opsRepo, pinSha: undefined, knownHead: 'head' });
    expect(syncInput(config, { pinned: false })).toEqual({ opsRepo: config.opsRepo, pinSha: undefined, knownHead: undefined });
  });

  it("renders the environment's values under the release's own", () => {
    expect(renderInput(config, { imageRef: 'web:2', pinned: false, valuesOverride: { replicas: 3 } }, 'abc')).toEqual({
      opsRepo: config.opsRepo,
      sha: 'abc',
      manifestPath: 'app.yaml.njk',
      project: 'shop',
      environment: 'prod',
      namespace: 'shop-prod',
      imageRef: 'web:2',
      valuesOverrides: [{ replicas: 2 }, { replicas: 3 }],
    });
    expect(renderInput(config, { imageRef: 'web:2', pinned: false }, 'abc').valuesOverrides).toEqual([{ replicas: 2 }, {}]);
  });

  it('applies a release as the policy says and a drift pass forcing, only what drifted, as the same identity', () => {
    const common = { project: 'shop', environment: 'prod', namespace: 'shop-prod', manifestHash: 'h', omitReplicas: true, impersonate: config.impersonate };
    expect(applyInput('release', config, 'h')).toEqual({ ...common, forceConflicts: false });
    expect(applyInput('drift', config, 'h')).toEqual({ ...common, forceConflicts: true, onlyDrifted: true });
  });
});
