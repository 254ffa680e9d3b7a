/**
 * The OpenAI chat-completions API as the server backend speaks it: where the server is, the
 * messages it is sent, and what a streamed reply yields. vLLM, llama.cpp's `llama-server` and
 * Ollama all serve this API; the differences between them (usage details, logprobs) are optional
 * fields here.
 */

/** An OpenAI-compatible server and the model to ask on it. */
export interface ServerEndpoint {
  /** The API's base URL, ending before `/chat/completions`, e.g. `http://localhost:8000/v1`. */
  baseUrl: string;
  /** The model name the server lists under `GET /models`. */
  model: string;
  /** Sent as `Authorization: Bearer …`; never written into a message, a log or a link. */
  apiKey?: string;
}

/** A part of a message's content. */
export type ChatPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

export interface ServerChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatPart[];
}

/** Token counts of one completion as the server reports them. */
export interface ServerUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the server's prefix cache; null where the server does not say. */
  cachedTokens: number | null;
}

/** One generated token with its log-probability, as `logprobs.content[]` reports it. */
export interface TokenLogprob {
  text: string;
  logprob: number;
}

/** What a streamed chat completion yields, in order: text…, then usage (when reported), then finish. */
export type ChatStreamEvent =
  /** New text; `tokens` are its tokens with their log-probabilities when they were asked for and sent. */
  | { type: 'text'; text: string; tokens: TokenLogprob[] | null }
  | { type: 'usage'; usage: ServerUsage }
  /** The choice ended: `stop`, `length`, … (null when the server did not say). */
  | { type: 'finish'; reason: string | null };

/** One chat completion request. */
export interface ChatRequest {
  messages: ServerChatMessage[];
  maxTokens: number;
  /** Ask for each token's log-probability (the `confidence` policy needs them). */
  logprobs: boolean;
  /** Extra body fields, e.g. `chat_template_kwargs`. */
  extra?: Record<string, unknown>;
  signal?: AbortSignal;
}
