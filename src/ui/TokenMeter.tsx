/**
 * The live token-savings meter of the current question: a bar of the visual tokens spent
 * (low-resolution, then full-resolution when the model asks for it, growing with a
 * transition) against the always-full-resolution baseline, then used / baseline / saved.
 */
import { selectMeter, selectQuestionPrefillMsSaved, useAppStore, type MeterView } from '../state/index.ts';
import { formatMs, formatPercent } from './format.ts';

const percentOf = (part: number, whole: number): string => `${(100 * part) / whole}%`;

/** One sentence on where the question stands, in visual tokens. */
function stageText(meter: MeterView, interrupted: boolean): string {
  const { escalated, fullTokens, used, saved, savedFraction: fraction } = meter;
  const followUp = meter.turn > 1;
  switch (meter.status) {
    case 'running':
      if (followUp && !escalated) return 'A follow-up: the image is in context already, no new visual tokens.';
      // Whoever decided (the model, or the confidence gate), the full image is now being looked at.
      if (escalated) return `Looking at the full image as well: +${fullTokens} visual tokens.`;
      return fullTokens > 0 ? 'Looking at the full image.' : 'First look at a quarter of the pixels.';
    case 'done':
      if (saved === null) return '';
      if (followUp && used === 0)
        return `No new visual tokens: the image was in context already, so only the question was prefilled.`;
      if (followUp) return `Looked at the full image in this follow-up: ${used} visual tokens.`;
      return saved < 0
        ? `Looking at the full image as well cost ${-saved} visual tokens more than going straight to it.`
        : `Saved ${saved} visual tokens (${formatPercent(fraction ?? 0)}).`;
    case 'stopped':
      if (followUp && used === 0)
        return 'Stopped before an answer: no new visual tokens, and the conversation stays as it was.';
      return used > 0
        ? `Stopped before an answer: ${used} visual tokens spent, nothing saved.`
        : 'Stopped before any image was encoded: no visual tokens spent.';
    case 'error':
      if (interrupted) return `Interrupted when the GPU could not go on: ${used} visual tokens spent, nothing saved.`;
      return used > 0 ? `The question failed after spending ${used} visual tokens.` : 'The question failed.';
    case 'idle':
      return '';
  }
}

export function TokenMeter() {
  const meter = useAppStore(selectMeter);
  const prefillMsSaved = useAppStore(selectQuestionPrefillMsSaved);
  const interrupted = useAppStore((s) => s.run.error?.code === 'needs-download');

  if (!meter) {
    return (
      <section className="meter" aria-labelledby="meter-heading">
        <h2 id="meter-heading">Visual tokens</h2>
        <p className="muted">Ask a question to see what it costs against looking at the full image straight away.</p>
      </section>
    );
  }

  const running = meter.status === 'running';
  const { saved } = meter;
  const extra = saved !== null && saved < 0;
  const followUp = meter.turn > 1;
  const valueText = followUp
    ? `${meter.used} new visual tokens; the image is in context already`
    : `${meter.used} visual tokens used; going straight to full resolution costs ${meter.baseline}`;
  return (
    <section className="meter" aria-labelledby="meter-heading">
      <h2 id="meter-heading">Visual tokens</h2>
      <div
        className="meter-track"
        role="meter"
        data-testid="meter"
        aria-label="Visual tokens used for this question"
        aria-valuemin={0}
        aria-valuemax={meter.scale}
        aria-valuenow={meter.used}
        aria-valuetext={valueText}
      >
        <div className="meter-bar">
          {/* Transforms, not widths, so the growth animates on the compositor while the model runs. */}
          <div className="meter-fill low" style={{ transform: `scaleX(${meter.lowTokens / meter.scale})` }} />
          <div
            className="meter-fill full"
            style={{
              transform: `translateX(${percentOf(meter.lowTokens, meter.scale)}) scaleX(${meter.fullTokens / meter.scale})`,
            }}
          />
        </div>
        <div
          hidden={followUp}
          className="meter-baseline"
          style={{ transform: `translateX(${percentOf(meter.baseline, meter.scale)})` }}
          aria-hidden="true"
        >
          <span>full resolution</span>
        </div>
      </div>
      <p className="meter-legend" aria-hidden="true">
        <span className="swatch low" /> low resolution <span className="swatch full" /> full resolution
      </p>
      <p className="meter-stage" role="status" data-testid="meter.stage" data-status={meter.status}>
        {stageText(meter, interrupted)}
      </p>
      <dl className="numbers">
        <div>
          <dt>Used</dt>
          <dd data-testid="meter.used" data-value={meter.used}>
            {meter.used}
          </dd>
        </div>
        <div>
          <dt>Full-resolution baseline</dt>
          <dd data-testid="meter.baseline" data-value={meter.baseline}>
            {meter.baseline}
          </dd>
        </div>
        {meter.prefilled > 0 && (
          <div>
            <dt>Tokens prefilled</dt>
            <dd data-testid="meter.prefilled" data-value={meter.prefilled}>
              {meter.prefilled}
            </dd>
          </div>
        )}
        {saved !== null && (
          <div>
            <dt>{extra ? 'Saved (negative: extra)' : running ? 'Saved so far' : 'Saved'}</dt>
            <dd data-testid="meter.saved" data-value={saved} className={extra ? 'negative' : undefined}>
              {saved}
            </dd>
          </div>
        )}
      </dl>
      {prefillMsSaved !== null && prefillMsSaved !== 0 && (
        <p className="muted">
          Estimated prefill time {prefillMsSaved >= 0 ? 'saved' : 'added'}: {formatMs(Math.abs(prefillMsSaved))}
        </p>
      )}
    </section>
  );
}
