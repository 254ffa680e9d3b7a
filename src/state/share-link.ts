/**
 * Share links: the settings, the question and (when it has an address) the image, carried in the
 * URL hash. Pure: encoding and parsing only, so every rule about what a link may contain is tested
 * here. Nothing a link carries is trusted: each value is checked, and what fails is reported
 * (never shown as HTML; the UI renders these strings as text).
 */
import { isPolicyId, type PolicyId } from '../engine/policies.ts';
import { checkServerModel, checkServerUrl } from './server-form.ts';

/** A gallery sample (by id) or an http(s) address; local files are never put into a link. */
export type SharedImage = { kind: 'sample'; sampleId: string } | { kind: 'url'; url: string };

/** What a link carries; every field is optional (a link may carry only some of them). */
export interface ShareValues {
  model?: string;
  policy?: PolicyId;
  /** The `confidence` policy's threshold, 0 to 1. */
  threshold?: number;
  budget?: number;
  question?: string;
  image?: SharedImage;
  /** The model server's base URL (with `model` `server`); never its API key. */
  serverUrl?: string;
  /** The model's name on that server. */
  serverModel?: string;
}

export interface ParsedShareLink {
  values: ShareValues;
  /** One readable line per value that was ignored, in the order of the link. */
  ignored: string[];
}

/** What a parsed link is checked against. */
export interface ShareLinkRules {
  /** The models a link may name; `serverModelId` among them names the model server. */
  modelIds: readonly string[];
  serverModelId: string;
  budget: { min: number; max: number };
}

export const MAX_HASH_LENGTH = 8 * 1024;
export const MAX_QUESTION_LENGTH = 4000;
export const MAX_URL_LENGTH = 2048;
const MAX_SAMPLE_ID_LENGTH = 128;
/** How much of a rejected value a notice quotes. */
const QUOTE_LENGTH = 60;

/** The keys of a link; anything else in the hash is not ours and is ignored without a notice. */
const KEYS = [
  'model',
  'server',
  'server-model',
  'policy',
  'threshold',
  'budget',
  'question',
  'sample',
  'image',
] as const;
type Key = (typeof KEYS)[number];
const isKey = (key: string): key is Key => (KEYS as readonly string[]).includes(key);

const LABELS: Record<Key, string> = {
  model: 'Model',
  server: 'Model server',
  'server-model': 'Model on the server',
  policy: 'Resolution policy',
  threshold: 'Confidence threshold',
  budget: 'Budget',
  question: 'Question',
  sample: 'Sample image',
  image: 'Image address',
};

const SAMPLE_ID = /^[A-Za-z0-9._-]+$/;
const WHOLE_NUMBER = /^\d+$/;
// 0, 1, or a decimal between them with up to two places, as the Settings slider sets it.
const THRESHOLD = /^(?:0(?:\.\d{1,2})?|1(?:\.0{1,2})?)$/;
// Control characters other than tab and line breaks (a question may have several lines).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A value as a notice quotes it: shortened, with control characters made visible. */
function quote(value: string): string {
  const visible = value.replace(/[\u0000-\u001f\u007f]/g, '�');
  return `“${visible.length > QUOTE_LENGTH ? `${visible.slice(0, QUOTE_LENGTH)}…` : visible}”`;
}

