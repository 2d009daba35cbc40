// Serves template files to the render sandbox, only from under one directory. nunjucks'
// FileSystemLoader checks containment with a string prefix (so `/repo/app` admits
// `/repo/app-secrets`) and follows symlinks anywhere; templates come from a git repository, so
// neither is acceptable here. A request that leaves the directory (an absolute path, "..", a
// symlink pointing out) is a sandbox escape attempt: the render fails with TemplateForbidden even
// when the template asked with `ignore missing`.
import { readFileSync, statSync } from 'node:fs';
import { DeployerError, TemplateForbidden } from '../domain/errors.js';
import { resolveInside } from '../git/checkout.js';
import { validateRepoPath } from '../git/validate.js';

/** Templates larger than this are refused: a render's output is capped at 1 MiB anyway. */
const MAX_TEMPLATE_BYTES = 4 * 1024 * 1024;

export class ContainedLoader {
  /** the text of every template served, by name, so errors can quote the offending line */
  readonly sources = new Map<string, string>();
  /** the first attempt to read outside the root */
  violation: DeployerError | undefined;

  constructor(private readonly root: string) {}

  getSource(name: string): { src: string; path: string } | null {
    try {
      const relative = validateRepoPath('template', name, { allowRoot: false });
      const file = resolveInside(this.root, relative, 'template');
      // null makes nunjucks report "template not found" at the include that asked for it.
      if (file === undefined) return null;
      const stat = statSync(file);
      if (!stat.isFile()) return null;
      if (stat.size > MAX_TEMPLATE_BYTES) {
        this.violation ??= new DeployerError(TemplateForbidden, `template ${JSON.stringify(relative)} is ${stat.size} bytes; a template may have at most ${MAX_TEMPLATE_BYTES}`);
        return null;
      }
      const src = readFileSync(file, 'utf8');
      this.sources.set(relative, src);
      return { src, path: relative };
    } catch (error) {
      // The path checks refuse with a failure typed InvalidPath (absolute, "..", a symlink out).
      if ((error as { type?: unknown }).type !== 'InvalidPath') throw error;
      this.violation ??= new DeployerError(TemplateForbidden, `a template may only include files inside the ops repository path: ${(error as Error).message}`);
      return null;
    }
  }
}
