// How deep a YAML text may nest before it is handed to the parser. The `yaml` package parses and
// composes nested collections recursively: a few kilobytes of `- - - - …` or `[[[[…` exhaust the
// stack, and when V8 then has to compile a regular expression on that exhausted stack it ends the
// whole process instead of throwing. Values files and rendered manifests come from ops-repo
// authors and the dashboard's values field from a token holder, so the text is measured first, by
// a scan that never recurses.
//
// The measure over-counts on purpose: every `[` and `{` opens a level (inside quotes and comments
// too; none is skipped, so nothing can be hidden from the scan), and on each line every space of
// indentation and every leading `- `, `? ` or `: ` is a level. Real manifests stay far below the
// limit (30 levels of 4-space indentation is 120); the parser copes with several times it.
export const MAX_YAML_NESTING = 256;

/** The first line (1-based) where `text` may nest deeper than `max` levels; undefined when it cannot. */
export function tooDeepYamlLine(text: string, max = MAX_YAML_NESTING): number | undefined {
  let flow = 0;
  let line = 1;
  let block = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\n') {
      line += 1;
      block = 0;
      lineStart = true;
      continue;
    }
    if (lineStart) {
      const next = text[i + 1];
      const indicator = (char === '-' || char === '?' || char === ':') && (next === undefined || next === ' ' || next === '\n' || next === '\t');
      if (char === ' ' || char === '\t' || indicator) {
        block += 1;
        if (block + flow > max) return line;
        continue;
      }
      lineStart = false;
    }
    if (char === '[' || char === '{') {
      flow += 1;
      if (block + flow > max) return line;
    } else if ((char === ']' || char === '}') && flow > 0) {
      flow -= 1;
    }
  }
  return undefined;
}
