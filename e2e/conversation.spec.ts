/**
 * Conversations: a follow-up about the same image prefills only its own question and sees the
 * full image the first question fetched; Stop in a follow-up leaves the conversation as it was;
 * a new image and New conversation start afresh. One page for the whole story.
 */
import { promptProtocol } from '../src/engine/prompt-protocols.ts';
import { policyFor } from '../src/engine/policies.ts';
import { loadModelForNode } from '../src/node/load-model.ts';
import { expect, RUN_TIMEOUT, test } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';

const FIRST = 'What colour is this image?';
const FOLLOW_UPS = ['And what colour is its corner?', 'Is the middle the same colour?', 'And the edges?'];

/** Tokens a follow-up prefills: its own turn, and the <|im_end|> the answer before it sampled. */
async function followUpPrefill(questions: readonly string[]): Promise<number[]> {
  const model = await loadModelForNode();
  try {
    const protocol = promptProtocol(policyFor('visionthink'), model);
    const [imEnd] = model.encodeText('<|im_end|>');
    return questions.map((question) => model.encodeText(protocol.followUpTurn(question, imEnd)).length + 1);
  } finally {
    await model.dispose();
  }
}

test('follow-ups: only the question is prefilled, the full image stays, Stop keeps the conversation, a new image starts afresh', async ({
  app,
}) => {
  const prefills = await followUpPrefill(FOLLOW_UPS);
  await app.open();
  const detailed = await sampleImage('detailed', 'green', 448, 336);
  const first = expectedTokens(detailed.width, detailed.height, true);
  await app.chooseImage(detailed);
  await app.ask(FIRST);
  await app.expectAnswer('green');
  await app.expectMeter(first);
  await expect(app.byId('ask.hint')).toHaveText(/^Enter asks a follow-up about this image \(question 2;/);

  // A follow-up, sent with Enter: no new image, only its own turn prefilled.
  await app.byId('question').fill(FOLLOW_UPS[0] ?? '');
  await app.byId('question').press('Enter');
  await app.expectAnswer('green');
  await expect(app.byId('answer.turn')).toHaveText('Question 2:');
  await app.expectMeter({ used: 0, baseline: 0, saved: 0 });
  await app.expectNumber('meter.prefilled', prefills[0] ?? 0);
  await expect(app.byId('meter.stage')).toHaveText(
    'No new visual tokens: the image was in context already, so only the question was prefilled.',
  );
  await expect(app.byId('trace.round-1.decision')).toHaveText('→ The model answered.');
  await expect(app.byId('trace')).toContainText('Text only (no new image)');
  await expect(app.byId('conversation.turn-1.answer')).toHaveText('green');
  await app.expectNumber('conversation.turn-1.visual', first.used);
  await app.expectNumber('conversation.questions', 2);
  await app.expectNumber('conversation.used', first.used);
  await app.expectNumber('conversation.baseline', first.baseline);
  await app.expectSession({ used: first.used, baseline: first.baseline, saved: first.saved, escalations: 1 });

  // Stop in a follow-up once it decodes: the conversation stays as it was after question 2.
  await app.byId('question').fill(FOLLOW_UPS[1] ?? '');
  await app.page.evaluate((timeout) => {
    const find = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    find('ask')?.click();
    return new Promise<void>((resolve, reject) => {
      const observer = new MutationObserver(() => {
        if (find('trace')?.dataset.phase !== 'round-1:decode') return;
        observer.disconnect();
        (find('stop') as HTMLButtonElement | null)?.click();
        resolve();
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
      setTimeout(() => {
        observer.disconnect();
        reject(new Error('the follow-up never decoded'));
      }, timeout);
    });
  }, RUN_TIMEOUT);
  await expect(app.byId('answer')).toHaveAttribute('data-status', 'stopped', { timeout: RUN_TIMEOUT });
  await expect(app.byId('conversation.turn-2.answer')).toHaveText('green');

  // The next follow-up answers, as question 3: the stopped one is not part of the conversation.
  await app.ask(FOLLOW_UPS[2]);
  await app.expectAnswer('green');
  await expect(app.byId('answer.turn')).toHaveText('Question 3:');
  await app.expectNumber('meter.prefilled', prefills[2] ?? 0);
  await expect(app.byId('conversation.turn-3')).toHaveCount(0);
  await app.expectNumber('conversation.questions', 3);

  // The share link carries the first question only, and says so.
  await app.byId('share').click();
  await expect(app.byId('share.first-question')).toBeVisible();
  await expect(app.byId('share.link')).toHaveValue(
    /[#&]question=What(%20|\+)colour(%20|\+)is(%20|\+)this(%20|\+)image/,
  );
  await app.byId('share.close').click();

  // A new image starts afresh.
  const plain = await sampleImage('plain', 'blue', 896, 672);
  await app.chooseImage(plain);
  await expect(app.byId('conversation')).toHaveCount(0);
  await expect(app.byId('conversation.totals')).toHaveCount(0);
  await app.ask(FIRST);
  await app.expectAnswer('blue');
  await expect(app.byId('answer.turn')).toHaveText('You asked:');
  await app.expectMeter(expectedTokens(plain.width, plain.height, false));
  await app.expectNumber('conversation.questions', 1);

  // New conversation clears the chat; the next question is a first question again.
  await app.ask('And its corner?');
  await app.expectAnswer('blue');
  await expect(app.byId('conversation.turn-1')).toBeVisible();
  await app.byId('new-conversation').click();
  await expect(app.byId('conversation')).toHaveCount(0);
  await expect(app.byId('answer')).toHaveAttribute('data-status', 'idle');
  await expect(app.byId('ask.hint')).toHaveText('Enter asks, Shift+Enter starts a new line.');
  await app.ask(FIRST);
  await app.expectAnswer('blue');
  await app.expectMeter(expectedTokens(plain.width, plain.height, false));
});
