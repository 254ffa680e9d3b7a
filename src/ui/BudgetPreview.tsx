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
        <div>
          <dt>First look (half width and height)</dt>
          <dd>
            {formatSize(low.width, low.height)} ·{' '}
            <span data-testid="budget-preview.low" data-value={low.visualTokens}>
              {low.visualTokens}
            </span>{' '}
            visual tokens
          </dd>
        </div>
        <div>
          <dt>Full image</dt>
          <dd>
            {formatSize(full.width, full.height)} ·{' '}
            <span data-testid="budget-preview.full" data-value={full.visualTokens}>
              {full.visualTokens}
            </span>{' '}
            visual tokens
          </dd>
        </div>
      </dl>
      <p className="muted">
        The first look costs {formatPercent(low.visualTokens / full.visualTokens)} of the full image. The model asks for
        the full image only when it needs the detail.
      </p>
    </div>
  );
}
