import { describe, expect, it } from 'vitest';
import { FileSizes } from './file-sizes.ts';

describe('FileSizes', () => {
  it('takes the sizes of files not started yet, and of files arriving with a known length', () => {
    const sizes = new FileSizes();
    expect(
      sizes.learn({
        'config.json': { loaded: 0, total: 900 },
        'onnx/decoder.onnx': { loaded: 10, total: 5000 },
      }),
    ).toBe(true);
    expect(sizes.known()).toEqual({ 'config.json': 900, 'onnx/decoder.onnx': 5000 });
  });

  it('does not take a total that is only the bytes so far (no Content-Length)', () => {
    const sizes = new FileSizes();
    expect(sizes.learn({ 'onnx/a.onnx': { loaded: 700, total: 700 }, 'onnx/b.onnx': { loaded: 0, total: 0 } })).toBe(
      false,
    );
    expect(sizes.known()).toEqual({});
  });

  it('keeps the first size it learned and reports only news', () => {
    const sizes = new FileSizes();
    sizes.learn({ 'onnx/a.onnx': { loaded: 0, total: 3000 } });
    expect(sizes.learn({ 'onnx/a.onnx': { loaded: 3500, total: 3500 } })).toBe(false);
    expect(sizes.known()).toEqual({ 'onnx/a.onnx': 3000 });
  });
});
