// Which environments a move of an ops repository's branch concerns. Several ops repo rows may share
// one URL and branch with different paths; an environment renders only files under its row's path
// (its template, what the template includes, values.yaml and values.schema.json), so a commit that
// touches none of them leaves it alone. Pure: the files changed come in from git.

/** One ops repo row on the branch, with the environments that render from it. */
export interface RepoRowOnBranch {
  name: string;
  /** normalised path inside the repository; '' or '.' for the root */
  path: string;
  /** the head this row last recorded, if any */
  lastSha: string | null;
  environments: Array<{ project: string; environment: string }>;
}

export interface AffectedEnvironment {
  project: string;
  environment: string;
  repo: string;
  /** the changed files under the row's path; undefined when the old head is unknown to git */
  files: string[] | undefined;
}

/** Whether `file` (a path from the repository root, as git prints it) lies under `repoPath`. */
export function isUnderRepoPath(file: string, repoPath: string): boolean {
  const root = repoPath.replace(/^\.\/?|\/+$/g, '');
  if (root === '' || root === '.') return true;
  return file === root || file.startsWith(`${root}/`);
}

/**
 * The commit a row's changes are counted from: what the poller saw last, else (first poll after a
 * start) what the row recorded. Undefined when there is nothing to compare, or nothing moved.
 */
export function changedSince(row: Pick<RepoRowOnBranch, 'lastSha'>, head: string, previousSha: string | undefined): string | undefined {
  const since = previousSha ?? row.lastSha ?? undefined;
  return since === undefined || since === head ? undefined : since;
}

/**
 * The environments to reconcile after the branch moved to `head`. `changes` holds, per commit
 * counted from, the files `git diff --name-only since head` lists, or undefined when git no longer
 * knows that commit (a force-push): then every environment counts as changed, since nothing can
 * rule it out.
 */
export function environmentsAffected(
  rows: RepoRowOnBranch[],
  head: string,
  previousSha: string | undefined,
  changes: ReadonlyMap<string, string[] | undefined>,
): AffectedEnvironment[] {
  const affected: AffectedEnvironment[] = [];
  for (const row of rows) {
    const since = changedSince(row, head, previousSha);
    if (since === undefined) continue;
    const changed = changes.get(since);
    const files = changed?.filter((file) => isUnderRepoPath(file, row.path));
    if (files !== undefined && files.length === 0) continue;
    for (const environment of row.environments) affected.push({ ...environment, repo: row.name, files });
  }
  return affected;
}

const LISTED_FILES = 3;

/** What an environment's reconcile says was noticed: "main moved to 3f2a9c1e: envs/a/values.yaml". */
export function describeBranchMove(branch: string, head: string, files: string[] | undefined): string {
  const at = `${branch} moved to ${head.slice(0, 8)}`;
  if (files === undefined) return `${at} (the previous head is no longer in the repository: history was rewritten)`;
  const listed = files.slice(0, LISTED_FILES).join(', ');
  return files.length > LISTED_FILES ? `${at}: ${listed} (+${files.length - LISTED_FILES} more)` : `${at}: ${listed}`;
}
