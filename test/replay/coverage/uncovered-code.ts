// Turns the coverage a replay run collected into the list of what no recorded history passes
// through: one `file:line` entry per statement and per branch outcome never taken, named by the
// function it sits in and the source line, so whoever changed the workflow sees what to record.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { FileCoverage } from './coverage-interceptor.js';

export interface UncoveredCode {
  /** path relative to the repository, e.g. workflows/decide.ts */
  file: string;
  line: number;
  /** `statement`, or the branch outcome never taken, e.g. `else of if`, `operand 2 of ??` */
  what: string;
  /** the innermost named function around it (`<module>` at top level) */
  within: string;
  /** the source line, trimmed */
  code: string;
}

type Location = FileCoverage['statementMap'][string];

const contains = (outer: Location, inner: Location) =>
  (outer.start.line < inner.start.line || (outer.start.line === inner.start.line && (outer.start.column ?? 0) <= (inner.start.column ?? 0))) &&
  (outer.end.line > inner.end.line || (outer.end.line === inner.end.line && (outer.end.column ?? Infinity) >= (inner.end.column ?? Infinity)));

function enclosingFunction(coverage: FileCoverage, at: Location): string {
  // istanbul names arrow functions and callbacks `(anonymous_N)`: not stable, so skip them. A
  // function spans from its name (default parameter values included) to the end of its body.
  const named = Object.values(coverage.fnMap).filter((fn) => !fn.name.startsWith('(anonymous') && contains({ start: fn.decl.start, end: fn.loc.end }, at));
  named.sort((a, b) => b.loc.start.line - a.loc.start.line || (b.loc.start.column ?? 0) - (a.loc.start.column ?? 0));
  return named[0]?.name ?? '<module>';
}

function branchOutcome(type: string, location: number, count: number): string {
  switch (type) {
    case 'if':
      return location === 0 ? 'then of if' : 'else of if';
    case 'cond-expr':
      return location === 0 ? 'true side of ?:' : 'false side of ?:';
    case 'binary-expr':
      return `operand ${location + 1} of ${count} in a &&/||/?? chain`;
    case 'default-arg':
      return 'default value';
    case 'switch':
      return `case ${location + 1} of switch`;
    default:
      return `${type} branch ${location + 1}`;
  }
}

/** Everything in `coverage` of `repoRoot`-relative `files` that no history reached, in file order. */
export function uncoveredCode(coverage: Map<string, FileCoverage>, repoRoot: string): UncoveredCode[] {
  const found: UncoveredCode[] = [];
  for (const file of [...coverage.values()].sort((a, b) => a.path.localeCompare(b.path))) {
    const lines = readFileSync(file.path, 'utf8').split('\n');
    const entry = (at: Location, what: string): UncoveredCode => ({
      file: relative(repoRoot, file.path),
      line: at.start.line,
      what,
      within: enclosingFunction(file, at),
      code: (lines[at.start.line - 1] ?? '').trim(),
    });
    for (const [index, at] of Object.entries(file.statementMap)) {
      if (!file.s[index]) found.push(entry(at, 'statement'));
    }
    for (const [index, branch] of Object.entries(file.branchMap)) {
      branch.locations.forEach((at, location) => {
        if (file.b[index]?.[location]) return;
        // An `if` without `else` has no location of its own for the else: point at the `if`.
        const where = (at.start as { line?: number }).line === undefined ? branch.loc : at;
        found.push(entry(where, branchOutcome(branch.type, location, branch.locations.length)));
      });
    }
  }
  return found.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** One line per source line: `file:line  what, what in function: code`. */
export function formatUncovered(entries: UncoveredCode[]): string[] {
  const byLine = new Map<string, UncoveredCode[]>();
  for (const entry of entries) {
    const key = `${entry.file}:${entry.line}`;
    byLine.set(key, [...(byLine.get(key) ?? []), entry]);
  }
  return [...byLine].map(([where, [first, ...rest]]) => {
    const what = [...new Set([first!, ...rest].map((e) => e.what))].join(', ');
    return `${where}  ${what} in ${first!.within}: ${first!.code}`;
  });
}
