/**
 * The few Python 3.11 behaviours that VisionThink's tool-call handling depends on, reproduced so
 * that the error text fed back to the model is the text it was trained on: `json.loads` (as
 * CPython's C scanner in `Modules/_json.c` parses and reports errors), `str()`/`repr()` of the
 * values it builds, the exception text of `value[key]`, and `str.strip()`.
 *
 * Python 3.11 because the VisionThink README installs `python=3.11`; error texts changed across
 * versions (e.g. the "Illegal trailing comma" messages of 3.13, the wording of
 * `UnboundLocalError` in 3.11).
 */

/** A value as `json.loads` builds it; `int` is arbitrary precision as in Python. */
export type PyValue =
  | { readonly type: 'dict'; readonly entries: ReadonlyMap<string, PyValue> }
  | { readonly type: 'list'; readonly items: readonly PyValue[] }
  | { readonly type: 'str'; readonly value: string }
  | { readonly type: 'int'; readonly value: bigint }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'none' };

/** `json.JSONDecodeError`: `message` is `str(error)` as Python prints it. */
export class PyJsonDecodeError extends Error {
  override readonly name = 'PyJsonDecodeError';
  constructor(reason: string, doc: readonly string[], pos: number) {
    // Python counts lines and columns in code points, from `doc.count('\n', 0, pos)`.
    let lineno = 1;
    let lastNewline = -1;
    for (let i = 0; i < pos; i++) {
      if (doc[i] === '\n') {
        lineno++;
        lastNewline = i;
      }
    }
    super(`${reason}: line ${lineno} column ${pos - lastNewline} (char ${pos})`);
  }
}

/** Python's `ValueError` for ints longer than `sys.get_int_max_str_digits()` (4300 by default). */
export class PyValueError extends Error {
  override readonly name = 'PyValueError';
}

const INT_MAX_STR_DIGITS = 4300;

/** CPython raises `StopIteration(idx)` where no value starts; `json.loads` turns it into "Expecting value". */
class NoValueAt extends Error {
  constructor(readonly pos: number) {
    super('Expecting value');
  }
}

const isJsonWhitespace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

class Scanner {
  private readonly len: number;
  // Indexed by code point, because Python reports positions in code points.
  constructor(private readonly s: readonly string[]) {
    this.len = s.length;
  }

  fail(reason: string, pos: number): never {
    throw new PyJsonDecodeError(reason, this.s, pos);
  }

  skipWhitespace(idx: number): number {
    while (idx < this.len && isJsonWhitespace(this.s[idx])) idx++;
    return idx;
  }

  private matches(idx: number, word: string): boolean {
    return idx + word.length <= this.len && this.s.slice(idx, idx + word.length).join('') === word;
  }

  scanOnce(idx: number): [PyValue, number] {
    if (idx >= this.len) throw new NoValueAt(idx);
    switch (this.s[idx]) {
      case '"': {
        const [value, end] = this.scanString(idx + 1);
        return [{ type: 'str', value }, end];
      }
      case '{':
        return this.parseObject(idx + 1);
      case '[':
        return this.parseArray(idx + 1);
      case 'n':
        if (this.matches(idx, 'null')) return [{ type: 'none' }, idx + 4];
        break;
      case 't':
        if (this.matches(idx, 'true')) return [{ type: 'bool', value: true }, idx + 4];
        break;
      case 'f':
        if (this.matches(idx, 'false')) return [{ type: 'bool', value: false }, idx + 5];
        break;
      case 'N':
        if (this.matches(idx, 'NaN')) return [{ type: 'float', value: NaN }, idx + 3];
        break;
      case 'I':
        if (this.matches(idx, 'Infinity')) return [{ type: 'float', value: Infinity }, idx + 8];
        break;
      case '-':
        if (this.matches(idx, '-Infinity')) return [{ type: 'float', value: -Infinity }, idx + 9];
        break;
    }
    return this.matchNumber(idx);
  }

