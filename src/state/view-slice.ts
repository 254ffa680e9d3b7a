/**
 * Which view the page shows: Ask (a question about an image) or Evaluate (a dataset). The
 * address keeps it in its query string (`?view=evaluate`), so a reload or a bookmark opens the
 * same view; the hash stays the share links' (see share-link.ts), which never name a view.
 */
import type { Slice, SliceContext } from './app-state.ts';

export type AppView = 'ask' | 'evaluate';

export const APP_VIEWS: readonly AppView[] = ['ask', 'evaluate'];

export interface ViewSlice {
  view: AppView;
  /** Shows `view` and writes it into the address (Ask, the page's first view, removes the key). */
  setView: (view: AppView) => void;
}

const isView = (value: string | null): value is AppView => APP_VIEWS.some((view) => view === value);

export const createViewSlice =
  ({ deps }: SliceContext): Slice<ViewSlice> =>
  (set, get) => {
    const asked = deps.view.read();
    return {
      view: isView(asked) ? asked : 'ask',
      setView: (view) => {
        if (get().view === view) return;
        // Rewritten in place, not pushed: switching tabs is not navigating, and Back leaves the page as before.
        deps.view.write(view === 'ask' ? null : view);
        set({ view });
      },
    };
  };
