/**
 * A model server as the backend: the test peer (an OpenAI-compatible server on the project's Node
 * engine and the generated test model) runs in the test runner's process at
 * `http://localhost:<another port>/v1`, another origin than the app's. The same
 * questions give the same answers and figures as the model in the page; images go to the peer and
 * nowhere else; every failure of a server says in words what went wrong and leaves the app usable;
 * Stop ends the HTTP request; a server without log-probabilities disables the confidence policy.
 */
import type { Request } from '@playwright/test';
import { expect, RUN_TIMEOUT, TEST_MODEL_ID, test, type App } from './support/app.ts';
import { expectedTokens, sampleImage } from './support/images.ts';
import { askThenStopAfter, timedRun, type StopOutcome } from './support/stop.ts';
import { closedPort, connectToServer, expectConnected, recordRequests, serverId, TestPeer } from './support/server.ts';

const QUESTION = 'What colour is this image?';

let peer: TestPeer;

test.beforeAll(async () => {
  peer = await TestPeer.start();
});

test.afterAll(async () => {
  await peer.close();
});

test.beforeEach(async () => {
  await peer.reset();
});

/** The server's usage in round `round` of the trace: prompt, cached and generated tokens. */
async function serverUsage(app: App, round: number): Promise<{ prompt: number; cached: number; completion: number }> {
  const line = serverId(app, `trace.round-${round}.server-usage`);
  await expect(line).toBeVisible();
  const read = async (name: string): Promise<number> => Number(await line.getAttribute(`data-${name}`));
  return { prompt: await read('prompt'), cached: await read('cached'), completion: await read('completion') };
}

