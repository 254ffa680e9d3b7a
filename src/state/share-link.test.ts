import { describe, expect, it } from 'vitest';
import {
  encodeShareLink,
  MAX_HASH_LENGTH,
  MAX_QUESTION_LENGTH,
  MAX_URL_LENGTH,
  parseShareLink,
  type ShareValues,
} from './share-link.ts';

const RULES = {
  modelIds: ['visionthink-test', 'other-model', 'server'],
  serverModelId: 'server',
  budget: { min: 4, max: 1280 },
};
const parse = (hash: string) => parseShareLink(hash, RULES);

describe('share links', () => {
  it('round-trips every value, with a sample or an address', () => {
    const withSample: ShareValues = {
      model: 'other-model',
      policy: 'full-only',
      budget: 512,
      question: 'What does the sign say? 100% sure & "quoted" #1\nsecond line',
      image: { kind: 'sample', sampleId: 'plain-blue-896x672' },
    };
    const hash = encodeShareLink(withSample);
    expect(hash.startsWith('#model=other-model&policy=full-only&budget=512&question=')).toBe(true);
    expect(parse(hash)).toEqual({ values: withSample, ignored: [] });

    const withUrl: ShareValues = {
      policy: 'low-only',
      image: { kind: 'url', url: 'https://example.com/a b.png?x=1&y=2#f' },
    };
    const parsed = parse(encodeShareLink(withUrl));
    expect(parsed.ignored).toEqual([]);
    expect(parsed.values).toEqual({
      policy: 'low-only',
      image: { kind: 'url', url: 'https://example.com/a%20b.png?x=1&y=2#f' },
    });
  });

  it('carries the confidence threshold: 0 to 1, two decimals at most', () => {
    const hash = encodeShareLink({ policy: 'confidence', threshold: 0.45, budget: 512 });
    expect(hash).toBe('#policy=confidence&threshold=0.45&budget=512');
    expect(parse(hash).values).toEqual({ policy: 'confidence', threshold: 0.45, budget: 512 });
    for (const ok of ['0', '1', '0.6', '0.05', '1.0'])
      expect(parse(`#threshold=${ok}`).values.threshold).toBe(Number(ok));
    for (const bad of ['1.5', '-0.1', '0.123', 'NaN', '.5', '1e-1', '0x1']) {
      const parsed = parse(`#threshold=${bad}`);
      expect(parsed.values.threshold).toBeUndefined();
      expect(parsed.ignored).toEqual([
        `Confidence threshold: “${bad}” is not a number from 0 to 1 (two decimals at most).`,
      ]);
    }
  });

  it('gives an empty hash for nothing and reads one as nothing', () => {
    expect(encodeShareLink({})).toBe('');
    expect(encodeShareLink({ question: '' })).toBe('');
    expect(parse('')).toEqual({ values: {}, ignored: [] });
    expect(parse('#')).toEqual({ values: {}, ignored: [] });
  });

  it('reads a hash with or without its #, and empty values as absent', () => {
    expect(parse('policy=low-only').values).toEqual({ policy: 'low-only' });
    expect(parse('#policy=&budget=&question=&model=')).toEqual({ values: {}, ignored: [] });
  });

  it('skips keys that are not its own without a notice (an ordinary anchor is not a link)', () => {
    expect(parse('#section-2')).toEqual({ values: {}, ignored: [] });
    expect(parse('#utm=1&policy=low-only&__proto__=x')).toEqual({ values: { policy: 'low-only' }, ignored: [] });
  });

  it('ignores unknown models and policies, with a notice', () => {
    const { values, ignored } = parse('#model=gpt-5&policy=evil');
    expect(values).toEqual({});
    expect(ignored).toEqual([
      'Model: “gpt-5” is not one of the models this app offers.',
      'Resolution policy: “evil” is not a known policy.',
    ]);
    for (const policy of ['__proto__', 'constructor', 'toString', 'FULL-ONLY']) {
      expect(parse(`#policy=${policy}`).values).toEqual({});
    }
  });

  it.each(['-5', '0', '3', '1281', '512.5', '5e2', '0x200', ' 512', '+512', 'NaN', 'Infinity', '1e400', '512px'])(
    'ignores the budget %j',
    (budget) => {
      const { values, ignored } = parseShareLink(`#budget=${encodeURIComponent(budget)}`, RULES);
      expect(values).toEqual({});
      expect(ignored).toHaveLength(1);
      expect(ignored[0]).toMatch(/^Budget: “.*” is not a whole number from 4 to 1280\.$/);
    },
  );

  it('takes budgets at both ends of the range', () => {
    expect(parse('#budget=4').values).toEqual({ budget: 4 });
    expect(parse('#budget=1280').values).toEqual({ budget: 1280 });
    expect(parseShareLink('#budget=16384', { ...RULES, budget: { min: 1, max: 16384 } }).values).toEqual({
      budget: 16384,
    });
  });

  it.each([
    ['javascript:alert(1)', /not “javascript:”/],
    ['data:image/png;base64,iVBORw0KGgo=', /not “data:”/],
    ['blob:https://example.com/0b7f', /not “blob:”/],
    ['file:///etc/passwd', /not “file:”/],
    ['ftp://example.com/a.png', /not “ftp:”/],
    ['JavaScript:alert(1)', /not “javascript:”/],
    ['//example.com/a.png', /is not a web address/],
    ['not a url', /is not a web address/],
    ['https://user:secret@example.com/a.png', /user name or password/],
  ])('ignores the image address %j', (url, reason) => {
    const { values, ignored } = parse(`#image=${encodeURIComponent(url)}`);
    expect(values).toEqual({});
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toMatch(/^Image address: /);
    expect(ignored[0]).toMatch(reason);
  });

  it('ignores the hostile link of the issue, keeping the question as plain text', () => {
    const { values, ignored } = parse(
      '#image=javascript:alert(1)&budget=-5&policy=evil&question=<img src=x onerror=alert(1)>',
    );
    expect(values).toEqual({ question: '<img src=x onerror=alert(1)>' });
    expect(ignored).toEqual([
      'Image address: only http:// and https:// addresses are loaded, not “javascript:”.',
      'Budget: “-5” is not a whole number from 4 to 1280.',
      'Resolution policy: “evil” is not a known policy.',
    ]);
  });

  it('ignores questions with control characters (%00) but keeps line breaks and tabs', () => {
    const { values, ignored } = parse('#question=abc%00def');
    expect(values).toEqual({});
    expect(ignored).toEqual(['Question: it contains control characters.']);
    expect(parse('#question=a%0Ab%09c%0D%0Ad').values).toEqual({ question: 'a\nb\tc\r\nd' });
    expect(parse('#model=visionthink-test%00').ignored[0]).toBe(
      'Model: “visionthink-test�” is not one of the models this app offers.',
    );
  });

  it('ignores oversize values', () => {
    const longest = 'q'.repeat(MAX_QUESTION_LENGTH);
    expect(parse(`#question=${longest}`).values).toEqual({ question: longest });
    expect(parse(`#question=${longest}q`)).toEqual({
      values: {},
      ignored: [`Question: it is longer than ${MAX_QUESTION_LENGTH} characters.`],
    });
    const url = `https://example.com/${'a'.repeat(MAX_URL_LENGTH)}.png`;
    expect(parse(`#image=${url}`)).toEqual({
      values: {},
      ignored: [`Image address: the address is longer than ${MAX_URL_LENGTH} characters.`],
    });
    expect(parse(`#sample=${'s'.repeat(200)}`).ignored).toHaveLength(1);
  });

  it('ignores the whole link when the hash is over 8192 characters', () => {
    const hash = `#policy=low-only&question=${'x'.repeat(MAX_HASH_LENGTH)}`;
    expect(parse(hash)).toEqual({ values: {}, ignored: ['The whole link: it is longer than 8192 characters.'] });
  });

  it('quotes long rejected values shortened', () => {
    const [line] = parse(`#model=${'m'.repeat(500)}`).ignored;
    expect(line).toBe(`Model: “${'m'.repeat(60)}…” is not one of the models this app offers.`);
  });

  it('ignores a key given more than once, whichever value is right', () => {
    const { values, ignored } = parse('#budget=512&policy=low-only&budget=256');
    expect(values).toEqual({ policy: 'low-only' });
    expect(ignored).toEqual(['Budget: it is given 2 times.']);
  });

  it('checks sample names and prefers a sample over an address', () => {
    expect(parse('#sample=../../secret').ignored).toEqual(['Sample image: “../../secret” is not a sample name.']);
    expect(parse('#sample=https://evil.example/x').values).toEqual({});
    const both = parse('#image=https://example.com/a.png&sample=plain-blue');
    expect(both.values).toEqual({ image: { kind: 'sample', sampleId: 'plain-blue' } });
    expect(both.ignored).toEqual(['Image address: the link also names a sample image, which is used instead.']);
    expect(parse('#image=http://example.com/a.png').values).toEqual({
      image: { kind: 'url', url: 'http://example.com/a.png' },
    });
  });

  it('survives malformed percent-encoding', () => {
    expect(parse('#question=%E0%A4%A&policy=low-only').values).toEqual({ question: '\uFFFD%A', policy: 'low-only' });
    expect(parse('#%ZZ=1&policy=%zz').ignored).toEqual(['Resolution policy: “%zz” is not a known policy.']);
  });

  it('carries a model server’s address and model, checked, and names the server as the model', () => {
    const values: ShareValues = {
      model: 'server',
      serverUrl: 'https://gpu.example:8443/v1',
      serverModel: 'Senqiao/VisionThink-Efficient',
      policy: 'visionthink',
    };
    const hash = encodeShareLink(values);
    expect(hash).toBe(
      '#model=server&server=https%3A%2F%2Fgpu.example%3A8443%2Fv1&server-model=Senqiao%2FVisionThink-Efficient&policy=visionthink',
    );
    expect(parse(hash)).toEqual({ values, ignored: [] });
    // A server without `model=server` still names the server; a trailing slash is dropped.
    expect(parse('#server=http://localhost:8000/v1/').values).toEqual({
      model: 'server',
      serverUrl: 'http://localhost:8000/v1',
    });
    expect(parse('#server=file:///etc/passwd&server-model=%01x').ignored).toEqual([
      'Model server: “file:///etc/passwd” cannot be used: only http:// and https:// servers can be used, not “file:”.',
      'Model on the server: “�x” cannot be used: the name contains control characters.',
    ]);
    expect(parse('#server=http://me:secret@gpu.example/v1').ignored).toEqual([
      'Model server: the address cannot be used: put the API key in its own field below, not in the address.',
    ]);
  });
});
