import { describe, expect, it } from 'vitest';
import {
  pyJsonLoads,
  PyJsonDecodeError,
  pyRepr,
  pyReprFloat,
  pyStrip,
  pyStr,
  pySubscript,
  PyValueError,
} from './python-compat.ts';

// Every expected text below was printed by CPython 3.11.7 (`str(e)` for errors, `repr(json.loads(s))`
// for values), the Python of the VisionThink README.

const DECODE_ERRORS: [string, string][] = [
  ['{"a": 1,}', 'Expecting property name enclosed in double quotes: line 1 column 9 (char 8)'],
  ['[1,]', 'Expecting value: line 1 column 4 (char 3)'],
  ['{', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
  ['[', 'Expecting value: line 1 column 2 (char 1)'],
  ['', 'Expecting value: line 1 column 1 (char 0)'],
  ['  ', 'Expecting value: line 1 column 3 (char 2)'],
  ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
  ['"\\u12"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
  ['"\\u12x"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
  ['"\\uZZZZ"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
  ['"\\ud83d\\uZZZZ"', 'Invalid \\uXXXX escape: line 1 column 9 (char 8)'],
  ['"\\x"', 'Invalid \\escape: line 1 column 2 (char 1)'],
  ['{"a": tru}', 'Expecting value: line 1 column 7 (char 6)'],
  ['{"a": -}', 'Expecting value: line 1 column 7 (char 6)'],
  ['{"a": 1.}', "Expecting ',' delimiter: line 1 column 8 (char 7)"],
  ['{"a": 1e}', "Expecting ',' delimiter: line 1 column 8 (char 7)"],
  ['{"a": 01}', "Expecting ',' delimiter: line 1 column 8 (char 7)"],
  ['"abc', 'Unterminated string starting at: line 1 column 1 (char 0)'],
  ['"a\\', 'Unterminated string starting at: line 1 column 1 (char 0)'],
  ['"a\tb"', 'Invalid control character at: line 1 column 3 (char 2)'],
  ['\ufeff{}', 'Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)'],
  ['{"a": 1} x', 'Extra data: line 1 column 10 (char 9)'],
  ['{"a": 1}}', 'Extra data: line 1 column 9 (char 8)'],
  ['{"a":\n 1,\n "b" 2}', "Expecting ':' delimiter: line 3 column 6 (char 15)"],
  ['"\ud83d\ude00" x', 'Extra data: line 1 column 5 (char 4)'],
  ['-', 'Expecting value: line 1 column 1 (char 0)'],
  ['-I', 'Expecting value: line 1 column 1 (char 0)'],
  ['1.5e', 'Extra data: line 1 column 4 (char 3)'],
  ['1e+', 'Extra data: line 1 column 2 (char 1)'],
];

const DECODED_REPRS: [string, string][] = [
  ['{"a": NaN, "b": -Infinity, "c": Infinity}', "{'a': nan, 'b': -inf, 'c': inf}"],
  [
    '{"a":"\\ud83d\\ude00", "b": "\\ud800", "c": "\\u00e9\\n\\/"}',
    "{'a': '\ud83d\ude00', 'b': '\\ud800', 'c': '\u00e9\\n/'}",
  ],
  ['{"a": 1, "a": 2, "b": 3}', "{'a': 2, 'b': 3}"],
  [
    '[1e16, 1234567890123456.0, 0.0001, 0.00001, 1e22, 1.5e-7, -0.0, -0, 123.456, 1e400, 5e-324, 1E+2, 2.5e-3]',
    '[1e+16, 1234567890123456.0, 0.0001, 1e-05, 1e+22, 1.5e-07, -0.0, 0, 123.456, inf, 5e-324, 100.0, 0.0025]',
  ],
  [
    '{"s": "it\'s", "t": "a\\"b\'", "u": "\\u0000\\u007f\\u0085\\u00a0\\u00ad\\u2028", "v": "\ud83d\ude00\u00e9"}',
    "{'s': \"it's\", 't': 'a\"b\\'', 'u': '\\x00\\x7f\\x85\\xa0\\xad\\u2028', 'v': '\ud83d\ude00\u00e9'}",
  ],
  ['[true, false, null, [], {}]', '[True, False, None, [], {}]'],
  [' {"k" : [1 , {"x": null}] } ', "{'k': [1, {'x': None}]}"],
  ['12345678901234567890123456789', '12345678901234567890123456789'],
];

describe('pyJsonLoads', () => {
  it.each(DECODE_ERRORS)('rejects %j with the CPython message', (text, message) => {
    expect(() => pyJsonLoads(text)).toThrow(PyJsonDecodeError);
    expect(() => pyJsonLoads(text)).toThrow(message);
    try {
      pyJsonLoads(text);
    } catch (error) {
      expect((error as Error).message).toBe(message);
    }
  });

  it.each(DECODED_REPRS)('decodes %j to what Python prints', (text, repr) => {
    expect(pyRepr(pyJsonLoads(text))).toBe(repr);
  });

  it('keeps integers exact beyond 2^53', () => {
    expect(pyJsonLoads('9007199254740993')).toEqual({ type: 'int', value: 9007199254740993n });
  });

  it('refuses integers longer than 4300 digits, as Python 3.11 does', () => {
    expect(() => pyJsonLoads('1'.repeat(4300))).not.toThrow();
    expect(() => pyJsonLoads(`-${'1'.repeat(4301)}`)).toThrow(PyValueError);
    expect(() => pyJsonLoads('1'.repeat(4301))).toThrow(
      'Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit',
    );
  });
});

describe('pyReprFloat', () => {
  it('switches to exponent form where Python does', () => {
    expect(pyReprFloat(1e16)).toBe('1e+16');
    expect(pyReprFloat(9999999999999998)).toBe('9999999999999998.0');
    expect(pyReprFloat(0.0001)).toBe('0.0001');
    expect(pyReprFloat(0.00001234)).toBe('1.234e-05');
    expect(pyReprFloat(-2.5e-300)).toBe('-2.5e-300');
    expect(pyReprFloat(1.7976931348623157e308)).toBe('1.7976931348623157e+308');
    expect(pyReprFloat(NaN)).toBe('nan');
  });
});

describe('pyStr and pySubscript', () => {
  it('prints a str without quotes and everything else as repr', () => {
    expect(pyStr({ type: 'str', value: "it's" })).toBe("it's");
    expect(pyStr(pyJsonLoads('{"a": ["it\'s", 1.0]}'))).toBe(`{'a': ["it's", 1.0]}`);
  });

  it('gives the exception text of value[key] for each type', () => {
    const errorOf = (json: string): string | undefined => {
      const result = pySubscript(pyJsonLoads(json), 'action');
      return 'error' in result ? result.error : undefined;
    };
    expect(errorOf('{"a": 1}')).toBe("'action'");
    expect(errorOf('"text"')).toBe("string indices must be integers, not 'str'");
    expect(errorOf('[1]')).toBe('list indices must be integers or slices, not str');
    expect(errorOf('1')).toBe("'int' object is not subscriptable");
    expect(errorOf('1.5')).toBe("'float' object is not subscriptable");
    expect(errorOf('true')).toBe("'bool' object is not subscriptable");
    expect(errorOf('null')).toBe("'NoneType' object is not subscriptable");
    expect(pySubscript(pyJsonLoads('{"action": "resize"}'), 'action')).toEqual({
      value: { type: 'str', value: 'resize' },
    });
  });
});

describe('pyStrip', () => {
  it('strips what str.isspace() accepts and nothing else', () => {
    expect(
      pyStrip('\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000a b\n'),
    ).toBe('a b');
    expect(pyStrip('\ufeff\u200bx\u180e')).toBe('\ufeff\u200bx\u180e');
    expect(pyStrip('   ')).toBe('');
  });
});
