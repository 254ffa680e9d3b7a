/**
 * Writes a byte-level BPE tokenizer in the Hugging Face `tokenizer.json` format, shaped like
 * Qwen2-VL's: 256 byte tokens (GPT-2 byte-to-unicode alphabet; no merges, or those of bpe.ts),
 * the Qwen special tokens, and added tokens for every multi-character piece the generated model
 * emits.
 */

/** GPT-2's reversible byte -> printable character mapping used by byte-level BPE. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) table[b] = String.fromCodePoint(b);
    else table[b] = String.fromCodePoint(256 + extra++);
  }
  return table;
}

export interface AddedToken {
  content: string;
  special: boolean;
}

export interface Vocabulary {
  /** id of every added token by content. */
  ids: Map<string, number>;
  /** Total vocabulary size (bytes + added tokens + merged tokens). */
  size: number;
  /** id of the byte token for a single byte. */
  byteId(byte: number): number;
  tokenizerJson: object;
}

/**
 * Builds the vocabulary: ids 0-255 are bytes, added tokens follow in the given order, then the
 * token of each merge (pairs of byte-level strings, in rank order).
 */
export function buildVocabulary(added: AddedToken[], merges: readonly (readonly [string, string])[] = []): Vocabulary {
  const alphabet = bytesToUnicode();
  const vocab: Record<string, number> = {};
  alphabet.forEach((ch, byte) => (vocab[ch] = byte));
  merges.forEach(([left, right], i) => (vocab[left + right] = 256 + added.length + i));
  const ids = new Map<string, number>();
  const addedTokens = added.map((token, i) => {
    const id = 256 + i;
    ids.set(token.content, id);
    return {
      id,
      content: token.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: token.special,
    };
  });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: 'NFC' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([left, right]) => `${left} ${right}`),
    },
  };
  return { ids, size: 256 + added.length + merges.length, byteId: (byte) => byte, tokenizerJson };
}

/** `tokenizer_config.json` in the shape of Qwen2-VL's, with its chat template. */
export function tokenizerConfig(vocabulary: Vocabulary, added: AddedToken[], chatTemplate: string): object {
  const decoder: Record<string, object> = {};
  for (const token of added) {
    decoder[String(vocabulary.ids.get(token.content))] = {
      content: token.content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: token.special,
    };
  }
  return {
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: added.filter((t) => t.special).map((t) => t.content),
    bos_token: null,
    chat_template: chatTemplate,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 32768,
    pad_token: '<|endoftext|>',
    padding_side: 'left',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
}
