/**
 * The loop's turns as chat-completion messages. Under the server's Qwen2.5-VL chat template they
 * render to the text the local backend builds (test/engine/server-messages.test.ts compares the
 * bytes), with one difference a chat API cannot avoid: the template puts a line break after every
 * `<|im_end|>`, so the turn that shows the full image (or an error) follows the model's reply after
 * `\n`, where VisionThink appends it right after the reply's `<|im_end|>`.
 *
 * - `visionthink`: the system prompt as the system message; the user template with the image part
 *   in place of `<image>`; each reply as an assistant message; the tool response as a user turn
 *   whose text parts surround the full image part; a follow-up as the user template with the
 *   question alone.
 * - `plain` (the `confidence` policy): the image and the question as one user turn; the full image
 *   and "Answer again." as the next; a follow-up as the question alone.
 */
import type { TurnInput } from '../backend.ts';
import { EngineError } from '../errors.ts';
import { FULL_IMAGE_FOLLOW_UP } from '../plain-protocol.ts';
import type { Policy } from '../policies.ts';
import {
  IMAGE_PLACEHOLDER,
  renderErrorTurn,
  renderFollowUpText,
  renderUserText,
  SYSTEM_PROMPT,
  TOOL_RESPONSE_TURN,
} from '../protocol.ts';
import type { ChatPart, ServerChatMessage } from './types.ts';

const USER_OPEN = '<|im_start|>user\n';
const USER_CLOSE = '<|im_end|>\n<|im_start|>assistant\n';

/** The content of a raw protocol user turn (`<|im_start|>user\n…<|im_end|>\n<|im_start|>assistant\n`). */
function userContent(turn: string): string {
  if (!turn.startsWith(USER_OPEN) || !turn.endsWith(USER_CLOSE)) {
    throw new EngineError('internal', 'A protocol turn does not have the shape of a user turn.');
  }
  return turn.slice(USER_OPEN.length, turn.length - USER_CLOSE.length);
}

/** `text` with its image placeholder replaced by the image part (the text around it as text parts). */
function withImage(text: string, imageUrl: string | null): ChatPart[] {
  const at = text.indexOf(IMAGE_PLACEHOLDER);
  if (at < 0 || imageUrl === null) {
    throw new EngineError('internal', 'A turn that shows an image was built without one.');
  }
  const parts: ChatPart[] = [];
  const before = text.slice(0, at);
  const after = text.slice(at + IMAGE_PLACEHOLDER.length);
  if (before) parts.push({ type: 'text', text: before });
  parts.push({ type: 'image_url', image_url: { url: imageUrl } });
  if (after) parts.push({ type: 'text', text: after });
  return parts;
}

/**
 * The messages that append `turn` to a conversation under `policy`'s protocol: a first question
 * under `visionthink` brings the system prompt too. `imageUrl` is the turn's image as a data URL
 * (a first question and the full-image turn show one).
 */
export function turnMessages(
  policy: Pick<Policy, 'prompt'>,
  turn: TurnInput,
  imageUrl: string | null,
): ServerChatMessage[] {
  if (policy.prompt === 'visionthink') {
    switch (turn.kind) {
      case 'question':
        return turn.first
          ? [
              { role: 'system', content: SYSTEM_PROMPT },
              { role: 'user', content: withImage(renderUserText(turn.question), imageUrl) },
            ]
          : [{ role: 'user', content: renderFollowUpText(turn.question) }];
      case 'full-image':
        return [{ role: 'user', content: withImage(userContent(TOOL_RESPONSE_TURN), imageUrl) }];
      case 'error':
        return [{ role: 'user', content: userContent(renderErrorTurn(turn.errorInfo)) }];
    }
  }
  switch (turn.kind) {
    case 'question':
      return [
        {
          role: 'user',
          content: turn.first
            ? withImage(IMAGE_PLACEHOLDER + turn.question, imageUrl)
            : [{ type: 'text', text: turn.question }],
        },
      ];
    case 'full-image':
      return [{ role: 'user', content: withImage(IMAGE_PLACEHOLDER + FULL_IMAGE_FOLLOW_UP, imageUrl) }];
    case 'error':
      // The plain protocol offers no tool, so the loop never sends it an error turn.
      return [{ role: 'user', content: userContent(renderErrorTurn(turn.errorInfo)) }];
  }
}

/**
 * Messages as the Qwen2-VL / Qwen2.5-VL chat template renders them with the generation prompt
 * (the default system prompt first when there is none), images as their placeholder: the
 * conversation's transcript, and what the server is expected to build from the messages.
 */
export function renderChatML(messages: readonly ServerChatMessage[], generationPrompt = true): string {
  let text = '';
  if (messages[0]?.role !== 'system') text += '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n';
  for (const message of messages) {
    const content =
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => (part.type === 'text' ? part.text : IMAGE_PLACEHOLDER)).join('');
    text += `<|im_start|>${message.role}\n${content}<|im_end|>\n`;
  }
  return generationPrompt ? `${text}<|im_start|>assistant\n` : text;
}
