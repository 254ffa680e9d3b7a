import { describe, expect, it } from 'vitest';
import {
  METRIC_LABELS,
  aggregateScore,
  anls,
  exactMatch,
  levenshtein,
  popeF1,
  popeYesNo,
  relaxedAccuracy,
  scoreAnswer,
  substringMatch,
  vqaAccuracy,
  type ScoredAnswer,
} from './metrics.ts';

describe('relaxedAccuracy (ChartQA)', () => {
  it('accepts a number within 5 % of the reference and no further', () => {
    expect(relaxedAccuracy('105', ['100'])).toBe(1);
    expect(relaxedAccuracy('95', ['100'])).toBe(1);
    expect(relaxedAccuracy('105.1', ['100'])).toBe(0);
    expect(relaxedAccuracy('94.9', ['100'])).toBe(0);
    // |−5 − (−5.2)| / 5.2 = 0.038
    expect(relaxedAccuracy('-5', ['-5.2'])).toBe(1);
  });

  it('reads "%" as the number or as its fraction, so both usual pairings match', () => {
    expect(relaxedAccuracy('45%', ['45'])).toBe(1);
    expect(relaxedAccuracy('45', ['45%'])).toBe(1);
    expect(relaxedAccuracy('0.45', ['45%'])).toBe(1);
    expect(relaxedAccuracy('45 %', ['45%'])).toBe(1);
    // Without a "%" on either side there is nothing to read as a fraction.
    expect(relaxedAccuracy('0.45', ['45'])).toBe(0);
    expect(relaxedAccuracy('50%', ['45'])).toBe(0);
  });

  it('reads thousands separators', () => {
    expect(relaxedAccuracy('1,234', ['1234'])).toBe(1);
    // 56 / 1234 = 0.045 in; 66 / 1234 = 0.053 out
    expect(relaxedAccuracy('1,290', ['1234'])).toBe(1);
    expect(relaxedAccuracy('1,300', ['1234'])).toBe(0);
    // Not a grouping of thousands, so a string, and not equal to "123".
    expect(relaxedAccuracy('1,23', ['123'])).toBe(0);
  });

  it('needs equality against a reference of 0', () => {
    expect(relaxedAccuracy('0.0', ['0'])).toBe(1);
    expect(relaxedAccuracy('0.01', ['0'])).toBe(0);
  });

  it('compares anything else as text, ignoring case and surrounding spaces', () => {
    expect(relaxedAccuracy(' Yes ', ['yes'])).toBe(1);
    expect(relaxedAccuracy('Democrat', ['Democrats'])).toBe(0);
    expect(relaxedAccuracy('2', ['two'])).toBe(0);
  });

  it('takes the best reference, and scores 0 without one', () => {
    expect(relaxedAccuracy('17', ['Seventeen', '17.5'])).toBe(1);
    expect(relaxedAccuracy('17', [])).toBe(0);
  });
});

describe('levenshtein', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('counts code points, not UTF-16 units', () => {
    expect(levenshtein('😀a', '😀b')).toBe(1);
    expect(levenshtein('😀', '😃')).toBe(1);
    // One code point against one letter or none: as UTF-16 units these would be 2.
    expect(levenshtein('😀', 'a')).toBe(1);
    expect(levenshtein('', '😀')).toBe(1);
  });
});

describe('anls (DocVQA)', () => {
  it('is 1 − NL above the threshold', () => {
    expect(anls('abcd', ['abce'])).toBe(0.75);
    // NL = 4 / 9, just inside the threshold
    expect(anls('abcdefghi', ['abcdezzzz'])).toBe(1 - 4 / 9);
  });

  it('is 0 at NL = 0.5 and beyond', () => {
    expect(anls('ab', ['ac'])).toBe(0);
    expect(anls('abcde', ['abzzz'])).toBe(0);
    // Two code points of which one differs: NL = 0.5 (as UTF-16 it would be 1 / 3 and score 0.67).
    expect(anls('😀a', ['😀b'])).toBe(0);
  });

  it('ignores case and runs of spaces', () => {
    expect(anls('  New   YORK ', ['new york'])).toBe(1);
  });

  it('takes the best reference', () => {
    expect(anls('abcd', ['wxyz', 'abce'])).toBe(0.75);
    expect(anls('abcd', ['abce', 'ABCD'])).toBe(1);
    expect(anls('abcd', [])).toBe(0);
    expect(anls('', [''])).toBe(1);
  });
});

