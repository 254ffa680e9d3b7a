/**
 * The model server form's pure parts: checking what was typed (each problem in words, for the
 * field it belongs to), the worker's `ServerChoice` from it, and what this device remembers.
 *
 * The API key is remembered only when the person asks, and then with the origin it was entered
 * for: it is filled in again only for that server, so a link naming another server never gets it.
 */
import type { ServerChoice } from '../protocol/messages.ts';
import type { Preferences } from './dependencies.ts';

/** Qwen2.5-VL's processor defaults (`min_pixels`, `max_pixels`), as vLLM serves VisionThink. */
export const DEFAULT_MIN_PIXELS = 3136;
export const DEFAULT_MAX_PIXELS = 12_845_056;
/** One visual token of Qwen2.5-VL is a 28×28-pixel block: no image is smaller. */
export const PIXELS_PER_TOKEN = 28 * 28;
/** Above this the numbers stop meaning anything (a 32k × 32k image). */
const MAX_PIXELS_LIMIT = 1_073_741_824;
const MAX_ADDRESS_LENGTH = 2048;
const MAX_MODEL_LENGTH = 256;
// Control characters: never part of a model name.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The form's text fields, as typed. */
export interface ServerFields {
  url: string;
  model: string;
  minPixels: string;
  maxPixels: string;
}

export type ServerFieldName = keyof ServerFields | 'apiKey';

/** A field's problem, for people; null when it has none. */
export interface ServerFieldErrors {
  url: string | null;
  model: string | null;
  pixels: string | null;
}

/**
 * The server's base URL from what was typed: trimmed, without a trailing slash, or why it cannot be
 * used (an http(s) address without a user name, query or fragment).
 */
export function checkServerUrl(value: string): { url: string } | { error: string } {
  const typed = value.trim();
  if (typed === '') return { error: 'Enter the server’s address, e.g. http://localhost:8000/v1.' };
  if (typed.length > MAX_ADDRESS_LENGTH)
    return { error: `The address is longer than ${MAX_ADDRESS_LENGTH} characters.` };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(typed)) {
    // "localhost:8000/v1" is a host and port; "javascript:…" is another scheme.
    const scheme = /^([a-z][a-z0-9+.-]*:)(?!\d)/i.exec(typed)?.[1];
    if (scheme !== undefined) return { error: `Only http:// and https:// servers can be used, not “${scheme}”.` };
    return { error: `The address needs http:// or https:// in front, e.g. http://${typed.replace(/^\/+/, '')}.` };
  }
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    return { error: `“${typed}” is not a web address.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { error: `Only http:// and https:// servers can be used, not “${url.protocol}”.` };
  }
  if (url.username !== '' || url.password !== '') {
    return { error: 'Put the API key in its own field below, not in the address.' };
  }
  if (url.search !== '' || url.hash !== '') {
    return { error: 'The address ends with the API’s path (usually /v1), without “?” or “#” after it.' };
  }
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/** The base URL, or null when what was typed cannot be used. */
export function serverUrlOf(value: string): string | null {
  const checked = checkServerUrl(value);
  return 'url' in checked ? checked.url : null;
}

/** `http://host:port` of an address (what the page names as where images go); null when it is not one. */
export function originOf(value: string): string | null {
  const url = serverUrlOf(value);
  return url === null ? null : new URL(url).origin;
}

/** `host:port` of a base URL, for short labels ("on localhost:8000"). */
export function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

/** The model name as the server lists it, or why it cannot be used. */
export function checkServerModel(value: string): { model: string } | { error: string } {
  const model = value.trim();
  if (model === '') return { error: 'Enter the model’s name as the server lists it (Refresh fills the list).' };
  if (model.length > MAX_MODEL_LENGTH) return { error: `The name is longer than ${MAX_MODEL_LENGTH} characters.` };
  if (CONTROL.test(model)) return { error: 'The name contains control characters.' };
  return { model };
}

/** The pixel limits as numbers, or why they cannot be used. */
export function checkPixels(min: string, max: string): { minPixels: number; maxPixels: number } | { error: string } {
  const read = (value: string): number | null => {
    const trimmed = value.trim().replace(/[\s_,]/g, '');
    return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
  };
  const minPixels = read(min);
  const maxPixels = read(max);
  if (minPixels === null || minPixels < PIXELS_PER_TOKEN || minPixels > MAX_PIXELS_LIMIT) {
    return {
      error: `Min pixels must be a whole number from ${PIXELS_PER_TOKEN} (one 28 × 28 block) to ${MAX_PIXELS_LIMIT}.`,
    };
  }
  if (maxPixels === null || maxPixels < minPixels || maxPixels > MAX_PIXELS_LIMIT) {
    return { error: `Max pixels must be a whole number from the min pixels (${minPixels}) to ${MAX_PIXELS_LIMIT}.` };
  }
  return { minPixels, maxPixels };
}

