// The values a release was deployed with (its override of the ops repo's values), folded away in
// the history table so a row stays one line until someone asks. Shown as YAML, as they are written
// in the ops repo; JSX escapes the text, so a value cannot add markup.
import { stringify } from 'yaml';
import { NONE } from './format.js';

export function ReleaseValues(props: { values: Record<string, unknown> | null }) {
  const { values } = props;
  const count = values ? Object.keys(values).length : 0;
  if (!values || count === 0) return <>{NONE}</>;
  return (
    <details class="values">
      <summary>{count === 1 ? '1 value' : `${count} values`}</summary>
      <pre>
        <code>{stringify(values).trimEnd()}</code>
      </pre>
    </details>
  );
}