test('local, then the server: the same answers and figures; images go to the peer only', async ({ app }) => {
  // Another origin than the app's: the same host, another port.
  expect(peer.origin).toMatch(/^http:\/\/localhost:\d+$/);
  expect(peer.origin).not.toBe(app.origin);
  const sent = recordRequests(app);
  // Small images: SwiftShader (the webgpu project) runs the page's model on the CPU.
  const plain = await sampleImage('plain', 'blue', 448, 336);
  const detailed = await sampleImage('detailed', 'green', 448, 336);
  const plainTokens = expectedTokens(plain.width, plain.height, false);
  const detailedTokens = expectedTokens(detailed.width, detailed.height, true);
  expect(plainTokens).toMatchObject({ used: 48, baseline: 192, saved: 144 });
  expect(detailedTokens).toMatchObject({ used: 240, baseline: 192, saved: -48 });

  // The model in the page.
  await app.open();
  await expect(serverId(app, 'privacy.notice')).toHaveText(/your images never leave your device/);
  const localAnswers: string[] = [];
  for (const [image, tokens] of [
    [plain, plainTokens],
    [detailed, detailedTokens],
  ] as const) {
    await app.chooseImage(image);
    await app.ask(QUESTION);
    await app.expectAnswer(image.colour);
    await app.expectMeter(tokens);
    localAnswers.push((await app.byId('answer.final').innerText()).trim());
  }
  await expect(serverId(app, 'trace.round-2')).toContainText(/Full resolution/);
  expect(
    sent.filter((request) => request.carriesImage),
    'no request carries an image',
  ).toEqual([]);
  expect(await peer.log(), 'nothing reached the peer').toEqual([]);

  // The server, chosen, typed and connected as a person does.
  const connectedFrom = sent.length;
  const connectStarted = Date.now();
  await connectToServer(app, peer);
  app.time('connectMs', Date.now() - connectStarted);
  await expect(serverId(app, 'privacy.notice')).toHaveText(
    `Images and questions are sent to ${peer.origin} (the model server you chose).`,
  );
  await expect(serverId(app, 'privacy.notice')).not.toContainText('never leave');
  await expect(serverId(app, 'server.destination')).toContainText(peer.origin);
  // Connecting lists the models and asks one text-only token (are there log-probabilities?).
  expect(
    (await peer.log())
      .filter((entry) => entry.method !== 'OPTIONS')
      .map((entry) => [entry.method, entry.path, entry.imageParts, entry.origin]),
  ).toEqual([
    ['GET', '/v1/models', 0, app.origin],
    ['GET', '/v1/models', 0, app.origin],
    ['POST', '/v1/chat/completions', 0, app.origin],
  ]);
  expect(sent.slice(connectedFrom).filter((request) => request.carriesImage)).toEqual([]);

  // The same two questions: the same answers, visual tokens and meter.
  for (const [index, [image, tokens]] of (
    [
      [plain, plainTokens],
      [detailed, detailedTokens],
    ] as const
  ).entries()) {
    await app.chooseImage(image);
    const asked = Date.now();
    await app.ask(QUESTION);
    await app.expectAnswer(image.colour);
    app.time(`${image.kind === 'plain' ? 'plain' : 'detailed'}ServerAnswerMs`, Date.now() - asked);
    await app.expectMeter(tokens);
    await expect(app.byId('answer.final')).toHaveText(localAnswers[index] ?? '');
    // The server counted round 1's prompt: the system prompt, the question and the low image.
    const first = await serverUsage(app, 1);
    expect(first.prompt, 'round 1 holds the low image').toBeGreaterThan(tokens.plan.low.visualTokens);
  }
  // The detailed image escalated on the server too, and round 2 continued on the server's cache.
  const trace = app.byId('trace');
  const { low, full } = detailedTokens.plan;
  await expect(trace).toContainText(new RegExp(`Low resolution at ${low.width}\\s*[×x]\\s*${low.height}`));
  await expect(trace).toContainText(new RegExp(`Full resolution at ${full.width}\\s*[×x]\\s*${full.height}`));
  await expect(app.byId('trace.round-1.decision')).toHaveText('→ The model asked for the full image.');
  const round1 = await serverUsage(app, 1);
  const round2 = await serverUsage(app, 2);
  expect(round2.cached, 'round 2 reuses the cached conversation').toBeGreaterThan(0);
  // Round 2 holds all of round 1 (its reply included) and the full image's tokens.
  expect(round2.cached).toBeGreaterThanOrEqual(round1.prompt);
  expect(round2.prompt - round1.prompt - round1.completion).toBeGreaterThan(detailedTokens.plan.full.visualTokens);
  await expect(serverId(app, 'trace.round-2.server-usage')).toContainText(
    `Server: ${round2.prompt} prompt tokens (${round2.cached} cached), ${round2.completion} generated`,
  );
  await app.expectSession({
    used: 2 * (plainTokens.used + detailedTokens.used),
    baseline: 2 * (plainTokens.baseline + detailedTokens.baseline),
    saved: 2 * (plainTokens.saved + detailedTokens.saved),
    escalations: 2,
  });

  // Every request went to the app or to the peer; the ones with images to the peer's chat completions.
  const foreign = sent.filter(
    ({ url }) =>
      !(
        url.startsWith(`${app.origin}/`) ||
        url.startsWith(`${peer.origin}/`) ||
        url.startsWith('blob:') ||
        url.startsWith('data:')
      ),
  );
  expect(foreign, `requests outside ${app.origin} and ${peer.origin}`).toEqual([]);
  const withImages = sent.filter((request) => request.carriesImage);
  expect(withImages.length, 'the questions sent their images').toBeGreaterThanOrEqual(3);
  expect(
    withImages.filter((request) => !(request.method === 'POST' && request.url === peer.chatUrl)),
    'requests with images that did not go to the peer',
  ).toEqual([]);
  // The peer agrees: one image for the plain question, one and then both for the detailed one.
  const chats = await peer.chats();
  expect(chats.map((entry) => entry.imageParts)).toEqual([0, 1, 1, 2]);
  expect(chats.every((entry) => entry.origin === app.origin && !entry.authorization)).toBe(true);
});

/** A link to the model server at `url` serving the test model (it fills the form and sends nothing). */
const serverLink = (url: string): string =>
  `#model=server&server=${encodeURIComponent(url)}&server-model=${encodeURIComponent(TEST_MODEL_ID)}`;

interface FailureCase {
  name: string;
  /** What the peer does to the next chat completion. */
  inject: Parameters<TestPeer['inject']>;
  code: string;
  /** What the message must say. */
  says: RegExp[];
  /** The server settings are where to fix it. */
  settings: boolean;
  /** How the person goes on: Retry, or Ask again. */
  then: 'retry' | 'ask';
}

