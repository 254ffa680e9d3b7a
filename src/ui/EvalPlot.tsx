/**
 * The report's plot: accuracy against the share of always-full-resolution visual tokens, one point
 * per policy (src/eval/plot.ts, the same SVG the CLI writes).
 */
import { useId, useMemo } from 'react';
import { renderPlotSvg } from '../eval/plot.ts';
import type { EvalReport } from '../eval/types.ts';

export function EvalPlot({ report }: { report: EvalReport }) {
  const svg = useMemo(() => renderPlotSvg(report), [report]);
  const captionId = useId();
  return (
    <figure className="eval-plot" data-testid="eval.plot">
      {/*
       * Inline rather than an <img>: the SVG's text and axes are drawn in `currentColor`, which an
       * image would not inherit, so the plot follows the page's light and dark themes. The markup
       * is our own: renderPlotSvg builds it from numbers and escapes every text it writes (names,
       * labels) as XML, so nothing from a dataset or a model's answer reaches it unescaped.
       */}
      <div
        className="plot-scroll"
        role="region"
        aria-labelledby={captionId}
        tabIndex={0}
        dangerouslySetInnerHTML={{ __html: svg }}
      />
      <figcaption id={captionId} className="muted">
        Higher is more accurate, further left spends fewer visual tokens; Always full resolution is 100 %.
      </figcaption>
    </figure>
  );
}
