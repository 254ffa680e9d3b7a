/**
 * One `chat.completion.chunk` event, read strictly enough to notice a server that is not speaking
 * the API, and loosely enough for the differences between vLLM, llama.cpp's server and Ollama:
 * `delta.content` may be absent, null or ''; `logprobs` may be absent or null; usage arrives in a
 * chunk of its own with `choices: []`; extra fields (`timings`, `reasoning`, `stop_reason`) are
 * ignored.
 */
import { isRecord } from '../is-record.ts';
import type { ServerUsage, TokenLogprob } from './types.ts';

/** What one event says. */
export type ChunkReading =
  | {
      kind: 'chunk';
      /** Text this chunk adds to the first choice ('' when none). */
      text: string;
      /** That text's tokens with log-probabilities; null when the chunk carries none. */
      tokens: TokenLogprob[] | null;
      /** Set once the choice ends (`stop`, `length`, …); null while it goes on. */
      finishReason: string | null;
      usage: ServerUsage | null;
    }
  /** `{"error": …}` in place of a chunk: the server failed after the stream had started. */
  | { kind: 'error'; error: unknown }
  /** Not a chunk; `detail` says why, for the message. */
  | { kind: 'malformed'; detail: string };

/** Reads the data of one event (not `[DONE]`). */
export function readChunk(data: string): ChunkReading {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return malformed('an event is not JSON');
  }
  if (!isRecord(value)) return malformed('an event is not a JSON object');
  if ('error' in value && value.error !== undefined && value.error !== null) return { kind: 'error', error: value };
  if (!Array.isArray(value.choices)) return malformed('an event has no "choices"');

  const usage = readUsage(value.usage);
  if (usage === 'malformed') return malformed('its "usage" has no token counts');

  // VisionThink asks for one choice (n = 1); the first is the answer.
  const choice: unknown = value.choices[0];
  if (choice === undefined) return { kind: 'chunk', text: '', tokens: null, finishReason: null, usage };
  if (!isRecord(choice)) return malformed('a choice is not an object');

  const delta = choice.delta ?? {};
  if (!isRecord(delta)) return malformed('a choice has no "delta" object');
  const content = delta.content ?? '';
  if (typeof content !== 'string') return malformed('"delta.content" is not text');

  const finishReason = choice.finish_reason ?? null;
  if (finishReason !== null && typeof finishReason !== 'string') return malformed('"finish_reason" is not text');

  const tokens = readLogprobs(choice.logprobs);
  if (tokens === 'malformed') return malformed('"logprobs" is not a list of tokens with log-probabilities');

  return { kind: 'chunk', text: content, tokens, finishReason, usage };
}

function readUsage(value: unknown): ServerUsage | null | 'malformed' {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) return 'malformed';
  const { prompt_tokens: promptTokens, completion_tokens: completionTokens } = value;
  if (!isCount(promptTokens) || !isCount(completionTokens)) return 'malformed';
  const details = value.prompt_tokens_details;
  const cached = isRecord(details) ? details.cached_tokens : undefined;
  return { promptTokens, completionTokens, cachedTokens: isCount(cached) ? cached : null };
}

/** `logprobs.content[]` as vLLM, llama.cpp and Ollama send it: `{token, logprob, bytes, top_logprobs}`. */
function readLogprobs(value: unknown): TokenLogprob[] | null | 'malformed' {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) return 'malformed';
  const content = value.content;
  if (content === undefined || content === null) return null;
  if (!Array.isArray(content)) return 'malformed';
  const tokens: TokenLogprob[] = [];
  for (const item of content as unknown[]) {
    if (!isRecord(item) || typeof item.token !== 'string' || typeof item.logprob !== 'number') return 'malformed';
    tokens.push({ text: item.token, logprob: item.logprob });
  }
  return tokens.length === 0 ? null : tokens;
}

function malformed(detail: string): ChunkReading {
  return { kind: 'malformed', detail };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