  private matchNumber(start: number): [PyValue, number] {
    const s = this.s;
    let idx = start;
    let isFloat = false;
    if (s[idx] === '-') {
      idx++;
      if (idx >= this.len) throw new NoValueAt(start);
    }
    const first = s[idx];
    if (first !== undefined && first >= '1' && first <= '9') {
      idx++;
      while (isDigit(s[idx])) idx++;
    } else if (first === '0') {
      idx++;
    } else {
      throw new NoValueAt(start);
    }
    // A fraction needs a digit after the dot, otherwise the number ends before the dot.
    if (s[idx] === '.' && isDigit(s[idx + 1])) {
      isFloat = true;
      idx += 2;
      while (isDigit(s[idx])) idx++;
    }
    // CPython only looks for an exponent (and its sign) when a character follows it.
    if (idx < this.len - 1 && (s[idx] === 'e' || s[idx] === 'E')) {
      const eStart = idx;
      idx++;
      if (idx < this.len - 1 && (s[idx] === '-' || s[idx] === '+')) idx++;
      while (isDigit(s[idx])) idx++;
      if (isDigit(s[idx - 1])) isFloat = true;
      else idx = eStart;
    }
    const text = s.slice(start, idx).join('');
    if (isFloat) return [{ type: 'float', value: Number(text) }, idx];
    const digits = text.startsWith('-') ? text.length - 1 : text.length;
    if (digits > INT_MAX_STR_DIGITS) {
      throw new PyValueError(
        `Exceeds the limit (${INT_MAX_STR_DIGITS} digits) for integer string conversion: value has ${digits} digits; use sys.set_int_max_str_digits() to increase the limit`,
      );
    }
    return [{ type: 'int', value: BigInt(text) }, idx];
  }

  /** `idx` is just past the opening quote. */
  private scanString(idx: number): [string, number] {
    const s = this.s;
    const begin = idx - 1;
    let end = idx;
    let out = '';
    for (;;) {
      let next = end;
      let terminator: string | undefined;
      for (; next < this.len; next++) {
        const d = s[next] ?? '';
        if (d === '"' || d === '\\') {
          terminator = d;
          break;
        }
        // json.loads is strict by default: raw control characters are not allowed in strings.
        if ((d.codePointAt(0) ?? 0) <= 0x1f) this.fail('Invalid control character at', next);
      }
      if (terminator === undefined) this.fail('Unterminated string starting at', begin);
      out += s.slice(end, next).join('');
      next++;
      if (terminator === '"') return [out, next];
      if (next === this.len) this.fail('Unterminated string starting at', begin);
      const esc = s[next] ?? '';
      if (esc !== 'u') {
        end = next + 1;
        const decoded = SIMPLE_ESCAPES[esc];
        if (decoded === undefined) this.fail('Invalid \\escape', end - 2);
        out += decoded;
        continue;
      }
      next++;
      end = next + 4;
      // `>=`, not `>`: CPython wants room for the closing quote too, and reports the `u`.
      if (end >= this.len) this.fail('Invalid \\uXXXX escape', next - 1);
      let unit = this.hex4(next, end);
      if (unit >= 0xd800 && unit <= 0xdbff && end + 6 < this.len && s[end] === '\\' && s[end + 1] === 'u') {
        const low = this.hex4(end + 2, end + 6);
        if (low >= 0xdc00 && low <= 0xdfff) {
          unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          end += 6;
        }
      }
      // A lone surrogate is a legal Python str; fromCharCode keeps it as one code unit.
      out += unit > 0xffff ? String.fromCodePoint(unit) : String.fromCharCode(unit);
    }
  }

  private hex4(from: number, end: number): number {
    let value = 0;
    for (let i = from; i < end; i++) {
      const digit = this.s[i] ?? '';
      if (!/^[0-9a-fA-F]$/.test(digit)) this.fail('Invalid \\uXXXX escape', end - 5);
      value = (value << 4) | parseInt(digit, 16);
    }
    return value;
  }

  /** `idx` is just past the `{`. */
  private parseObject(idx: number): [PyValue, number] {
    const s = this.s;
    // A Map keeps Python's dict semantics: a repeated key keeps its first position, last value.
    const entries = new Map<string, PyValue>();
    idx = this.skipWhitespace(idx);
    if (s[idx] !== '}') {
      for (;;) {
        if (s[idx] !== '"') this.fail('Expecting property name enclosed in double quotes', idx);
        const [key, afterKey] = this.scanString(idx + 1);
        idx = this.skipWhitespace(afterKey);
        if (s[idx] !== ':') this.fail("Expecting ':' delimiter", idx);
        idx = this.skipWhitespace(idx + 1);
        const [value, afterValue] = this.scanOnce(idx);
        entries.set(key, value);
        idx = this.skipWhitespace(afterValue);
        if (s[idx] === '}') break;
        if (s[idx] !== ',') this.fail("Expecting ',' delimiter", idx);
        idx = this.skipWhitespace(idx + 1);
      }
    }
    return [{ type: 'dict', entries }, idx + 1];
  }