/** Every field's problem (null where there is none). */
export function serverFieldErrors(fields: ServerFields): ServerFieldErrors {
  const url = checkServerUrl(fields.url);
  const model = checkServerModel(fields.model);
  const pixels = checkPixels(fields.minPixels, fields.maxPixels);
  return {
    url: 'error' in url ? url.error : null,
    model: 'error' in model ? model.error : null,
    pixels: 'error' in pixels ? pixels.error : null,
  };
}

/** What the worker is told to connect to; null while a field has a problem. `apiKey` only when one was typed. */
export function serverChoiceOf(fields: ServerFields, apiKey: string): ServerChoice | null {
  const url = checkServerUrl(fields.url);
  const model = checkServerModel(fields.model);
  const pixels = checkPixels(fields.minPixels, fields.maxPixels);
  if ('error' in url || 'error' in model || 'error' in pixels) return null;
  const key = apiKey.trim();
  return { baseUrl: url.url, model: model.model, ...(key === '' ? {} : { apiKey: key }), ...pixels };
}

/**
 * Things about an address that works as typed but may not answer: a path without `/v1`, and an
 * http server other than this machine's called from an https page (the browser blocks it).
 */
export function serverUrlNotes(value: string, pageUrl: string): string[] {
  const url = serverUrlOf(value);
  if (url === null) return [];
  const parsed = new URL(url);
  const notes: string[] = [];
  if (!/\/v1$/.test(parsed.pathname)) {
    notes.push(`Most servers (vLLM, llama.cpp, Ollama) serve the API under /v1: ${url}/v1.`);
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (pageUrl.startsWith('https:') && parsed.protocol === 'http:' && !local) {
    notes.push(
      'This page is served over https, so the browser blocks http:// servers other than localhost: serve the API over https, or forward its port to localhost.',
    );
  }
  return notes;
}

const FORM_KEY = 'visionthink.server';
const KEY_KEY = 'visionthink.server-key';

/** What this device keeps of the form (never the key: see `RememberedKey`). */
export interface SavedServer extends ServerFields {
  rememberKey: boolean;
  /**
   * The server answered the last time one was chosen: the page starts with it. `usedKey`: that
   * connection needed a key typed in (so without a remembered key it is not connected at once).
   */
  connected: { usedKey: boolean } | null;
}

/** An API key this device remembers, and the origin of the server it was entered for. */
export interface RememberedKey {
  origin: string;
  key: string;
}

const text = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

export function defaultServerFields(): ServerFields {
  return { url: '', model: '', minPixels: String(DEFAULT_MIN_PIXELS), maxPixels: String(DEFAULT_MAX_PIXELS) };
}

/** The saved form; defaults for anything missing or unreadable. */
export function readSavedServer(preferences: Preferences): SavedServer {
  const defaults = defaultServerFields();
  let saved: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(preferences.get(FORM_KEY) ?? '{}');
    if (typeof parsed === 'object' && parsed !== null) saved = parsed as Record<string, unknown>;
  } catch {
    // Written by something else: start from the defaults.
  }
  const connected = saved.connected as { usedKey?: unknown } | null | undefined;
  return {
    url: text(saved.url, defaults.url),
    model: text(saved.model, defaults.model),
    minPixels: text(saved.minPixels, defaults.minPixels),
    maxPixels: text(saved.maxPixels, defaults.maxPixels),
    rememberKey: saved.rememberKey === true,
    connected: typeof connected === 'object' && connected !== null ? { usedKey: connected.usedKey === true } : null,
  };
}

export function writeSavedServer(preferences: Preferences, saved: SavedServer): void {
  preferences.set(FORM_KEY, JSON.stringify(saved));
}

export function readRememberedKey(preferences: Preferences): RememberedKey | null {
  try {
    const parsed: unknown = JSON.parse(preferences.get(KEY_KEY) ?? 'null');
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { origin, key } = parsed as Record<string, unknown>;
    return typeof origin === 'string' && typeof key === 'string' && key !== '' ? { origin, key } : null;
  } catch {
    return null;
  }
}

/** Keeps `key` for `origin`, or forgets any key (null). */
export function writeRememberedKey(preferences: Preferences, remembered: RememberedKey | null): void {
  if (remembered === null) preferences.remove(KEY_KEY);
  else preferences.set(KEY_KEY, JSON.stringify(remembered));
}