/** A sentence continued after a colon ("…: the address needs …"), without its full stop. */
function lowerFirst(sentence: string): string {
  const trimmed = sentence.replace(/\.$/, '');
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

/**
 * The hash (with its '#') of a link that carries `values`. Keys come in a fixed order so that the
 * same state always gives the same link.
 */
export function encodeShareLink(values: ShareValues): string {
  const params = new URLSearchParams();
  if (values.model !== undefined) params.set('model', values.model);
  if (values.serverUrl !== undefined) params.set('server', values.serverUrl);
  if (values.serverModel !== undefined && values.serverModel !== '') params.set('server-model', values.serverModel);
  if (values.policy !== undefined) params.set('policy', values.policy);
  if (values.threshold !== undefined) params.set('threshold', String(values.threshold));
  if (values.budget !== undefined) params.set('budget', String(values.budget));
  if (values.question !== undefined && values.question !== '') params.set('question', values.question);
  if (values.image?.kind === 'sample') params.set('sample', values.image.sampleId);
  if (values.image?.kind === 'url') params.set('image', values.image.url);
  const query = params.toString();
  return query === '' ? '' : `#${query}`;
}

/**
 * The reason `value` cannot be used for `key`, or null when it can (it is then put into `values`,
 * or given to `setAddress` for an image address, which a sample overrides).
 */
function check(
  key: Key,
  value: string,
  rules: ShareLinkRules,
  values: ShareValues,
  setAddress: (image: SharedImage) => void,
): string | null {
  switch (key) {
    case 'model':
      if (!rules.modelIds.includes(value)) return `${quote(value)} is not one of the models this app offers`;
      values.model = value;
      return null;
    case 'server': {
      const checked = checkServerUrl(value);
      // An address with a password in it is not repeated on the page.
      const shown = /^[^/]*\/\/[^/]*@/.test(value) ? 'the address' : quote(value);
      if ('error' in checked) return `${shown} cannot be used: ${lowerFirst(checked.error)}`;
      values.serverUrl = checked.url;
      return null;
    }
    case 'server-model': {
      const checked = checkServerModel(value);
      if ('error' in checked) return `${quote(value)} cannot be used: ${lowerFirst(checked.error)}`;
      values.serverModel = checked.model;
      return null;
    }
    case 'policy':
      if (!isPolicyId(value)) return `${quote(value)} is not a known policy`;
      values.policy = value;
      return null;
    case 'threshold': {
      if (!THRESHOLD.test(value)) return `${quote(value)} is not a number from 0 to 1 (two decimals at most)`;
      values.threshold = Number(value);
      return null;
    }
    case 'budget': {
      const { min, max } = rules.budget;
      const number = Number(value);
      if (!WHOLE_NUMBER.test(value) || number < min || number > max) {
        return `${quote(value)} is not a whole number from ${min} to ${max}`;
      }
      values.budget = number;
      return null;
    }
    case 'question':
      if (value.length > MAX_QUESTION_LENGTH) return `it is longer than ${MAX_QUESTION_LENGTH} characters`;
      if (CONTROL.test(value)) return 'it contains control characters';
      values.question = value;
      return null;
    case 'sample':
      if (value.length > MAX_SAMPLE_ID_LENGTH || !SAMPLE_ID.test(value)) return `${quote(value)} is not a sample name`;
      values.image = { kind: 'sample', sampleId: value };
      return null;
    case 'image': {
      if (value.length > MAX_URL_LENGTH) return `the address is longer than ${MAX_URL_LENGTH} characters`;
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return `${quote(value)} is not a web address`;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        return `only http:// and https:// addresses are loaded, not ${quote(url.protocol)}`;
      }
      if (url.username !== '' || url.password !== '') return 'addresses with a user name or password are not loaded';
      setAddress({ kind: 'url', url: url.href });
      return null;
    }
  }
}

/**
 * Reads a link's hash (with or without its '#'). Values that fail a check are left out and
 * listed in `ignored`; a key given twice is ignored as a whole (which one was meant is unknown);
 * empty values count as absent; keys that are not a share link's are skipped silently, so an
 * ordinary `#section` anchor gives no notice.
 */
export function parseShareLink(hash: string, rules: ShareLinkRules): ParsedShareLink {
  const values: ShareValues = {};
  const ignored: string[] = [];
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (raw === '') return { values, ignored };
  if (raw.length > MAX_HASH_LENGTH) {
    ignored.push(`The whole link: it is longer than ${MAX_HASH_LENGTH} characters.`);
    return { values, ignored };
  }
  const params = new URLSearchParams(raw);
  const seen = new Set<Key>();
  let address: SharedImage | undefined;
  for (const key of params.keys()) {
    if (!isKey(key) || seen.has(key)) continue;
    seen.add(key);
    const all = params.getAll(key);
    if (all.length > 1) {
      ignored.push(`${LABELS[key]}: it is given ${all.length} times.`);
      continue;
    }
    const value = all[0] ?? '';
    if (value === '') continue;
    const problem = check(key, value, rules, values, (image) => {
      address = image;
    });
    if (problem !== null) ignored.push(`${LABELS[key]}: ${problem}.`);
  }
  const namesServer = values.serverUrl !== undefined || values.serverModel !== undefined;
  if (namesServer && values.model !== undefined && values.model !== rules.serverModelId) {
    // A model in this browser sends nothing anywhere: it wins over the server.
    ignored.push(`${LABELS.server}: the link also names a model that runs in this browser, which is used instead.`);
    delete values.serverUrl;
    delete values.serverModel;
  } else if (namesServer) {
    values.model = rules.serverModelId;
  }
  if (address !== undefined) {
    // Both kinds of image: the sample wins (it is known to work), the address is dropped.
    if (values.image === undefined) values.image = address;
    else ignored.push(`${LABELS.image}: the link also names a sample image, which is used instead.`);
  }
  return { values, ignored };
}
