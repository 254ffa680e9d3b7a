/**
 * The JSON bodies of vLLM's OpenAI server (the `protocol.py` files under `vllm/entrypoints/openai/`), field for
 * field: the model list, the streamed chunks (serialised with `exclude_unset`, so a field is
 * present when vLLM sets it, null included), the whole completion (every field), usage and
 * log-probabilities.
 */
import { randomUUID } from 'node:crypto';

/** `GET /v1/models`: vLLM's `ModelList` with one `ModelCard`. */
export function modelList(name: string, root: string, maxModelLen: number, created: number) {
  return {
    object: 'list',
    data: [
      {
        id: name,
        object: 'model',
        created,
        owned_by: 'vllm',
        root,
        parent: null,
        max_model_len: maxModelLen,
        permission: [
          {
            id: `modelperm-${randomUUID().replaceAll('-', '')}`,
            object: 'model_permission',
            created,
            allow_create_engine: false,
            allow_sampling: true,
            allow_logprobs: true,
            allow_search_indices: false,
            allow_view: true,
            allow_fine_tuning: false,
            organization: '*',
            group: null,
            is_blocking: false,
          },
        ],
      },
    ],
  };
}

/** A token with its log-probability, as `top_logprobs` lists them. */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

/** One generated token's entry of `logprobs.content`. */
export interface LogprobEntry extends TokenLogprob {
  top_logprobs: TokenLogprob[];
}

/**
 * `token` (its text with special tokens kept) and the natural log of `probability`, floored as vLLM
 * floors it; with `top` 1, the token is also its step's most likely one (greedy decoding chose it).
 */
export function logprobEntry(token: string, probability: number, top: 0 | 1): LogprobEntry {
  const entry = { token, logprob: Math.max(Math.log(probability), -9999), bytes: [...Buffer.from(token, 'utf8')] };
  return { ...entry, top_logprobs: top === 1 ? [{ ...entry }] : [] };
}

export interface Usage {
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens: number;
  prompt_tokens_details: { cached_tokens: number; multimodal_tokens?: { image: number } } | null;
}

/**
 * The usage of a request. `cachedTokens` null leaves out the details, as vLLM does without
 * `--enable-prompt-tokens-details`; with it, the details also count the image tokens.
 */
export function usage(
  promptTokens: number,
  completionTokens: number,
  cachedTokens: number | null,
  imageTokens: number,
): Usage {
  return {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
    prompt_tokens_details:
      cachedTokens === null
        ? null
        : { cached_tokens: cachedTokens, ...(imageTokens > 0 ? { multimodal_tokens: { image: imageTokens } } : {}) },
  };
}

/** What every chunk and the completion of one request share. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
}

/** A new request's id and creation time, as vLLM names them. */
export function newIdentity(model: string): CompletionIdentity {
  return { id: `chatcmpl-${randomUUID().replaceAll('-', '')}`, created: Math.floor(Date.now() / 1000), model };
}

const chunk = (identity: CompletionIdentity, choices: object[], extra: object = {}) => ({
  id: identity.id,
  object: 'chat.completion.chunk',
  created: identity.created,
  model: identity.model,
  choices,
  ...extra,
});

/** The first chunk: the role, empty content, and the prompt's ids only when asked for (never here). */
export function roleChunk(identity: CompletionIdentity, usageSoFar: Usage | null) {
  return chunk(
    identity,
    [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    { prompt_token_ids: null, ...(usageSoFar ? { usage: usageSoFar } : {}) },
  );
}

/** A chunk of generated text; the last one carries the finish reason. */
export function contentChunk(
  identity: CompletionIdentity,
  content: string,
  logprobs: LogprobEntry[] | null,
  finishReason: 'stop' | 'length' | null,
  usageSoFar: Usage | null,
) {
  const choice = {
    index: 0,
    delta: { content },
    logprobs: logprobs ? { content: logprobs } : null,
    finish_reason: finishReason,
    ...(finishReason ? { stop_reason: null } : {}),
    token_ids: null,
  };
  return chunk(identity, [choice], usageSoFar ? { usage: usageSoFar } : {});
}

/** The final chunk of `stream_options.include_usage`: no choices, the usage (serialised without nulls). */
export function usageChunk(identity: CompletionIdentity, total: Usage) {
  const { prompt_tokens_details: details, ...counts } = total;
  return chunk(identity, [], { usage: details ? total : counts });
}

/** The whole answer of a request without streaming. */
export function completion(
  identity: CompletionIdentity,
  content: string,
  logprobs: LogprobEntry[] | null,
  finishReason: 'stop' | 'length',
  total: Usage,
) {
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: null,
          annotations: null,
          audio: null,
          function_call: null,
          tool_calls: [],
          reasoning: null,
        },
        logprobs: logprobs ? { content: logprobs } : null,
        finish_reason: finishReason,
        stop_reason: null,
        token_ids: null,
      },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: total,
    prompt_logprobs: null,
    prompt_token_ids: null,
    kv_transfer_params: null,
  };
}
