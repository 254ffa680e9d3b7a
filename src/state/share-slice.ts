/**
 * Share links in the store: applying a link's values (on startup and when the hash changes) and
 * the link for the current state, built on demand by the Share dialog.
 *
 * The hash is read, not kept in sync: rewriting it on every setting or keystroke would fill the
 * history (or fight `replaceState` with the browser), and a link that changes under the person's
 * feet is harder to reason about than one made when they press Share.
 */
import type { AppState, Slice } from './app-state.ts';
import { budgetLimits, selectPolicy, selectThreshold } from './settings-slice.ts';
import { encodeShareLink, parseShareLink, type ShareValues } from './share-link.ts';
import { selectFirstQuestion } from './conversation-slice.ts';
import { SERVER_MODEL_ID } from './model-choices.ts';
import { serverUrlOf } from './server-form.ts';

export interface ShareState {
  /** What the last link applied had to ignore, one readable line each; empty: nothing to say. */
  ignored: readonly string[];
}

export interface ShareSlice {
  share: ShareState;
  /**
   * Applies the link in `hash`: model (or model server), policy, budget, question and image, each
   * only when it passes its check. Never starts a run, and never sends anything to a model server
   * (the person connects). Resolves when the image (if any) has been requested.
   */
  applyShareLink: (hash: string) => Promise<void>;
  dismissShareNotice: () => void;
}

/** The image of a link to the current state: a sample or an address, never a local file. */
function sharedImage(state: AppState): ShareValues['image'] {
  const address = state.image.current?.address;
  if (!address) return undefined;
  return address.kind === 'sample' ? { kind: 'sample', sampleId: address.sampleId } : { kind: 'url', url: address.url };
}

/**
 * The model server of a link to the current state: the address and model connected to, else those
 * in the form (when the address can be used). Never the API key.
 */
function sharedServer(state: AppState): Pick<ShareValues, 'serverUrl' | 'serverModel'> {
  if (state.model.selectedId !== SERVER_MODEL_ID) return {};
  const { target, fields } = state.server;
  const connected = state.model.status === 'ready' || state.model.status === 'loading' ? target : null;
  const serverUrl = connected?.baseUrl ?? serverUrlOf(fields.url);
  const serverModel = connected?.model ?? fields.model.trim();
  return {
    ...(serverUrl === null ? {} : { serverUrl }),
    ...(serverModel === '' ? {} : { serverModel }),
  };
}

/** The hash (with '#') of a link to the current settings, question and, when it can be shared, image. */
export function selectShareHash(state: AppState): string {
  const image = sharedImage(state);
  return encodeShareLink({
    model: state.model.selectedId,
    ...sharedServer(state),
    policy: selectPolicy(state),
    // Only the confidence policy reads a threshold; other links stay as short as they were.
    ...(selectPolicy(state) === 'confidence' ? { threshold: selectThreshold(state) } : {}),
    budget: state.settings.maxVisualTokens,
    // In a conversation, the first question: a link starts a conversation of its own.
    question: selectFirstQuestion(state) ?? state.draft.trim(),
    ...(image ? { image } : {}),
  });
}

/** The current image is a file from this device, so a link cannot carry it. */
export function selectImageStaysLocal(state: AppState): boolean {
  return state.image.current !== null && state.image.current.address === null;
}

export const createShareSlice = (): Slice<ShareSlice> => (set, get, api) => {
  /** Resolves once the gallery index is in (or known to be missing). */
  const samplesSettled = (): Promise<void> =>
    new Promise((resolve) => {
      if (get().samples.status !== 'loading') {
        resolve();
        return;
      }
      const unsubscribe = api.subscribe((state) => {
        if (state.samples.status === 'loading') return;
        unsubscribe();
        resolve();
      });
    });

  const addIgnored = (line: string): void => {
    set((state) => ({ share: { ignored: [...state.share.ignored, line] } }));
  };

  return {
    share: { ignored: [] },
    dismissShareNotice: () => {
      set({ share: { ignored: [] } });
    },
    applyShareLink: async (hash) => {
      const state = get();
      const { values, ignored } = parseShareLink(hash, {
        modelIds: [...state.model.choices.map((choice) => choice.id), SERVER_MODEL_ID],
        serverModelId: SERVER_MODEL_ID,
        budget: budgetLimits(state.model.geometry),
      });
      set({ share: { ignored } });
      if (values.model === SERVER_MODEL_ID) get().openServerFromLink(values.serverUrl, values.serverModel);
      else if (values.model !== undefined) get().selectModel(values.model);
      if (values.policy !== undefined) get().setPolicy(values.policy);
      if (values.threshold !== undefined) get().setThreshold(values.threshold);
      if (values.budget !== undefined) get().setBudget(values.budget);
      if (values.question !== undefined) get().setDraft(values.question);
      const { image } = values;
      if (!image) return;
      if (image.kind === 'url') {
        await get().openImageUrl(image.url);
        return;
      }
      const before = get().image;
      await samplesSettled();
      const after = get().image;
      // The person chose an image while the gallery loaded: theirs wins.
      if (after.current !== before.current || after.pending !== before.pending) return;
      if (!get().samples.items.some((sample) => sample.id === image.sampleId)) {
        addIgnored(`Sample image: “${image.sampleId}” is not in this app’s gallery.`);
        return;
      }
      await get().openSample(image.sampleId);
    },
  };
};
