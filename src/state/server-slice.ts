/**
 * The model server as the source of answers: the form (address, model, key, pixel limits), the
 * server's model list, and Connect, which loads the server as the model. Nothing is sent to a
 * server until the person lists its models or connects; a share link only fills the form.
 *
 * The form is remembered on this device as it is typed; the API key only when "Remember on this
 * device" is ticked (see server-form.ts), and it never enters the page's URL or a message.
 */
import { EngineRequestError } from '../client/engine-client.ts';
import type { AppState, Slice, SliceContext } from './app-state.ts';
import { SERVER_MODEL_ID } from './model-choices.ts';
import {
  hostOf,
  originOf,
  readRememberedKey,
  readSavedServer,
  serverChoiceOf,
  serverFieldErrors,
  serverUrlOf,
  writeRememberedKey,
  writeSavedServer,
  type SavedServer,
  type ServerFieldName,
  type ServerFields,
} from './server-form.ts';

export interface ServerListing {
  status: 'idle' | 'loading' | 'ready' | 'error';
  /** The base URL listed (or being listed). */
  baseUrl: string | null;
  models: readonly string[];
  /** Why the list could not be fetched, in the worker's words (never containing the key). */
  error: { code: string; message: string } | null;
  /** Numbers the listings: only the latest one's answer is shown. */
  seq: number;
}

export interface ServerState {
  fields: ServerFields;
  /** Kept in memory only, unless `rememberKey`. */
  apiKey: string;
  rememberKey: boolean;
  /** Fields whose problems show (left once, or Connect was pressed). */
  touched: Readonly<Partial<Record<'url' | 'model' | 'pixels', true>>>;
  listing: ServerListing;
  /** What the latest Connect asked for (never the key); `usedKey`: a key was sent with it. */
  target: { baseUrl: string; model: string; usedKey: boolean } | null;
  /** The form was filled by a share link and nothing has been sent to that server yet. */
  fromLink: boolean;
  /** The link named another server than the key was typed for, so the key field was emptied. */
  keyWithheld: boolean;
  /** A request to bring the form into view with `field` focused; `seq` grows with each request. */
  focus: { field: ServerFieldName; seq: number } | null;
  /** The connection this device remembers (see `SavedServer.connected`). */
  saved: SavedServer['connected'];
  /** The app's own address (an https page cannot call most http servers). */
  pageUrl: string;
}

export interface ServerSlice {
  server: ServerState;
  /** Changes a field as typed; the form (and a remembered key) is saved on this device. */
  setServerField: (field: ServerFieldName, value: string) => void;
  /** Ticked: the key is kept on this device for this server's origin. Unticked: it is deleted there. */
  setRememberKey: (remember: boolean) => void;
  /** Shows the field's problem, if it has one (the person left it). */
  touchServerField: (field: 'url' | 'model' | 'pixels') => void;
  /** Asks the server for its models (`GET /models`); with `onlyIfNew`, only when the address changed since. */
  listServerModels: (options?: { onlyIfNew?: boolean }) => Promise<void>;
  /** Loads the server as the model; with a field's problem, shows it and focuses the field instead. */
  connectServer: () => void;
  /** Brings the server form into view, focusing `field` (by default the one the visible error is about). */
  openServerSettings: (field?: ServerFieldName) => void;
  /**
   * A share link named a server: the form is filled and the Server source chosen, and nothing is
   * sent until the person connects. The key is withheld when the link names another server.
   */
  openServerFromLink: (url: string | undefined, model: string | undefined) => void;
  /** After a model loaded: remembers whether the page starts with the server next time. */
  rememberSource: () => void;
}

/** The form's field that `code` (an error of the server) is about. */
function fieldForCode(code: string | undefined): ServerFieldName {
  if (code === 'server-auth') return 'apiKey';
  if (code === 'server-model') return 'model';
  return 'url';
}

