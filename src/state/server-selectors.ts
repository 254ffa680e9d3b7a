/**
 * What the page shows about the model source: where answers come from (this browser or a model
 * server), where images go, the server form's problems and notes. Derived, never stored.
 */
import { memoSelector } from './memo.ts';
import { SERVER_MODEL_ID } from './model-choices.ts';
import { hostOf, serverFieldErrors, serverUrlNotes, serverUrlOf, type ServerFieldErrors } from './server-form.ts';

/**
 * Where answers come from. A server is `setup` until Connect (nothing sent yet), then
 * `connecting`, `connected`, or `failed` / `cancelled`; `baseUrl` and `model` are those connected
 * to, else those in the form (null while the address cannot be used).
 */
export type ModelSourceView =
  | { kind: 'local' }
  | {
      kind: 'server';
      status: 'setup' | 'connecting' | 'connected' | 'failed' | 'cancelled';
      baseUrl: string | null;
      /** `http://host:port`: where images and questions go. */
      origin: string | null;
      host: string | null;
      model: string | null;
      /** The address came from a share link and nothing was sent to it yet. */
      fromLink: boolean;
    };

export const selectModelSource = memoSelector(
  (s) => [s.model.selectedId, s.model.status, s.model.backend, s.server.target, s.server.fields, s.server.fromLink],
  ({ model, server }): ModelSourceView => {
    if (model.selectedId !== SERVER_MODEL_ID) return { kind: 'local' };
    const status =
      model.status === 'ready'
        ? 'connected'
        : model.status === 'loading'
          ? 'connecting'
          : model.status === 'error'
            ? 'failed'
            : model.status === 'cancelled'
              ? 'cancelled'
              : 'setup';
    const backend = status === 'connected' && model.backend?.kind === 'server' ? model.backend : null;
    const target = status === 'connecting' ? server.target : null;
    const baseUrl = backend?.baseUrl ?? target?.baseUrl ?? serverUrlOf(server.fields.url);
    const typedModel = server.fields.model.trim();
    return {
      kind: 'server',
      status,
      baseUrl,
      origin: baseUrl === null ? null : new URL(baseUrl).origin,
      host: baseUrl === null ? null : hostOf(baseUrl),
      model: backend?.model ?? target?.model ?? (typedModel === '' ? null : typedModel),
      fromLink: server.fromLink,
    };
  },
);

/** The form's problems, each only once its field was left or Connect was pressed. */
export const selectServerFieldErrors = memoSelector(
  (s) => [s.server.fields, s.server.touched],
  ({ server }): ServerFieldErrors => {
    const errors = serverFieldErrors(server.fields);
    return {
      url: server.touched.url ? errors.url : null,
      model: server.touched.model ? errors.model : null,
      pixels: server.touched.pixels ? errors.pixels : null,
    };
  },
);

/** Notes on an address that can be used but may not answer (no `/v1`, http from an https page). */
export const selectServerUrlNotes = memoSelector(
  (s) => [s.server.fields.url, s.server.pageUrl],
  ({ server }): string[] => serverUrlNotes(server.fields.url, server.pageUrl),
);

/** When the server's list is in and the model typed is not on it: the names it does list. */
export const selectUnlistedModel = memoSelector(
  (s) => [s.server.listing, s.server.fields.model, s.server.fields.url],
  ({ server }): { model: string; listed: readonly string[] } | null => {
    const { listing, fields } = server;
    const model = fields.model.trim();
    if (listing.status !== 'ready' || model === '' || listing.baseUrl !== serverUrlOf(fields.url)) return null;
    return listing.models.includes(model) ? null : { model, listed: listing.models };
  },
);

/**
 * The model chosen while another downloads (waiting for the person's word), with its label. The
 * same object while its inputs are unchanged: the model list subscribes to it, and a new object on
 * every read would re-render it without end.
 */
export const selectPendingSwitch = memoSelector(
  (s) => [s.model.status, s.model.pendingSwitch, s.model.choices],
  (state): { id: string; label: string } | null => {
    const { status, pendingSwitch, choices } = state.model;
    if (status !== 'loading' || pendingSwitch === null) return null;
    if (pendingSwitch === SERVER_MODEL_ID) return { id: SERVER_MODEL_ID, label: 'the model server' };
    const choice = choices.find((candidate) => candidate.id === pendingSwitch);
    return choice ? { id: choice.id, label: choice.label } : null;
  },
);
