import { describe, expect, it } from 'vitest';
import { VQA_CONTRACTIONS, normalizeVqaAnswer } from './vqa-normalize.ts';

describe('normalizeVqaAnswer', () => {
  it('lower-cases, drops articles and writes number words as digits', () => {
    expect(normalizeVqaAnswer('The Two Dogs')).toBe('2 dogs');
    expect(normalizeVqaAnswer('an apple')).toBe('apple');
    expect(normalizeVqaAnswer('None')).toBe('0');
    expect(normalizeVqaAnswer('ten')).toBe('10');
    // Only whole words: "another" and "theatre" keep their letters.
    expect(normalizeVqaAnswer('another theatre')).toBe('another theatre');
  });

  it('makes newlines and tabs spaces and trims', () => {
    expect(normalizeVqaAnswer('  two\tcats\n')).toBe('2 cats');
  });

  it('removes a mark that touches a space, and spaces out one that does not', () => {
    expect(normalizeVqaAnswer('red, white')).toBe('red white');
    expect(normalizeVqaAnswer('red,white')).toBe('red white');
    expect(normalizeVqaAnswer('left - right')).toBe('left right');
    expect(normalizeVqaAnswer('coca-cola')).toBe('coca cola');
    expect(normalizeVqaAnswer('yes/no')).toBe('yes no');
    expect(normalizeVqaAnswer('stop!')).toBe('stop');
    // A backslash is one of the marks; a colon is not.
    expect(normalizeVqaAnswer('C:\\Temp {x}')).toBe('c: temp x');
  });

  it('removes every mark outright once a comma sits between digits', () => {
    expect(normalizeVqaAnswer('1,000')).toBe('1000');
    // Without the digit comma, "x-ray" would be "x ray".
    expect(normalizeVqaAnswer('x-ray 1,000')).toBe('xray 1000');
  });

  it('drops a full stop unless a digit follows it', () => {
    expect(normalizeVqaAnswer('3.5')).toBe('3.5');
    expect(normalizeVqaAnswer('u.s.')).toBe('us');
    expect(normalizeVqaAnswer('Yes.')).toBe('yes');
    expect(normalizeVqaAnswer('1.')).toBe('1');
  });

  it('restores contractions from the official table, and leaves apostrophes alone', () => {
    expect(normalizeVqaAnswer('dont')).toBe("don't");
    expect(normalizeVqaAnswer('Isnt')).toBe("isn't");
    expect(normalizeVqaAnswer("couldnt've")).toBe("couldn't've");
    expect(normalizeVqaAnswer("couldn'tve")).toBe("couldn't've");
    expect(normalizeVqaAnswer("it's")).toBe("it's");
    expect(normalizeVqaAnswer('shed')).toBe('shed');
    // The official table's backwards entry, kept for comparable figures.
    expect(normalizeVqaAnswer("somebody'd")).toBe('somebodyd');
  });

  it('holds the official table: 114 entries once dead and identity keys are left out', () => {
    expect(VQA_CONTRACTIONS.size).toBe(114);
    expect(VQA_CONTRACTIONS.get('couldntve')).toBeUndefined();
    expect(VQA_CONTRACTIONS.get("ow's'at")).toBe("'ow's'at");
    expect(VQA_CONTRACTIONS.get("y'alld've")).toBe("y'all'd've");
    expect(VQA_CONTRACTIONS.get('twas')).toBe("'twas");
    expect(VQA_CONTRACTIONS.get('im')).toBeUndefined();
  });
});
