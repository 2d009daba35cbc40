// Which environments a move of an ops repo branch concerns, and what they are told.
import { describe, expect, it } from 'vitest';
import { changedSince, describeBranchMove, environmentsAffected, isUnderRepoPath, type RepoRowOnBranch } from '../../src/domain/ops-repo-changes.js';
import { pollIntervalMs } from '../../src/domain/ops-repo-poller.js';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const row = (name: string, path: string, lastSha: string | null, ...environments: string[]): RepoRowOnBranch => ({
  name,
  path,
  lastSha,
  environments: environments.map((environment) => ({ project: 'shop', environment })),
});

describe('isUnderRepoPath', () => {
  it('counts files under the path, and every file for the repository root', () => {
    expect(isUnderRepoPath('envs/a/values.yaml', 'envs/a')).toBe(true);
    expect(isUnderRepoPath('envs/a/deep/x.njk', 'envs/a')).toBe(true);
    expect(isUnderRepoPath('envs/ab/values.yaml', 'envs/a')).toBe(false);
    expect(isUnderRepoPath('envs/a', 'envs/a')).toBe(true);
    expect(isUnderRepoPath('README.md', 'envs/a')).toBe(false);
    for (const root of ['', '.', './']) expect(isUnderRepoPath('anything/at/all', root)).toBe(true);
    expect(isUnderRepoPath('envs/a/values.yaml', 'envs/a/')).toBe(true);
  });
});

describe('changedSince', () => {
  it("counts from the poller's previous head, else (first poll) from the row's record", () => {
    expect(changedSince({ lastSha: OLD }, NEW, undefined)).toBe(OLD);
    expect(changedSince({ lastSha: 'c'.repeat(40) }, NEW, OLD)).toBe(OLD);
    expect(changedSince({ lastSha: null }, NEW, OLD)).toBe(OLD);
  });

  it('has nothing to count from on a first poll of a never-synced row, or when nothing moved', () => {
    expect(changedSince({ lastSha: null }, NEW, undefined)).toBeUndefined();
    expect(changedSince({ lastSha: NEW }, NEW, undefined)).toBeUndefined();
    expect(changedSince({ lastSha: OLD }, NEW, NEW)).toBeUndefined();
  });
});

describe('environmentsAffected', () => {
  const rows = [row('ops-a', 'a', OLD, 'a1', 'a2'), row('ops-b', 'b', OLD, 'b1'), row('ops-root', '.', OLD, 'root')];

  it('picks the environments of rows whose path holds a changed file', () => {
    const affected = environmentsAffected(rows, NEW, OLD, new Map([[OLD, ['a/values.yaml', 'a/app.yaml.njk']]]));
    expect(affected).toEqual([
      { project: 'shop', environment: 'a1', repo: 'ops-a', files: ['a/values.yaml', 'a/app.yaml.njk'] },
      { project: 'shop', environment: 'a2', repo: 'ops-a', files: ['a/values.yaml', 'a/app.yaml.njk'] },
      { project: 'shop', environment: 'root', repo: 'ops-root', files: ['a/values.yaml', 'a/app.yaml.njk'] },
    ]);
  });

  it('leaves out rows whose path nothing touched, and a commit that touches no row', () => {
    expect(environmentsAffected(rows.slice(0, 2), NEW, OLD, new Map([[OLD, ['b/values.schema.json']]])).map((e) => e.environment)).toEqual(['b1']);
    expect(environmentsAffected(rows.slice(0, 2), NEW, OLD, new Map([[OLD, ['README.md']]]))).toEqual([]);
    expect(environmentsAffected(rows, NEW, OLD, new Map([[OLD, []]]))).toEqual([]);
  });

  it('counts everything as changed when git no longer knows the old head (a force-push)', () => {
    const affected = environmentsAffected(rows, NEW, OLD, new Map([[OLD, undefined]]));
    expect(affected.map((e) => [e.environment, e.files])).toEqual([
      ['a1', undefined],
      ['a2', undefined],
      ['b1', undefined],
      ['root', undefined],
    ]);
  });

  it('on a first poll, signals nothing for rows that never recorded a head or already have this one', () => {
    const first = [row('ops-a', 'a', null, 'a1'), row('ops-b', 'b', NEW, 'b1'), row('ops-c', 'c', OLD, 'c1')];
    const affected = environmentsAffected(first, NEW, undefined, new Map([[OLD, ['a/x', 'b/x', 'c/x']]]));
    expect(affected.map((e) => e.environment)).toEqual(['c1']);
  });
});

describe('describeBranchMove', () => {
  it('names the branch, the short head and the first files', () => {
    expect(describeBranchMove('main', NEW, ['a/values.yaml'])).toBe('main moved to bbbbbbbb: a/values.yaml');
    expect(describeBranchMove('main', NEW, ['1', '2', '3', '4', '5'])).toBe('main moved to bbbbbbbb: 1, 2, 3 (+2 more)');
    expect(describeBranchMove('main', NEW, undefined)).toMatch(/^main moved to bbbbbbbb \(the previous head is no longer in the repository/);
  });
});

describe('pollIntervalMs', () => {
  it('polls as often as the most eager row sharing the branch asks', () => {
    expect(pollIntervalMs([300, 30, 60])).toBe(30_000);
    expect(pollIntervalMs([])).toBe(60_000);
  });
});
