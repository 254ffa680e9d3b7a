import { describe, expect, it } from 'vitest';
import { segmentTurn } from './answer-segments.ts';

describe('segmentTurn', () => {
  it('splits reasoning, a tool call and an answer', () => {
    expect(
      segmentTurn(
        '<think>I need detail.</think>\n<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize"}}\n</tool_call>',
      ),
    ).toEqual([
      { kind: 'think', text: 'I need detail.', complete: true },
      { kind: 'tool-call', text: '{"name": "resize_image", "arguments": {"action": "resize"}}', complete: true },
    ]);
    expect(segmentTurn('<think>Easy.</think><answer>red</answer>')).toEqual([
      { kind: 'think', text: 'Easy.', complete: true },
      { kind: 'answer', text: 'red', complete: true },
    ]);
  });

  it('marks an unclosed block incomplete and holds back a half-written tag while streaming', () => {
    expect(segmentTurn('<think>Looking at the ima', true)).toEqual([
      { kind: 'think', text: 'Looking at the ima', complete: false },
    ]);
    expect(segmentTurn('<think>Done.</thi', true)).toEqual([{ kind: 'think', text: 'Done.', complete: false }]);
    expect(segmentTurn('<think>Done.</think><ans', true)).toEqual([{ kind: 'think', text: 'Done.', complete: true }]);
    expect(segmentTurn('Price: 5 <', false)).toEqual([{ kind: 'text', text: 'Price: 5 <' }]);
  });

  it('keeps text outside the tags and reasoning whose opening tag is missing', () => {
    expect(segmentTurn('Let me see.</think>The sky is <answer>blue</answer> thanks')).toEqual([
      { kind: 'think', text: 'Let me see.', complete: true },
      { kind: 'text', text: 'The sky is' },
      { kind: 'answer', text: 'blue', complete: true },
      { kind: 'text', text: 'thanks' },
    ]);
    expect(segmentTurn('')).toEqual([]);
  });
});
