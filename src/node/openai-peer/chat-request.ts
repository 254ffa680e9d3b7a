/**
 * A chat-completion request body, checked the way vLLM's `ChatCompletionRequest` checks it, plus
 * the peer's own limits: greedy decoding only, images as data URLs only, and none of the sampling
 * features that would change the answer without the peer implementing them.
 */
import { badRequest, invalidBody } from './peer-error.ts';

/** A message part as the chat template receives it; an image part points into `images`. */
export type TemplatePart = { type: 'text'; text: string } | { type: 'image'; index: number };

export interface ParsedMessage {
  role: string;
  /** vLLM's "openai" content format: a string content becomes one text part. */
  parts: TemplatePart[];
}

export interface ChatCompletionRequest {
  model: string | null;
  messages: ParsedMessage[];
  /** The data URLs of the image parts, in order. */
  imageUrls: string[];
  stream: boolean;
  /** A final chunk with the usage (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** The usage so far on every chunk (`stream_options.continuous_usage_stats`). */
  continuousUsage: boolean;
  /** `max_completion_tokens`, else `max_tokens`; null for the rest of the context. */
  maxTokens: number | null;
  logprobs: boolean;
  /** 0 or 1: how many most likely tokens each `logprobs` entry lists. */
  topLogprobs: 0 | 1;
  addGenerationPrompt: boolean;
  templateKwargs: Record<string, unknown>;
}

/** The number of image parts in a body, for the request log (0 when it is not a chat request). */
export function countImageParts(body: unknown): number {
  if (!isObject(body) || !Array.isArray(body.messages)) return 0;
  let count = 0;
  for (const message of body.messages as unknown[]) {
    if (!isObject(message) || !Array.isArray(message.content)) continue;
    for (const part of message.content as unknown[]) if (isObject(part) && part.type === 'image_url') count++;
  }
  return count;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Fields the peer does not implement, with the value that leaves the answer unchanged. */
const UNSUPPORTED: readonly [field: string, harmless: (value: unknown) => boolean][] = [
  ['n', (v) => v === 1],
  ['stop', (v) => (Array.isArray(v) ? v.length === 0 : v === '')],
  ['stop_token_ids', (v) => Array.isArray(v) && v.length === 0],
  ['tools', (v) => Array.isArray(v) && v.length === 0],
  ['tool_choice', (v) => v === 'none'],
  ['response_format', (v) => isObject(v) && v.type === 'text'],
  ['logit_bias', (v) => isObject(v) && Object.keys(v).length === 0],
  ['presence_penalty', (v) => v === 0],
  ['frequency_penalty', (v) => v === 0],
  ['repetition_penalty', (v) => v === 1],
  ['min_tokens', (v) => v === 0],
  ['ignore_eos', (v) => v === false],
  ['use_beam_search', (v) => v === false],
  ['echo', (v) => v === false],
  ['continue_final_message', (v) => v === false],
  ['prompt_logprobs', () => false],
];

/** Checks `body` and returns what the peer needs of it; throws `PeerHttpError` (400). */
export function parseChatRequest(body: unknown): ChatCompletionRequest {
  if (!isObject(body)) throw invalidBody('The request body must be a JSON object.');
  for (const [field, harmless] of UNSUPPORTED) {
    const value = body[field];
    if (value !== undefined && value !== null && !harmless(value))
      throw badRequest(`The VisionThink peer does not support \`${field}\` (got ${JSON.stringify(value)}).`, field);
  }
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== null && temperature !== 0) {
    throw badRequest(
      `The VisionThink peer decodes greedily only: send temperature 0 or leave it out (got ${temperature}).`,
      'temperature',
    );
  }
  const stream = optionalBoolean(body, 'stream') ?? false;
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!stream) throw badRequest('Stream options can only be defined when `stream=True`.', 'stream_options');
    if (!isObject(streamOptions)) throw invalidBody('`stream_options` must be an object.');
  }
  const includeUsage = isObject(streamOptions) ? (optionalBoolean(streamOptions, 'include_usage') ?? true) : false;
  const continuousUsage =
    includeUsage && isObject(streamOptions) && optionalBoolean(streamOptions, 'continuous_usage_stats') === true;

  const maxTokens = optionalInteger(body, 'max_completion_tokens') ?? optionalInteger(body, 'max_tokens');
  if (maxTokens !== null && maxTokens < 1)
    throw badRequest(`max_tokens must be at least 1, got ${maxTokens}.`, 'max_tokens');

  const logprobs = optionalBoolean(body, 'logprobs') ?? false;
  const topLogprobs = optionalInteger(body, 'top_logprobs') ?? 0;
  if (topLogprobs < -1) throw badRequest('`top_logprobs` must be a positive value or -1.', 'top_logprobs');
  if (topLogprobs !== 0 && !logprobs)
    throw badRequest('when using `top_logprobs`, `logprobs` must be set to true.', 'top_logprobs');
  // Under greedy decoding the chosen token is the most likely one, so it alone is the top 1; the
  // engine reports no other token's probability.
  if (topLogprobs !== 0 && topLogprobs !== 1) {
    throw badRequest(
      `The VisionThink peer reports only the log-probability of each chosen token, the most likely one: send top_logprobs 0 or 1 (got ${topLogprobs}).`,
      'top_logprobs',
    );
  }

  const templateKwargs = body.chat_template_kwargs ?? {};
  if (!isObject(templateKwargs)) throw invalidBody('`chat_template_kwargs` must be an object.');
  if (body.chat_template != null || templateKwargs.chat_template != null) {
    // vLLM's answer without --trust-request-chat-template, which the peer does not offer.
    throw badRequest(
      'Chat template is passed with request, but --trust-request-chat-template is not set. Refused request with untrusted chat template.',
    );
  }
  const model = body.model ?? null;
  if (model !== null && typeof model !== 'string') throw invalidBody('`model` must be a string.');

  const imageUrls: string[] = [];
  return {
    model,
    messages: parseMessages(body.messages, imageUrls),
    imageUrls,
    stream,
    includeUsage,
    continuousUsage,
    maxTokens,
    logprobs,
    topLogprobs: topLogprobs === 1 ? 1 : 0,
    addGenerationPrompt: optionalBoolean(body, 'add_generation_prompt') ?? true,
    templateKwargs,
  };
}

