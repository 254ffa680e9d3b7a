/**
 * What the loop sends and reads under each prompt protocol, behind one small interface: the first
 * question's turn, a follow-up question's turn, the turn that shows the full image, and the answer
 * in a reply. `visionthink` is the released model's protocol (protocol.ts); `plain` is the
 * `confidence` policy's, for models never trained on it (plain-protocol.ts).
 */
import { answerSpan } from './confidence.ts';
import { EngineError } from './errors.ts';
import type { Policy } from './policies.ts';
import { followUpMessages, PLAIN_TEMPLATE_OPTIONS, plainFollowUpMessages, plainMessages } from './plain-protocol.ts';
import { TOOL_RESPONSE_TURN, chatMessages, extractAnswer, renderFollowUpText } from './protocol.ts';
import type { ChatMessage, VisionModel } from './vision-model.ts';

export interface PromptProtocol {
  /** The text of a conversation's first turn for `question` (one image placeholder, for the first image). */
  firstTurn(question: string): string;
  /**
   * The text every first turn starts with, up to and including the image's `<|vision_start|>`
   * (the system prompt, the tools, the instructions): its cache is computed once per model.
   */
  prefix(): string;
  /**
   * The text appended after a completed turn for a follow-up `question` (no image: the image is in
   * context already); `lastToken` is the last token of the reply before it.
   */
  followUpTurn(question: string, lastToken: bigint | undefined): string;
  /**
   * The text appended after the model's reply to show it the full image (one placeholder);
   * `lastToken` is the reply's last token.
   */
  fullImageTurn(lastToken: bigint | undefined): string;
}

const END_OF_TURN = '<|im_end|>';
const USER_TURN = '<|im_start|>user';
const VISION_START = '<|vision_start|>';

/** The answer in a reply under `policy`'s prompt protocol (the same for every backend). */
export function protocolAnswer(policy: Pick<Policy, 'prompt'>, output: string): string {
  if (policy.prompt === 'visionthink') return extractAnswer(output);
  const span = answerSpan(output);
  return output.slice(span.start, span.end);
}

/** The protocol of `policy` for `model`; a chat template the protocol cannot continue fails here, before anything runs. */
export function promptProtocol(policy: Pick<Policy, 'prompt'>, model: VisionModel): PromptProtocol {
  const template = policy.prompt === 'visionthink' ? 'protocol' : 'own';
  const options = policy.prompt === 'visionthink' ? {} : PLAIN_TEMPLATE_OPTIONS;
  /**
   * A user turn as the chat template renders it after earlier turns: from its `<|im_start|>user`
   * on, with the generation prompt, after the line break the template puts after every
   * `<|im_end|>` (and after an `<|im_end|>` of our own when the reply did not end its turn, e.g.
   * cut off by the length limit).
   */
  const userTurn = (messages: ChatMessage[]): ((lastToken: bigint | undefined) => string) => {
    const rendered = model.renderChat(messages, template, options);
    const start = rendered.lastIndexOf(USER_TURN);
    if (start < 0) {
      throw new EngineError(
        'model-invalid',
        `The chat template of "${model.source}" does not mark turns with ${USER_TURN}, so the app cannot add a turn to the conversation. Choose another model.`,
      );
    }
    const turn = `\n${rendered.slice(start)}`;
    return (lastToken) =>
      lastToken !== undefined && model.decode([lastToken], false) === END_OF_TURN ? turn : `${END_OF_TURN}${turn}`;
  };
  const firstTurn = (question: string): string =>
    policy.prompt === 'visionthink'
      ? model.renderChat(chatMessages(question))
      : model.renderChat(plainMessages(question), 'own', PLAIN_TEMPLATE_OPTIONS);
  const prefix = (): string => {
    const text = firstTurn('');
    const at = text.indexOf(VISION_START);
    return at < 0 ? '' : text.slice(0, at + VISION_START.length);
  };
  const followUpTurn = (question: string, lastToken: bigint | undefined): string =>
    userTurn(
      policy.prompt === 'visionthink'
        ? [{ role: 'user', content: renderFollowUpText(question) }]
        : plainFollowUpMessages(question),
    )(lastToken);

  if (policy.prompt === 'visionthink') {
    return {
      firstTurn,
      prefix,
      followUpTurn,
      fullImageTurn: () => TOOL_RESPONSE_TURN,
    };
  }
  const fullImageTurn = userTurn(followUpMessages());
  return {
    firstTurn,
    prefix,
    followUpTurn,
    fullImageTurn,
  };
}
