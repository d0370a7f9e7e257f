import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

/** Reads the private slot array: the only way to see that released items are not retained. */
function slots<T>(buf: RingBuffer<T>): readonly (T | undefined)[] {
  return (buf as unknown as { slots: (T | undefined)[] }).slots;
}

describe('ring buffer', () => {
  test('a full buffer refuses a push and never grows', () => {
    const buf = new RingBuffer<number>(3);
    expect([buf.push(1), buf.push(2), buf.push(3), buf.push(4)]).toEqual([true, true, true, false]);
    expect(buf.isFull).toBe(true);
    expect([...buf]).toEqual([1, 2, 3]);
    expect(slots(buf)).toHaveLength(3);
  });

  test('wraps around and keeps FIFO order', () => {
    const buf = new RingBuffer<number>(3);
    buf.push(1);
    buf.push(2);
    expect(buf.shift()).toBe(1);
    buf.push(3);
    buf.push(4);
    expect([...buf]).toEqual([2, 3, 4]);
    expect(buf.peek()).toBe(2);
    expect(buf.peekTail()).toBe(4);
    expect(buf.at(1)).toBe(3);
    expect(buf.at(3)).toBeUndefined();
  });

  test('replaceTail overwrites only the newest item', () => {
    const buf = new RingBuffer<string>(2);
    expect(buf.replaceTail('x')).toBe(false);
    buf.push('a');
    buf.push('b');
    expect(buf.replaceTail('c')).toBe(true);
    expect([...buf]).toEqual(['a', 'c']);
  });

  test('shift and clear release their slots', () => {
    const buf = new RingBuffer<object>(4);
    for (let i = 0; i < 4; i++) buf.push({ i });
    buf.shift();
    expect(slots(buf).filter((s) => s !== undefined)).toHaveLength(3);
    buf.clear();
    expect(buf.length).toBe(0);
    expect(slots(buf).every((s) => s === undefined)).toBe(true);
  });

  test('rejects a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });

  test('behaves like a bounded array under any sequence of operations', () => {
    type Op = { op: 'push'; v: number } | { op: 'shift' } | { op: 'replaceTail'; v: number } | { op: 'clear' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.integer().map((v) => ({ op: 'push', v }) as const) },
      { weight: 3, arbitrary: fc.constant({ op: 'shift' } as const) },
      { weight: 1, arbitrary: fc.integer().map((v) => ({ op: 'replaceTail', v }) as const) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' } as const) },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const buf = new RingBuffer<number>(capacity);
        const model: number[] = [];
        for (const o of ops) {
          switch (o.op) {
            case 'push':
              expect(buf.push(o.v)).toBe(model.length < capacity);
              if (model.length < capacity) model.push(o.v);
              break;
            case 'shift':
              expect(buf.shift()).toBe(model.shift());
              break;
            case 'replaceTail':
              expect(buf.replaceTail(o.v)).toBe(model.length > 0);
              if (model.length > 0) model[model.length - 1] = o.v;
              break;
            case 'clear':
              buf.clear();
              model.length = 0;
              break;
          }
          expect([...buf]).toEqual(model);
          expect(buf.length).toBe(model.length);
          expect(buf.peek()).toBe(model[0]);
          expect(buf.peekTail()).toBe(model[model.length - 1]);
          expect(slots(buf)).toHaveLength(capacity);
          expect(slots(buf).filter((s) => s !== undefined)).toHaveLength(model.length);
        }
      }),
    );
  });
});
