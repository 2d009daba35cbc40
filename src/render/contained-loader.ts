// A nunjucks loader that only serves files under one directory. nunjucks' FileSystemLoader checks
// containment with a string prefix (so `/repo/app` admits `/repo/app-secrets`) and follows
// symlinks anywhere; templates come from a git repository, so neither is acceptable here.
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { ILoader, LoaderSource } from 'nunjucks';
import { resolveInside } from '../git/checkout.js';
import { validateRepoPath } from '../git/validate.js';

export class ContainedLoader implements ILoader {
  /** the text of every template served, by name, so errors can quote the offending line */
  readonly sources = new Map<string, string>();
  /**
   * The first attempt to read outside the root. nunjucks wraps or, with `ignore missing`, swallows
   * loader errors, so the renderer checks this after rendering and fails with it either way.
   */
  violation: ApplicationFailure | undefined;

  constructor(private readonly root: string) {}

  getSource(name: string): LoaderSource {
    try {
      const relative = validateRepoPath('template', name, { allowRoot: false });
      const file = resolveInside(this.root, relative, 'template');
      // null makes nunjucks report "template not found" at the include that asked for it.
      if (file === undefined || !statSync(file).isFile()) return null as unknown as LoaderSource;
      const src = readFileSync(file, 'utf8');
      this.sources.set(relative, src);
      return { src, path: relative, noCache: true };
    } catch (error) {
      if (!(error instanceof ApplicationFailure)) throw error;
      this.violation ??= error;
      return null as unknown as LoaderSource;
    }
  }

  /** nunjucks resolves only names starting with ./ or ../ against the including template. */
  isRelative(name: string): boolean {
    return name.startsWith('./') || name.startsWith('../');
  }

  /** Relative to the including template; a result starting with `..` is refused by getSource. */
  resolve(from: string, to: string): string {
    return posix.join(posix.dirname(from), to);
  }
}
