// The files that differ between two commits of an ops repository, read from the worker's mirror:
// what tells the poller which environments a move of the branch concerns.
import type { OpsRepoSource } from '../domain/vocabulary.js';
import { readMirror, type RepoCache } from './checkout.js';
import { validateCommitSha } from './validate.js';

/**
 * `git diff --name-only from to`: paths from the repository root, renames listed under both names.
 * Undefined when the mirror does not have `from` (the branch was force-pushed and it is gone), so
 * the caller can treat every path as changed instead of guessing. `to` must be in the mirror (it is
 * the head just fetched).
 */
export async function changedFiles(cache: RepoCache, source: Pick<OpsRepoSource, 'url'>, from: string, to: string): Promise<string[] | undefined> {
  const fromSha = validateCommitSha('from', from);
  const toSha = validateCommitSha('to', to);
  return readMirror(cache, source.url, async (mirror) => {
    const known = await mirror.raw(['cat-file', '-e', `${fromSha}^{commit}`]).then(
      () => true,
      () => false,
    );
    if (!known) return undefined;
    // --no-renames: a file moved out of a path is a change there, and one moved in is a change too.
    // -z: names as they are, without quoting of unusual characters.
    const output = await mirror.raw(['diff', '--name-only', '--no-renames', '-z', fromSha, toSha, '--']);
    return output.split('\0').filter((name) => name !== '');
  });
}
