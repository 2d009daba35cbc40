// When drift was last corrected, among the page's facts: a drift pass records a history row only
// when it changed something, so this says whether, and when, the cluster last strayed from the record.
import type { DriftCorrection } from '../../db/last-drift-correction.js';
import { Time } from './format.js';

export function DriftCorrectionFact(props: { correction: DriftCorrection | null }) {
  const { correction } = props;
  return (
    <>
      <dt>Drift last corrected</dt>
      <dd class="drift-corrected">
        {correction === null ? (
          'never: no drift pass has had anything to correct'
        ) : (
          <>
            <Time at={correction.at} />
            {correction.reason ? ` — ${correction.reason}` : ''}
          </>
        )}
      </dd>
    </>
  );
}
