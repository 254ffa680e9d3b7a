/**
 * The page's two views as tabs: Ask (a question about an image) and Evaluate (a dataset). Arrow
 * keys, Home and End move between them (the WAI-ARIA tabs pattern, activated as focus moves).
 */
import { useRef, type KeyboardEvent } from 'react';
import { APP_VIEWS, useAppStore, type AppView } from '../state/index.ts';

const LABELS: Readonly<Record<AppView, string>> = { ask: 'Ask', evaluate: 'Evaluate' };

export const viewTabId = (view: AppView): string => `view-tab-${view}`;
export const viewPanelId = (view: AppView): string => `view-panel-${view}`;

/** The key's target among `count` tabs from `index`; null for other keys. */
function target(key: string, index: number, count: number): number | null {
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

export function ViewTabs() {
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  const tabs = useRef(new Map<AppView, HTMLButtonElement>());

  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>): void => {
    const next = APP_VIEWS[target(event.key, APP_VIEWS.indexOf(view), APP_VIEWS.length) ?? -1];
    if (next === undefined) return;
    event.preventDefault();
    setView(next);
    tabs.current.get(next)?.focus();
  };

  return (
    <div className="view-tabs" role="tablist" aria-label="View">
      {APP_VIEWS.map((tab) => (
        <button
          key={tab}
          ref={(element) => {
            if (element) tabs.current.set(tab, element);
            else tabs.current.delete(tab);
          }}
          type="button"
          role="tab"
          id={viewTabId(tab)}
          aria-selected={view === tab}
          aria-controls={viewPanelId(tab)}
          tabIndex={view === tab ? 0 : -1}
          data-testid={`view.${tab}`}
          onClick={() => {
            setView(tab);
          }}
          onKeyDown={onKeyDown}
        >
          {LABELS[tab]}
        </button>
      ))}
    </div>
  );
}

/** One view's panel; the other stays mounted but hidden, so what was typed or opened in it is kept. */
export function ViewPanel({ view, children }: { view: AppView; children: React.ReactNode }) {
  const shown = useAppStore((s) => s.view === view);
  return (
    <div role="tabpanel" id={viewPanelId(view)} aria-labelledby={viewTabId(view)} hidden={!shown}>
      {children}
    </div>
  );
}
