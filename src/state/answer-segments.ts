/**
 * Splits a round's streamed output into what the answer area shows: reasoning (`<think>`),
 * the request for the full image (`<tool_call>`), the answer (`<answer>`) and any other text.
 * Works on partial output: an unclosed block is marked incomplete, and while streaming a tag
 * cut in half at the end is held back instead of flashing on screen.
 */

export type SegmentKind = 'think' | 'answer' | 'tool-call';

export type AnswerSegment = { kind: 'text'; text: string } | { kind: SegmentKind; text: string; complete: boolean };

const TAGS: Readonly<Record<SegmentKind, readonly [open: string, close: string]>> = {
  think: ['<think>', '</think>'],
  answer: ['<answer>', '</answer>'],
  'tool-call': ['<tool_call>', '</tool_call>'],
};
const KINDS = Object.keys(TAGS) as SegmentKind[];
const OPENING_TAGS = KINDS.map((kind) => TAGS[kind][0]);

/** `text` without a trailing fragment that could be the start of one of `tags`. */
function withoutPartialTag(text: string, tags: readonly string[]): string {
  const longest = Math.max(...tags.map((tag) => tag.length)) - 1;
  for (let length = Math.min(longest, text.length); length > 0; length--) {
    const tail = text.slice(-length);
    if (tags.some((tag) => tag.startsWith(tail))) return text.slice(0, -length);
  }
  return text;
}

/**
 * The segments of one round's output, in order. `streaming` holds back a half-written tag at
 * the end; without it the text is taken as final.
 */
export function segmentTurn(output: string, streaming = false): AnswerSegment[] {
  const segments: AnswerSegment[] = [];
  const pushText = (text: string): void => {
    // Reasoning whose opening tag the model left out still ends with `</think>`.
    const close = text.indexOf(TAGS.think[1]);
    if (close >= 0) {
      const reasoning = text.slice(0, close).trim();
      if (reasoning) segments.push({ kind: 'think', text: reasoning, complete: true });
      pushText(text.slice(close + TAGS.think[1].length));
      return;
    }
    const trimmed = text.trim();
    if (trimmed) segments.push({ kind: 'text', text: trimmed });
  };

  let rest = output;
  while (rest.length > 0) {
    let next: { kind: SegmentKind; index: number } | null = null;
    for (const kind of KINDS) {
      const index = rest.indexOf(TAGS[kind][0]);
      if (index >= 0 && (next === null || index < next.index)) next = { kind, index };
    }
    if (next === null) {
      pushText(streaming ? withoutPartialTag(rest, [...OPENING_TAGS, TAGS.think[1]]) : rest);
      break;
    }
    pushText(rest.slice(0, next.index));
    const [open, close] = TAGS[next.kind];
    const bodyStart = next.index + open.length;
    const end = rest.indexOf(close, bodyStart);
    if (end < 0) {
      const body = rest.slice(bodyStart);
      segments.push({
        kind: next.kind,
        text: (streaming ? withoutPartialTag(body, [close]) : body).trim(),
        complete: false,
      });
      break;
    }
    segments.push({ kind: next.kind, text: rest.slice(bodyStart, end).trim(), complete: true });
    rest = rest.slice(end + close.length);
  }
  return segments;
}