/** Ten human answers of which `matching` say "two" and the rest "three". */
const tenAnswers = (matching: number): string[] => [
  ...Array<string>(matching).fill('two'),
  ...Array<string>(10 - matching).fill('three'),
];

describe('vqaAccuracy (TextVQA)', () => {
  it('averages min(1, matches / 3) over the ten leave-one-out subsets', () => {
    expect(vqaAccuracy('2', tenAnswers(10))).toBe(1);
    expect(vqaAccuracy('2', tenAnswers(4))).toBe(1);
    // 7 subsets keep all three (1), 3 keep two (2/3): (7 + 2) / 10
    expect(vqaAccuracy('2', tenAnswers(3))).toBe(0.9);
    // 8 subsets keep both (2/3), 2 keep one (1/3): (16/3 + 2/3) / 10
    expect(vqaAccuracy('2', tenAnswers(2))).toBe(0.6);
    // 9 subsets keep it (1/3), 1 drops it: 3 / 10
    expect(vqaAccuracy('2', tenAnswers(1))).toBe(0.3);
    expect(vqaAccuracy('2', tenAnswers(0))).toBe(0);
  });

  it('compares normalised answers', () => {
    expect(vqaAccuracy('The two dogs.', Array<string>(10).fill('2 dogs'))).toBe(1);
    expect(vqaAccuracy('dont', tenAnswers(0).fill("don't", 0, 3))).toBe(0.9);
  });

  it('with fewer than four answers needs the whole subset, and compares a single answer directly', () => {
    expect(vqaAccuracy('Two', ['2'])).toBe(1);
    expect(vqaAccuracy('three', ['2'])).toBe(0);
    expect(vqaAccuracy('2', ['two', 'two', 'two'])).toBe(1);
    // Needed 2: leaving the match out gives 0, leaving either other out gives 1/2.
    expect(vqaAccuracy('2', ['two', 'three', 'four'])).toBe(1 / 3);
    // Five answers, one match: the official rule, 4 subsets of 1/3 over 5.
    expect(vqaAccuracy('2', ['two', 'three', 'three', 'three', 'three'])).toBe(4 / 15);
    expect(vqaAccuracy('2', [])).toBe(0);
  });
});

describe('substringMatch (OCRBench)', () => {
  it('finds a reference inside the prediction, ignoring case', () => {
    expect(substringMatch('The sign says Hello World.', [' hello world '])).toBe(1);
    expect(substringMatch('hell', ['hello'])).toBe(0);
    expect(substringMatch('x = 3', ['4', '3'])).toBe(1);
  });

  it('reads newlines as spaces, and keeps spaces otherwise', () => {
    expect(substringMatch('Hello\nWorld', ['hello world'])).toBe(1);
    expect(substringMatch('HelloWorld', ['hello world'])).toBe(0);
  });

  it('lets no blank reference match', () => {
    expect(substringMatch('anything', ['', '  '])).toBe(0);
  });
});

describe('popeYesNo', () => {
  it('reads "no" where the first sentence says "no" or "not"', () => {
    expect(popeYesNo('No, there is not.')).toBe('no');
    expect(popeYesNo('There is not a cat in the image.')).toBe('no');
    expect(popeYesNo('I do not see one')).toBe('no');
    expect(popeYesNo('NO')).toBe('no');
    expect(popeYesNo('Not at all.')).toBe('no');
    expect(popeYesNo('No!')).toBe('no');
  });

  it('reads "yes" otherwise, as POPE does', () => {
    expect(popeYesNo('Yes, there is a dog in the image.')).toBe('yes');
    expect(popeYesNo('Yes. There is no cat.')).toBe('yes');
    expect(popeYesNo('Nothing like it')).toBe('yes');
    expect(popeYesNo("There isn't a cat.")).toBe('yes');
    expect(popeYesNo('')).toBe('yes');
  });

  it('scores an item 1 when its yes/no is the reference', () => {
    expect(scoreAnswer('pope-f1', 'No, there is not.', ['no'])).toBe(1);
    expect(scoreAnswer('pope-f1', 'Yes', ['no'])).toBe(0);
  });
});

