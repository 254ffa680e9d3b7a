/**
 * The plain prompt of the `confidence` policy, for models never trained on VisionThink's tool
 * protocol: no system prompt of ours and no tool definitions, the question as an ordinary user
 * turn rendered by the model's own chat template; if the model is unsure, a second user turn
 * shows the full-resolution image and asks again.
 */

/**
 * Passed to the chat template with both turns. Qwen3-family templates read it and put an empty
 * `<think>\n\n</think>\n\n` block at the generation prompt, so the model answers directly and
 * the confidence is that of its answer, not of a chain of reasoning; other templates ignore it.
 */
export const PLAIN_TEMPLATE_OPTIONS: Readonly<Record<string, unknown>> = { enable_thinking: false };

/** The text of the user turn that shows the full-resolution image in round 2. */
export const FULL_IMAGE_FOLLOW_UP = 'Here is the same image at full resolution. Answer again.';

/** A chat message as transformers.js's `apply_chat_template` takes it, images as content parts. */
export interface PlainMessage {
  role: 'user';
  content: ({ type: 'image' } | { type: 'text'; text: string })[];
}

/** Round 1: the image, then the question, as one user turn. */
export function plainMessages(question: string): PlainMessage[] {
  return [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: question }] }];
}

/** A follow-up question in a conversation: the question alone, the image being in context already. */
export function plainFollowUpMessages(question: string): PlainMessage[] {
  return [{ role: 'user', content: [{ type: 'text', text: question }] }];
}

/** Round 2: the full-resolution image, then {@link FULL_IMAGE_FOLLOW_UP}, as one user turn. */
export function followUpMessages(): PlainMessage[] {
  return [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: FULL_IMAGE_FOLLOW_UP }] }];
}