  /** `idx` is just past the `[`. */
  private parseArray(idx: number): [PyValue, number] {
    const s = this.s;
    const items: PyValue[] = [];
    idx = this.skipWhitespace(idx);
    if (s[idx] !== ']') {
      for (;;) {
        const [value, afterValue] = this.scanOnce(idx);
        items.push(value);
        idx = this.skipWhitespace(afterValue);
        if (s[idx] === ']') break;
        if (s[idx] !== ',') this.fail("Expecting ',' delimiter", idx);
        idx = this.skipWhitespace(idx + 1);
      }
    }
    return [{ type: 'list', items }, idx + 1];
  }
}

/**
 * `json.loads(text)` of CPython 3.11 with default arguments.
 * @throws {PyJsonDecodeError} where Python raises `json.JSONDecodeError`, with the same message.
 * @throws {PyValueError} for integers over 4300 digits, as Python 3.11 does.
 */
export function pyJsonLoads(text: string): PyValue {
  const doc = Array.from(text);
  const scanner = new Scanner(doc);
  if (doc[0] === '\ufeff') scanner.fail('Unexpected UTF-8 BOM (decode using utf-8-sig)', 0);
  const start = scanner.skipWhitespace(0);
  let value: PyValue;
  let end: number;
  try {
    [value, end] = scanner.scanOnce(start);
  } catch (error) {
    if (error instanceof NoValueAt) scanner.fail('Expecting value', error.pos);
    throw error;
  }
  end = scanner.skipWhitespace(end);
  if (end !== doc.length) scanner.fail('Extra data', end);
  return value;
}

/** Code points `str.isprintable()` rejects (Python uses Unicode 14, Node's ICU a later version). */
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

/** `repr(text)` for a Python str. */
export function pyReprStr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x7f || !NOT_PRINTABLE.test(ch)) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** `repr(x)` for a Python float: shortest round-trip digits, exponent form outside 1e-4..1e16. */
export function pyReprFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa = '', exponentText = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const decimalPoint = exponent + 1;
  if (decimalPoint > -4 && decimalPoint <= 16) {
    if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
    if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}.0`;
    return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
  }
  const shortMantissa = digits.length === 1 ? digits : `${digits.slice(0, 1)}.${digits.slice(1)}`;
  const exponentSign = exponent < 0 ? '-' : '+';
  return `${sign}${shortMantissa}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** `repr(value)`. */
export function pyRepr(value: PyValue): string {
  switch (value.type) {
    case 'dict':
      return `{${[...value.entries].map(([k, v]) => `${pyReprStr(k)}: ${pyRepr(v)}`).join(', ')}}`;
    case 'list':
      return `[${value.items.map(pyRepr).join(', ')}]`;
    case 'str':
      return pyReprStr(value.value);
    case 'int':
      return value.value.toString();
    case 'float':
      return pyReprFloat(value.value);
    case 'bool':
      return value.value ? 'True' : 'False';
    case 'none':
      return 'None';
  }
}

/** `str(value)`, which is also what an f-string writes. */
export function pyStr(value: PyValue): string {
  return value.type === 'str' ? value.value : pyRepr(value);
}

/** `value[key]` with a str key: the item, or `str(exception)` of what Python raises. */
export function pySubscript(value: PyValue, key: string): { value: PyValue } | { error: string } {
  switch (value.type) {
    case 'dict': {
      const item = value.entries.get(key);
      // str(KeyError(key)) is repr(key).
      return item === undefined ? { error: pyReprStr(key) } : { value: item };
    }
    case 'str':
      return { error: "string indices must be integers, not 'str'" };
    case 'list':
      return { error: 'list indices must be integers or slices, not str' };
    case 'int':
    case 'float':
    case 'bool':
      return { error: `'${value.type}' object is not subscriptable` };
    case 'none':
      return { error: "'NoneType' object is not subscriptable" };
  }
}

/** What `str.isspace()` accepts, and so what `str.strip()` removes (JS `trim()` differs). */
const PY_WHITESPACE =
  '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** `text.strip()` with no argument. */
export function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.includes(text.charAt(start))) start++;
  while (end > start && PY_WHITESPACE.includes(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}
