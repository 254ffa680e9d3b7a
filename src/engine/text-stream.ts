/**
 * Turns a growing list of generated token ids into text deltas without decoding the whole turn
 * at every step (the decode-stream technique of Hugging Face tokenizers): only the tokens since
 * the last emitted delta are decoded, together with a few before them for context, and a delta
 * that ends in an incomplete UTF-8 sequence (U+FFFD) waits for its next byte.
 */
export class TextDeltaStream {
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly decode: (ids: bigint[]) => string) {}

  /** The new text that `ids` (all tokens so far) adds; '' when nothing is complete yet. */
  push(ids: bigint[]): string {
    const prefix = this.decode(ids.slice(this.prefixOffset, this.readOffset));
    const text = this.decode(ids.slice(this.prefixOffset));
    if (text.length <= prefix.length || text.endsWith('\uFFFD') || !text.startsWith(prefix)) return '';
    this.prefixOffset = this.readOffset;
    this.readOffset = ids.length;
    return text.slice(prefix.length);
  }
}
