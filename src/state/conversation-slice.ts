/**
 * The conversation about the current image: the questions answered before the current one, and
 * the conversation's visual-token totals. A question asked while a follow-up is possible (same
 * image, policy and budget as the last answered one, on the same loaded model) continues the
 * conversation in the worker, which prefills only the new question; any other starts afresh.
 */
import type { VisualTokenTotals } from '../engine/events.ts';
import type { AppState, Slice, SliceContext } from './app-state.ts';
import type { AppDependencies } from './dependencies.ts';
import { idleRun, revokeRunUrls, type RunState } from './run-slice.ts';
import { selectPolicy } from './settings-slice.ts';
import { memoSelector } from './memo.ts';

export interface ConversationState {
  /** Answered questions before the current one, oldest first (a stopped or failed one is not kept). */
  earlier: readonly RunState[];
  /** The conversation's visual tokens after its latest answer (null before the first). */
  totals: VisualTokenTotals | null;
  /**
   * Follow-ups may continue it: cleared when the worker's conversation ends (a new image, a model
   * loaded or reloaded, New conversation).
   */
  open: boolean;
}

export interface ConversationSlice {
  conversation: ConversationState;
  /** Starts afresh: the chat clears and the worker frees the conversation's cache; the question box keeps its text. */
  newConversation: () => void;
}

export const EMPTY_CONVERSATION: ConversationState = { earlier: [], totals: null, open: false };

/** The last answered question of the conversation, which a follow-up continues from. */
function anchorOf(state: AppState): RunState | null {
  if (state.run.status === 'done') return state.run;
  return state.conversation.earlier.at(-1) ?? null;
}

/** Whether the next question is a follow-up, and when it is not although a conversation is open, why not. */
export interface FollowUpView {
  followUp: boolean;
  /** Answered questions so far in the conversation. */
  turns: number;
  /** For people: why the next question starts a new conversation (null when it does not, or none is open). */
  restartReason: string | null;
}

export const selectFollowUp = memoSelector(
  (s) => [
    s.conversation,
    s.run.status,
    s.run.imageId,
    s.run.policy,
    s.run.maxVisualTokens,
    s.image.current?.imageId,
    selectPolicy(s),
    s.settings.maxVisualTokens,
  ],
  followUpOf,
);

function followUpOf(state: AppState): FollowUpView {
  const { conversation } = state;
  const anchor = anchorOf(state);
  const turns = conversation.earlier.length + (state.run.status === 'done' ? 1 : 0);
  if (!conversation.open || !anchor) return { followUp: false, turns, restartReason: null };
  const restartReason =
    anchor.imageId !== state.image.current?.imageId
      ? 'The image changed: your next question starts a new conversation.'
      : anchor.policy !== selectPolicy(state)
        ? 'The policy changed: your next question starts a new conversation.'
        : anchor.maxVisualTokens !== state.settings.maxVisualTokens
          ? 'The visual-token budget changed: your next question starts a new conversation.'
          : null;
  return { followUp: restartReason === null, turns, restartReason };
}

/** The conversation's first question, which a share link carries; null when none was answered. */
export function selectFirstQuestion(state: AppState): string | null {
  if (!selectFollowUp(state).followUp) return null;
  return state.conversation.earlier[0]?.question ?? (state.run.status === 'done' ? state.run.question : null);
}

/** The conversation as a new question leaves it: the answered current question joins `earlier`, or all is cleared. */
export function conversationForAsk(state: AppState, followUp: boolean, deps: AppDependencies): ConversationState {
  if (followUp) {
    // A stopped or failed follow-up never entered the conversation (the engine rolled it back).
    if (state.run.status !== 'done') revokeRunUrls(state.run, deps);
    const earlier =
      state.run.status === 'done' ? [...state.conversation.earlier, state.run] : state.conversation.earlier;
    return { ...state.conversation, earlier };
  }
  for (const run of state.conversation.earlier) revokeRunUrls(run, deps);
  revokeRunUrls(state.run, deps);
  return EMPTY_CONVERSATION;
}

/** The conversation after the worker's ended (its earlier questions leave the page; the current one stays in view). */
export function endedConversation(state: AppState, deps: AppDependencies): Partial<AppState> {
  for (const run of state.conversation.earlier) revokeRunUrls(run, deps);
  return { conversation: EMPTY_CONVERSATION };
}

export const createConversationSlice =
  ({ client, deps }: SliceContext): Slice<ConversationSlice> =>
  (set, get) => ({
    conversation: EMPTY_CONVERSATION,
    newConversation: () => {
      const state = get();
      if (state.run.status === 'running') state.stop();
      client.endConversation();
      revokeRunUrls(state.run, deps);
      set({ ...endedConversation(state, deps), run: idleRun() });
    },
  });