function parseMessages(value: unknown, imageUrls: string[]): ParsedMessage[] {
  if (!Array.isArray(value)) throw invalidBody('`messages` must be a list of messages.');
  return value.map((message: unknown, i) => {
    if (!isObject(message) || typeof message.role !== 'string')
      throw invalidBody(`messages[${i}] must be an object with a string \`role\`.`);
    const { content } = message;
    if (content === undefined || content === null) return { role: message.role, parts: [] };
    if (typeof content === 'string') return { role: message.role, parts: [{ type: 'text', text: content }] };
    if (!Array.isArray(content)) throw invalidBody(`messages[${i}].content must be a string or a list of parts.`);
    return { role: message.role, parts: content.map((part: unknown) => parsePart(part, imageUrls)) };
  });
}

function parsePart(part: unknown, imageUrls: string[]): TemplatePart {
  if (!isObject(part) || typeof part.type !== 'string') throw invalidBody('Every content part needs a string `type`.');
  if (part.type === 'text') {
    if (typeof part.text !== 'string') throw invalidBody('A text part needs a string `text`.');
    return { type: 'text', text: part.text };
  }
  if (part.type === 'image_url') {
    const url = isObject(part.image_url) ? part.image_url.url : undefined;
    if (typeof url !== 'string') throw invalidBody('An image_url part needs `image_url.url`.');
    if (/^https?:/i.test(url)) {
      throw badRequest(
        'The VisionThink peer accepts images as data URLs only (data:image/png;base64,…): it never downloads an http(s) address, so no image leaves this machine.',
      );
    }
    if (!/^data:/i.test(url))
      throw badRequest('An image URL must be a data URL (data:image/png;base64,… or data:image/jpeg;base64,…).');
    imageUrls.push(url);
    return { type: 'image', index: imageUrls.length - 1 };
  }
  throw badRequest(`Unknown part type: ${part.type}`);
}

function optionalNumber(body: Record<string, unknown>, field: string): number | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidBody(`\`${field}\` must be a number.`);
  return value;
}

function optionalInteger(body: Record<string, unknown>, field: string): number | null {
  const value = optionalNumber(body, field);
  if (value !== null && !Number.isInteger(value)) throw invalidBody(`\`${field}\` must be an integer.`);
  return value;
}

function optionalBoolean(body: Record<string, unknown>, field: string): boolean | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw invalidBody(`\`${field}\` must be true or false.`);
  return value;
}
