/** What the first look and the full image would cost for the chosen image, before asking. */
import { selectBudgetPreview, useAppStore } from '../state/index.ts';
import { formatPercent, formatSize } from './format.ts';

export function BudgetPreview() {
  const preview = useAppStore(selectBudgetPreview);
  if (preview.kind === 'none') return null;
  if (preview.kind === 'error') {
    return (
      <p className="budget-preview warning" data-testid="budget-preview" role="status">
        {preview.message}
      </p>
    );
  }
  const { low, full } = preview.plan;
  return (
    <div className="budget-preview" data-testid="budget-preview">
      <dl>
        <PassCost label="First look (half width and height)" pass={low} testId="budget-preview.low" />
        <PassCost label="Full image" pass={full} testId="budget-preview.full" />
      </dl>
      <p className="muted">
        The first look costs {formatPercent(low.visualTokens / full.visualTokens)} of the full image. The model asks for
        the full image only when it needs the detail.
      </p>
    </div>
  );
}

/** One pass of the preview: its size and visual-token cost. */
function PassCost({
  label,
  pass,
  testId,
}: {
  label: string;
  pass: { width: number; height: number; visualTokens: number };
  testId: string;
}) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        {formatSize(pass.width, pass.height)} ·{' '}
        <span data-testid={testId} data-value={pass.visualTokens}>
          {pass.visualTokens}
        </span>{' '}
        visual tokens
      </dd>
    </div>
  );
}