export const createServerSlice =
  ({ client, deps }: SliceContext): Slice<ServerSlice> =>
  (set, get) => {
    const initial = readSavedServer(deps.preferences);
    const remembered = readRememberedKey(deps.preferences);
    // A remembered key is filled in only for the server it was entered for.
    const initialKey = remembered !== null && remembered.origin === originOf(initial.url) ? remembered.key : '';

    const save = (change: Partial<SavedServer> = {}): void => {
      const { server } = get();
      // Only an address that can be used is kept on this device: never one half typed, nor one
      // carrying a password or a query (the form refuses those, but only once they are typed).
      const url = serverUrlOf(server.fields.url) ?? readSavedServer(deps.preferences).url;
      writeSavedServer(deps.preferences, {
        ...server.fields,
        url,
        rememberKey: server.rememberKey,
        connected: server.saved,
        ...change,
      });
    };

    /** Keeps the key for the current address's origin while the person asks for it to be kept. */
    const saveKey = (): void => {
      const { server } = get();
      const origin = originOf(server.fields.url);
      if (server.rememberKey && server.apiKey !== '' && origin !== null) {
        writeRememberedKey(deps.preferences, { origin, key: server.apiKey });
      }
    };

    const update = (change: Partial<ServerState>): void => {
      set((state) => ({ server: { ...state.server, ...change } }));
    };

    return {
      server: {
        fields: { url: initial.url, model: initial.model, minPixels: initial.minPixels, maxPixels: initial.maxPixels },
        apiKey: initialKey,
        rememberKey: initial.rememberKey,
        touched: {},
        listing: { status: 'idle', baseUrl: null, models: [], error: null, seq: 0 },
        target: null,
        fromLink: false,
        keyWithheld: false,
        focus: null,
        saved: initial.connected,
        pageUrl: deps.baseUrl,
      },
      setServerField: (field, value) => {
        const { server } = get();
        if (field === 'apiKey') {
          update({ apiKey: value, keyWithheld: false });
          if (!server.rememberKey) return;
          if (value === '') writeRememberedKey(deps.preferences, null);
          else saveKey();
          return;
        }
        const fields = { ...server.fields, [field]: value };
        // A key belongs to the server it was typed for: once the address names another, the key is
        // withheld (nothing typed next can send it there), and back at a server a key is
        // remembered for, that key is filled in again.
        const before = originOf(server.fields.url);
        const after = field === 'url' ? originOf(value) : before;
        const withheld = server.apiKey !== '' && before !== null && after !== before;
        const stored = readRememberedKey(deps.preferences);
        const refill =
          field === 'url' && (server.apiKey === '' || withheld) && stored !== null && stored.origin === after
            ? { apiKey: stored.key, keyWithheld: false }
            : withheld
              ? { apiKey: '', keyWithheld: true }
              : {};
        update({ fields, fromLink: false, ...refill });
        save();
      },
      setRememberKey: (remember) => {
        update({ rememberKey: remember });
        save();
        if (remember) saveKey();
        else writeRememberedKey(deps.preferences, null);
      },
      touchServerField: (field) => {
        const { server } = get();
        if (server.touched[field]) return;
        update({ touched: { ...server.touched, [field]: true } });
      },
      listServerModels: async (options) => {
        const { server } = get();
        const baseUrl = serverUrlOf(server.fields.url);
        if (baseUrl === null) {
          update({ touched: { ...server.touched, url: true } });
          return;
        }
        if (options?.onlyIfNew && server.listing.baseUrl === baseUrl && server.listing.status !== 'error') return;
        const seq = server.listing.seq + 1;
        update({ listing: { status: 'loading', baseUrl, models: server.listing.models, error: null, seq } });
        const key = server.apiKey.trim();
        let listing: ServerListing;
        try {
          const models = await client.listServerModels(baseUrl, ...(key === '' ? [] : [key]));
          listing = { status: 'ready', baseUrl, models, error: null, seq };
        } catch (error) {
          const info =
            error instanceof EngineRequestError
              ? { code: error.info.code, message: error.info.message }
              : { code: 'internal', message: `The server’s models could not be listed: ${String(error)}` };
          listing = { status: 'error', baseUrl, models: [], error: info, seq };
        }
        const current = get().server;
        if (current.listing.seq !== seq) return;
        // One model served (the usual vLLM setup) and none typed: it is the one.
        const only = listing.models.length === 1 ? listing.models[0] : undefined;
        if (only !== undefined && current.fields.model.trim() === '') {
          update({ listing, fields: { ...current.fields, model: only } });
          save();
        } else {
          update({ listing });
        }
      },
      connectServer: () => {
        const state = get();
        const { server } = state;
        const choice = serverChoiceOf(server.fields, server.apiKey);
        if (choice === null) {
          const errors = serverFieldErrors(server.fields);
          const field: ServerFieldName = errors.url !== null ? 'url' : errors.model !== null ? 'model' : 'minPixels';
          update({
            touched: { url: true, model: true, pixels: true },
            focus: { field, seq: (server.focus?.seq ?? 0) + 1 },
          });
          return;
        }
        // A question still running goes to the server named before: stopped, not redirected.
        get().stop();
        const requestId = client.load({
          id: SERVER_MODEL_ID,
          label: `${choice.model} on ${hostOf(choice.baseUrl)}`,
          source: choice.baseUrl,
          local: false,
          server: choice,
        });
        set((current) => ({
          model: {
            ...current.model,
            selectedId: SERVER_MODEL_ID,
            status: 'loading',
            requestId,
            files: [],
            sizes: {},
            geometry: null,
            startedAt: deps.now(),
            progressAt: null,
            loadMs: null,
            error: null,
            fallback: null,
            resumeQuestion: null,
            pendingSwitch: null,
          },
          server: {
            ...current.server,
            target: { baseUrl: choice.baseUrl, model: choice.model, usedKey: choice.apiKey !== undefined },
            fromLink: false,
            keyWithheld: false,
          },
        }));
        save();
      },
      openServerSettings: (field) => {
        const state = get();
        const code = state.model.error?.code ?? state.run.error?.code;
        update({ focus: { field: field ?? fieldForCode(code), seq: (state.server.focus?.seq ?? 0) + 1 } });
      },
      openServerFromLink: (url, model) => {
        const state = get();
        const { server } = state;
        const fields = {
          ...server.fields,
          ...(url === undefined ? {} : { url }),
          ...(model === undefined ? {} : { model }),
        };
        const withhold = server.apiKey !== '' && originOf(fields.url) !== originOf(server.fields.url);
        update({
          fields,
          fromLink: true,
          touched: {},
          ...(withhold ? { apiKey: '', keyWithheld: true } : {}),
        });
        const { model: current } = get();
        const target = get().server.target;
        const sameServer =
          target !== null && target.baseUrl === serverUrlOf(fields.url) && target.model === fields.model.trim();
        const connected = current.selectedId === SERVER_MODEL_ID && ['ready', 'loading'].includes(current.status);
        if (connected && sameServer && !withhold) {
          // Already answering from the server the link names: nothing changes.
          update({ fromLink: false });
          return;
        }
        if (connected) {
          // Another server: the person connects to it, or not.
          if (current.status === 'loading') client.cancelLoad();
          set((next) => ({ model: { ...next.model, status: 'idle', requestId: null, error: null, geometry: null } }));
          return;
        }
        get().selectModel(SERVER_MODEL_ID);
      },
      rememberSource: () => {
        const state: AppState = get();
        const { backend } = state.model;
        const saved = backend?.kind === 'server' ? { usedKey: state.server.target?.usedKey ?? false } : null;
        update({ saved });
        save({ connected: saved });
      },
    };
  };