const pope = (prediction: string, reference: string): ScoredAnswer => ({
  prediction,
  answers: [reference],
  score: scoreAnswer('pope-f1', prediction, [reference]),
});

describe('popeF1', () => {
  it('is the F1 of "yes" on a hand-counted confusion matrix', () => {
    // Truth yes ×4: said yes, yes, no, no → TP 2, FN 2. Truth no ×2: said yes, no → FP 1, TN 1.
    // P = 2/3, R = 2/4, F1 = 2PR / (P + R) = 2·2 / (2·2 + 1 + 2) = 4/7; the mean score would be 3/6.
    const items = [
      pope('Yes', 'yes'),
      pope('Yes, there is.', 'yes'),
      pope('No.', 'yes'),
      pope('There is not.', 'yes'),
      pope('Yes', 'no'),
      pope('No', 'no'),
    ];
    expect(popeF1(items)).toBe(4 / 7);
    expect(aggregateScore('pope-f1', items)).toBe(4 / 7);
    expect(aggregateScore('exact', items)).toBe(0.5);
  });

  it('counts a failed question as a wrong answer, not as what its empty prediction reads', () => {
    // Read from the prediction, "" would be "yes" (TP); as a wrong answer to "yes" it is FN: 2 / (2 + 1).
    expect(popeF1([pope('Yes', 'yes'), { prediction: '', answers: ['yes'], score: 0 }])).toBe(2 / 3);
  });

  it('is 0 where undefined, and leaves out items without a reference', () => {
    expect(popeF1([pope('No', 'no'), pope('No', 'no')])).toBe(0);
    expect(popeF1([])).toBe(0);
    expect(popeF1([pope('Yes', 'yes'), { prediction: 'Yes', answers: [], score: 0 }])).toBe(1);
  });
});

describe('exactMatch (synthetic)', () => {
  it('ignores case, runs of spaces and one trailing full stop', () => {
    expect(exactMatch('Red.', ['red'])).toBe(1);
    expect(exactMatch('Red', ['red.'])).toBe(1);
    expect(exactMatch('  Dark   Blue ', ['dark blue'])).toBe(1);
    expect(exactMatch('red..', ['red'])).toBe(0);
    expect(exactMatch('dark red', ['red'])).toBe(0);
  });

  it('accepts any reference, and no spelling the dataset does not list', () => {
    expect(exactMatch('grey', ['gray'])).toBe(0);
    expect(exactMatch('grey', ['gray', 'grey'])).toBe(1);
  });
});

describe('scoreAnswer and aggregateScore', () => {
  it('dispatch to each metric', () => {
    // "45%" against "45": numerically equal; 1 edit in 3; "45" inside it; not equal as words.
    const scores = (['relaxed-accuracy', 'anls', 'vqa-accuracy', 'substring', 'pope-f1', 'exact'] as const).map(
      (metric) => scoreAnswer(metric, '45%', ['45']),
    );
    expect(scores).toEqual([1, 1 - 1 / 3, 0, 1, 1, 0]);
  });

  it('average the scores, and give 0 for an empty sample', () => {
    const items: ScoredAnswer[] = [
      { prediction: 'a', answers: ['a'], score: 1 },
      { prediction: 'b', answers: ['a'], score: 0 },
      { prediction: 'c', answers: ['a'], score: 0.5 },
    ];
    expect(aggregateScore('anls', items)).toBe(0.5);
    expect(aggregateScore('anls', [])).toBe(0);
    expect(aggregateScore('pope-f1', [])).toBe(0);
  });

  it('name each metric as its benchmark does', () => {
    expect(METRIC_LABELS).toEqual({
      'relaxed-accuracy': 'relaxed accuracy',
      anls: 'ANLS',
      'vqa-accuracy': 'VQA accuracy',
      substring: 'substring match',
      'pope-f1': 'POPE F1',
      exact: 'exact match',
    });
  });
});
