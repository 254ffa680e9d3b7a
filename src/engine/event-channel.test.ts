import { describe, expect, it } from 'vitest';
import { EventChannel } from './event-channel.ts';

describe('EventChannel', () => {
  it('delivers values pushed before and while the consumer waits, then ends on close', async () => {
    const channel = new EventChannel<number>();
    channel.push(1);
    const received: number[] = [];
    const consumer = (async () => {
      for await (const value of channel) received.push(value);
    })();
    await Promise.resolve();
    channel.push(2);
    setTimeout(() => {
      channel.push(3);
      channel.close();
      channel.push(4);
    }, 5);
    await consumer;
    expect(received).toEqual([1, 2, 3]);
  });
});
