import { describe, expect, it } from 'vitest';
import {
  backendOf,
  isDeviceFailure,
  LADDER,
  lowerRung,
  probeDevice,
  type AdapterLike,
  type GpuLike,
} from './device-ladder.ts';

/** A fake `navigator.gpu` handing out `adapter` (or failing). */
function fakeGpu(adapter: AdapterLike | null | Error): GpuLike & { options: unknown[] } {
  const options: unknown[] = [];
  return {
    options,
    requestAdapter: (requested) => {
      options.push(requested);
      return adapter instanceof Error ? Promise.reject(adapter) : Promise.resolve(adapter);
    },
  };
}

const adapter = (features: string[], info: AdapterLike['info'] = { description: 'Fake GPU' }): AdapterLike => ({
  features: new Set(features),
  info,
});

describe('the device ladder', () => {
  it('goes from half precision to 32-bit activations to WASM, and no further', () => {
    expect(LADDER).toEqual(['webgpu-f16', 'webgpu', 'wasm']);
    expect(lowerRung('webgpu-f16')).toBe('webgpu');
    expect(lowerRung('webgpu')).toBe('wasm');
    expect(lowerRung('wasm')).toBeNull();
    expect(LADDER.map(backendOf)).toEqual(['webgpu', 'webgpu', 'wasm']);
  });

  it('an adapter with shader-f16: the f16 rung, asking for the high-performance GPU', async () => {
    const gpu = fakeGpu(adapter(['shader-f16', 'timestamp-query']));
    expect(await probeDevice(gpu)).toEqual({ rung: 'webgpu-f16', description: 'Fake GPU' });
    expect(gpu.options).toEqual([{ powerPreference: 'high-performance' }]);
  });

  it('an adapter without shader-f16: 32-bit activations, with the reason', async () => {
    const probe = await probeDevice(fakeGpu(adapter([], { vendor: 'google', architecture: 'swiftshader' })));
    expect(probe.rung).toBe('webgpu');
    expect(probe.description).toBe('google swiftshader');
    expect(probe.fallbackReason).toMatch(/shader-f16/);
  });

  it('no adapter, a failing request or no WebGPU at all: WASM, saying why', async () => {
    const none = await probeDevice(fakeGpu(null));
    expect(none).toMatchObject({ rung: 'wasm', fallbackReason: expect.stringMatching(/No WebGPU adapter/) as string });
    const failing = await probeDevice(fakeGpu(new Error('blocked')));
    expect(failing.rung).toBe('wasm');
    const missing = await probeDevice(undefined);
    expect(missing).toMatchObject({ rung: 'wasm', fallbackReason: 'This browser does not support WebGPU.' });
  });

  it('an adapter that describes nothing is still a GPU', async () => {
    expect((await probeDevice(fakeGpu(adapter(['shader-f16'], {})))).description).toBe('GPU');
  });

  it.each([
    'Device was lost: out of memory',
    'GPUDevice lost (reason: destroyed)',
    'Failed to allocate a buffer of size 2147483648',
    'Buffer size exceeds the max buffer size limit (maxBufferSize)',
    'Node (MatMulNBits) requires f16 but the device does not support it',
    'Something went wrong while running the model: RangeError: Array buffer allocation failed',
  ])('%s is a device failure', (message) => {
    expect(isDeviceFailure(new Error(message))).toBe(true);
    expect(isDeviceFailure({ code: 'internal', message })).toBe(true);
    expect(isDeviceFailure(new Error('wrapped', { cause: new Error(message) }))).toBe(true);
  });

  it.each([
    'The image is not a supported format',
    'Missing the following inputs: pixel_values',
    'The run was stopped.',
  ])('%s is not a device failure', (message) => {
    expect(isDeviceFailure(new Error(message))).toBe(false);
  });

  it('a RangeError about memory is a device failure', () => {
    expect(isDeviceFailure(new RangeError('WebAssembly.Memory(): could not allocate memory'))).toBe(true);
    expect(isDeviceFailure(null)).toBe(false);
  });
});
