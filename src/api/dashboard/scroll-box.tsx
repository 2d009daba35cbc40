// A wide table's box, which scrolls sideways on a narrow screen rather than widen the page. It is
// a tab stop and a named region, so a keyboard user can scroll it too (a table of plain text has
// nothing else to focus) and a screen reader says what it holds.
import type { Child } from 'hono/jsx';

export function ScrollBox(props: { labelledBy: string; children?: Child }) {
  return (
    <div class="scroll" tabindex={0} role="region" aria-labelledby={props.labelledBy}>
      {props.children}
    </div>
  );
}
