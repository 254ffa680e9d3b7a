/**
 * Learns byte-level BPE merges from a small corpus, as tokenizer training does: split into words
 * with GPT-2's pattern (the one the tokenizer's ByteLevel pre-tokenizer applies), then merge the
 * most frequent adjacent pair again and again. It stops once the corpus takes `charsPerToken`
 * characters per token, so a generated tokenizer spends about as many tokens on English as a
 * real one (Qwen's takes about four characters per token) instead of one per byte.
 */
import { bytesToUnicode } from './tokenizer.ts';

const WORDS = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export function learnMerges(texts: readonly string[], charsPerToken: number): [string, string][] {
  const alphabet = bytesToUnicode();
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  let characters = 0;
  for (const text of texts) {
    // Characters as a reader counts them (code points; the protocol's text is plain ASCII anyway).
    characters += Array.from(text).length;
    for (const word of text.match(WORDS) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const words = [...counts].map(([word, count]) => ({
    symbols: Array.from(encoder.encode(word), (byte) => alphabet[byte] as string),
    count,
  }));
  const tokens = (): number => words.reduce((sum, word) => sum + word.symbols.length * word.count, 0);
  const target = characters / charsPerToken;
  const merges: [string, string][] = [];
  while (tokens() > target) {
    const pairs = new Map<string, { pair: [string, string]; count: number }>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const pair: [string, string] = [symbols[i] as string, symbols[i + 1] as string];
        const key = `${pair[0]} ${pair[1]}`;
        const entry = pairs.get(key);
        if (entry) entry.count += count;
        else pairs.set(key, { pair, count });
      }
    }
    // The most frequent pair; ties go to the first in code-point order, so the result is stable.
    let best: { key: string; pair: [string, string]; count: number } | null = null;
    for (const [key, entry] of pairs) {
      if (!best || entry.count > best.count || (entry.count === best.count && key < best.key)) best = { key, ...entry };
    }
    if (!best) break;
    const [left, right] = best.pair;
    merges.push(best.pair);
    for (const word of words) {
      const merged: string[] = [];
      for (let i = 0; i < word.symbols.length; i++) {
        if (word.symbols[i] === left && word.symbols[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else {
          merged.push(word.symbols[i] as string);
        }
      }
      word.symbols = merged;
    }
  }
  return merges;
}