const FAILURES: readonly FailureCase[] = [
  {
    name: 'no CORS headers',
    inject: ['no-cors'],
    code: 'server-cors',
    says: [
      /is running, but the browser withheld its reply from this page \(ORIGIN\)/,
      /--allowed-origins '\["ORIGIN"\]'/,
    ],
    settings: true,
    then: 'retry',
  },
  {
    name: '401',
    inject: ['unauthorized'],
    code: 'server-auth',
    says: [/needs an API key and none was sent \(HTTP 401: Unauthorized\)/],
    settings: true,
    then: 'ask',
  },
  {
    name: 'unknown model',
    inject: ['unknown-model'],
    code: 'server-model',
    says: [/does not serve the model "visionthink-test"/, /Pick one of the models the server lists/],
    settings: true,
    then: 'retry',
  },
  {
    name: '413',
    inject: ['too-large'],
    code: 'server-too-large',
    says: [/refused the request as too large \(HTTP 413/, /Use a smaller image/],
    settings: false,
    then: 'ask',
  },
  {
    name: '503 without Retry-After',
    inject: ['unavailable', { retryAfter: null }],
    code: 'server-busy',
    says: [/is busy \(HTTP 503: The server is busy: try again later\.\)\. Try again in a moment\./],
    settings: false,
    then: 'retry',
  },
  {
    name: 'the stream cut mid-answer',
    inject: ['cut', { afterTokens: 2 }],
    code: 'server-stream',
    says: [/stopped before the answer was complete: the connection to ADDRESS closed mid-answer/],
    settings: false,
    then: 'retry',
  },
  {
    name: 'a malformed event',
    inject: ['malformed', { afterTokens: 2 }],
    code: 'server-stream',
    says: [/sent a malformed event in its reply/],
    settings: false,
    then: 'ask',
  },
  {
    name: 'an HTML page',
    inject: ['non-openai'],
    code: 'server-protocol',
    says: [/answered, but not as an OpenAI-compatible API \(it sent an HTML page instead of a stream/],
    settings: true,
    then: 'retry',
  },
];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The error banner shows `code` with a message that says each of `says` (ORIGIN and ADDRESS filled in). */
async function expectServerError(app: App, code: string, says: RegExp[]): Promise<string> {
  await expect(app.byId('error')).toHaveAttribute('data-code', code, { timeout: RUN_TIMEOUT });
  const text = await app.expectReadableError(/\S/);
  const message = (await serverId(app, 'error.message').innerText()).trim();
  for (const pattern of says) {
    const filled = pattern.source.replaceAll('ORIGIN', escape(app.origin)).replaceAll('ADDRESS', escape(peer.url));
    expect(message).toMatch(new RegExp(filled));
  }
  return text;
}

test('server failures: each says what went wrong, keeps the question, and the next question answers', async ({
  app,
}) => {
  const closed = `http://localhost:${await closedPort()}/v1`;
  const image = await sampleImage('plain', 'blue', 448, 336);

  // A link names a server where nothing runs: nothing is sent before Connect, which then fails.
  await app.goto(serverLink(closed));
  await expect(serverId(app, 'server.prompt')).toBeVisible();
  await expect(serverId(app, 'privacy.notice')).toHaveText(
    `Images and questions will be sent to ${new URL(closed).origin} (the model server named in the link you opened) once you connect; none has been sent yet.`,
  );
  await serverId(app, 'server.prompt.connect').click();
  await expectServerError(app, 'server-unreachable', [
    new RegExp(`^Nothing answered at ${escape(closed)}\\. Check the address and that the server is running\\.$`),
  ]);
  await expect(serverId(app, 'server.status')).toHaveText(
    'Not connected: the message at the top of the page says why.',
  );

  // The server settings, with the address to fix focused.
  await serverId(app, 'error.server-settings').click();
  await expect(serverId(app, 'server.url')).toBeFocused();
  await serverId(app, 'server.url').fill(peer.url);
  await serverId(app, 'server.url').press('Tab');
  await expect(serverId(app, 'server.models')).toHaveAttribute('data-count', '1');

  // A model the server does not list: said beside the field, and Connect fails naming the one it serves.
  await serverId(app, 'server.model').fill('visionthink-other');
  await expect(serverId(app, 'server.model.unlisted')).toContainText('“visionthink-other”');
  await serverId(app, 'server.connect').click();
  await expectServerError(app, 'server-model', [
    new RegExp(
      `^The server at ${escape(peer.url)} does not serve "visionthink-other"\\. It serves: visionthink-test\\.$`,
    ),
  ]);
  await serverId(app, 'error.server-settings').click();
  await expect(serverId(app, 'server.model')).toBeFocused();
  await serverId(app, 'server.model').fill(TEST_MODEL_ID);
  await serverId(app, 'server.connect').click();
  await expectConnected(app, peer);
  await expect(app.byId('error')).toBeHidden();

  await app.chooseImage(image);
  await app.ask(QUESTION);
  await app.expectAnswer('blue');

  let asked = 0;
  for (const failure of FAILURES) {
    await test.step(failure.name, async () => {
      await peer.inject(...failure.inject);
      const question = `What colour is it? (${++asked})`;
      await app.ask(question);
      await expectServerError(app, failure.code, failure.says);
      await expect(app.byId('answer')).toHaveAttribute('data-status', 'error');
      await expect(app.byId('question')).toHaveValue(question);
      await expect(serverId(app, 'error.server-settings')).toHaveCount(failure.settings ? 1 : 0);
      if (failure.then === 'retry') await serverId(app, 'error.retry').click();
      else await app.ask(question);
      await app.expectAnswer('blue');
      await expect(app.byId('error')).toBeHidden();
    });
  }

  await test.step('429 with Retry-After: Retry counts down, then asks again', async () => {
    await peer.inject('rate-limited', { retryAfter: 3 });
    await app.ask('What colour is it, once more?');
    await expectServerError(app, 'server-busy', [
      /is busy \(HTTP 429: Too many requests: try again later\.\)\. It asked to wait 3 seconds before trying again\./,
    ]);
    const retry = serverId(app, 'error.retry');
    await expect(retry).toBeDisabled();
    await expect(retry).toHaveText(/^Retry in [1-3] s$/);
    await expect(retry).toHaveText('Retry in 1 s', { timeout: 5_000 });
    await expect(retry).toBeEnabled({ timeout: 5_000 });
    await expect(retry).toHaveText('Retry');
    await retry.click();
    await app.expectAnswer('blue');
  });

  await test.step('403 for the key sent: the message says so and never repeats the key', async () => {
    const key = 'sk-e2e-do-not-show-7f3a';
    await serverId(app, 'server.key').fill(key);
    await serverId(app, 'server.connect').click();
    await expectConnected(app, peer);
    await peer.inject('forbidden');
    await app.ask('What colour is it, with the key?');
    const text = await expectServerError(app, 'server-auth', [
      /does not allow the API key that was sent \(HTTP 403: This key may not use this model\.\)\. Check the key in the server settings\./,
    ]);
    expect(text).not.toContain(key);
    await serverId(app, 'error.retry').click();
    await app.expectAnswer('blue');
    const chats = await peer.chats();
    expect(chats.slice(-2).map((entry) => entry.authorization)).toEqual([true, true]);
  });

  await test.step('a server that checks the key before CORS (as vLLM does): a wrong key is named as a cause', async () => {
    const right = 'sk-e2e-right-key-52c1';
    const wrong = 'sk-e2e-wrong-key-9d0e';
    const locked = await TestPeer.start({ model: peer.peer.model, apiKey: right });
    try {
      // The address first: a key belongs to the server it is typed for.
      await serverId(app, 'server.url').fill(locked.url);
      await serverId(app, 'server.key').fill(wrong);
      await serverId(app, 'server.model').fill(TEST_MODEL_ID);
      await serverId(app, 'server.connect').click();
      const text = await expectServerError(app, 'server-cors', [
        /is running, but the browser withheld its reply from this page \(ORIGIN\)/,
        /or the API key was not accepted/,
      ]);
      expect(text).not.toContain(wrong);
      await serverId(app, 'server.key').fill(right);
      await serverId(app, 'server.connect').click();
      await expectConnected(app, locked);
      await app.ask('What colour is it, on the server with a key?');
      await app.expectAnswer('blue');
    } finally {
      await locked.close();
    }
  });

  // Every chat completion the peer got came from the app's page.
  const chats = await peer.chats();
  expect(chats.every((entry) => entry.origin === app.origin)).toBe(true);
});

/** A chat completion the browser sent, and how it ended. */
interface ChatRequest {
  /** Sent by the service worker (coi-serviceworker fetches on behalf of the page and its workers). */
  serviceWorker: boolean;
  outcome: 'pending' | 'finished' | `failed: ${string}`;
}

/** Records the chat completions sent to `target` from now on; call the result to read them, in order. */
function recordChats(app: App, target: TestPeer): () => ChatRequest[] {
  const chats = new Map<Request, ChatRequest>();
  const context = app.page.context();
  context.on('request', (request) => {
    if (request.method() !== 'POST' || request.url() !== target.chatUrl) return;
    chats.set(request, { serviceWorker: request.serviceWorker() !== null, outcome: 'pending' });
  });
  context.on('requestfinished', (request) => {
    const chat = chats.get(request);
    if (chat) chat.outcome = 'finished';
  });
  context.on('requestfailed', (request) => {
    const chat = chats.get(request);
    if (chat) chat.outcome = `failed: ${request.failure()?.errorText ?? 'no reason given'}`;
  });
  return () => [...chats.values()];
}

test('Stop ends the request to the server; a server without log-probabilities disables Escalate when unsure', async ({
  app,
}) => {
  const image = await sampleImage('detailed', 'red', 896, 672);
  const tokens = expectedTokens(image.width, image.height, true);
  await app.goto(serverLink(peer.url));
  await expect(serverId(app, 'server.prompt')).toBeVisible();
  expect(await peer.log(), 'a link sends nothing to the server it names').toEqual([]);
  await serverId(app, 'server.prompt.connect').click();
  await expectConnected(app, peer);
  await app.chooseImage(image);
  await app.byId('question').fill(QUESTION);

  // An uninterrupted run sets the time scale of the click.
  const runMs = await timedRun(app, { fresh: false });
  await app.expectAnswer('red');
  await app.expectMeter(tokens);
  app.time('uninterruptedRunMs', runMs);

  // Stop at ordinary moments of a new question until one finds a request in flight (a click
  // while the page encodes an image has no request to end).
  const chats = recordChats(app, peer);
  let landed: StopOutcome | null = null;
  for (const fraction of [0.35, 0.6, 0.15, 0.8]) {
    await app.byId('new-conversation').click();
    await peer.resetPrefixCache();
    await peer.reset();
    const before = chats().length;
    const outcome = await askThenStopAfter(app, Math.round(fraction * runMs), { fresh: false });
    test.info().annotations.push({ type: `Stop at ${fraction} of the run`, description: JSON.stringify(outcome) });
    // The run ended first, or the click lost the race to the answer's last tokens: no landing.
    if (!outcome.clicked || (outcome.status === 'done' && outcome.phase.endsWith(':decode'))) continue;
    expect(outcome.status, `Stop clicked during ${outcome.phase}`).toBe('stopped');
    await expect(app.byId('answer').getByTestId('answer.stopped')).toBeVisible();
    await expect(app.byId('error')).toBeHidden();
    if (!/^round-\d:(prefill|decode)$/.test(outcome.phase)) continue;
    landed = outcome;
    app.time(`stop→idle during ${outcome.phase}`, outcome.clickToIdleMs);
    // The browser ended the request in flight: the last chat completion failed as aborted, both
    // the page worker's request and the service worker's fetch for it (coi-serviceworker fetches on
    // the page's behalf). Earlier rounds may show as aborted too: the client stops reading at
    // `data: [DONE]`, before the body's end.
    await expect
      .poll(() =>
        chats()
          .slice(before)
          .map((chat) => chat.outcome),
      )
      .not.toContain('pending');
    const run = chats().slice(before);
    const described = JSON.stringify(run);
    for (const viaServiceWorker of [false, true]) {
      const last = run.filter((chat) => chat.serviceWorker === viaServiceWorker).at(-1);
      expect(last?.outcome, described).toBe('failed: net::ERR_ABORTED');
    }
    // The peer saw its client go before the answer was complete: that completion kept no cache
    // (the earlier rounds, which finished, did), and the peer is free for the next question.
    const received = (await peer.chats()).length;
    await peer.settle();
    expect(peer.cachedSequences(), 'caches the peer kept: the finished rounds and the settling request').toBe(
      received - 1 + 1,
    );
    break;
  }
  expect(landed, 'a click found a request in flight').not.toBeNull();

  // The next question answers, on the same connection.
  await app.byId('new-conversation').click();
  await app.ask(QUESTION);
  await app.expectAnswer('red');
  await app.expectMeter(tokens);

  // Escalate when unsure works on a server with log-probabilities.
  await app.byId('policy').selectOption('confidence');
  await expect(app.byId('policy')).toHaveValue('confidence');
  await expect(serverId(app, 'policy.unavailable')).toHaveCount(0);

  // A server without them: the policy is disabled there, with the reason, and the person's choice
  // comes back with a server that has them.
  const plain = await TestPeer.start({ model: peer.peer.model, logprobs: false });
  try {
    await serverId(app, 'server.url').fill(plain.url);
    await serverId(app, 'server.url').press('Tab');
    await expect(serverId(app, 'server.models')).toHaveAttribute('data-count', '1');
    await serverId(app, 'server.connect').click();
    await expectConnected(app, plain);
    await expect(serverId(app, 'policy.unavailable')).toHaveText(
      `The server at ${plain.url} does not return token probabilities (logprobs), which "Escalate when unsure" needs to judge an answer.`,
    );
    const confidence = app.byId('policy').locator('option[value="confidence"]');
    await expect(confidence).toBeDisabled();
    await expect(confidence).toHaveText('Escalate when unsure (not on this server)');
    await expect(app.byId('policy')).toHaveValue('visionthink');
    await expect(app.page.getByTestId('policy.fallback')).toHaveText(
      'You chose Escalate when unsure, so Model decides is used instead while this server answers.',
    );
    await app.byId('new-conversation').click();
    await app.ask(QUESTION);
    await app.expectAnswer('red');
    await app.expectMeter(tokens);
  } finally {
    await plain.close();
  }
});
