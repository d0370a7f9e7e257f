// A fixed-capacity FIFO: the storage behind every lane. It owns slot
// bookkeeping only and must never grow, allocate per operation, or keep a
// reference to an item it no longer holds.

export class RingBuffer<T> implements Iterable<T> {
  readonly capacity: number;
  private readonly slots: (T | undefined)[];
  /** Index of the oldest item. */
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    // Filled up front so the array stays packed and never changes shape.
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
  }

  get length(): number {
    return this.size;
  }

  get isFull(): boolean {
    return this.size === this.capacity;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Appends `item`; returns false, leaving the buffer unchanged, when full. */
  push(item: T): boolean {
    if (this.size === this.capacity) return false;
    this.slots[this.index(this.size)] = item;
    this.size++;
    return true;
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.size--;
    return item;
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.slots[this.head];
  }

  /** The newest item, left in place. */
  peekTail(): T | undefined {
    return this.size === 0 ? undefined : this.slots[this.index(this.size - 1)];
  }

  /** Overwrites the newest item; returns false when empty. */
  replaceTail(item: T): boolean {
    if (this.size === 0) return false;
    this.slots[this.index(this.size - 1)] = item;
    return true;
  }

  /** The item `offset` places from the oldest (0 = oldest). */
  at(offset: number): T | undefined {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.size) return undefined;
    return this.slots[this.index(offset)];
  }

  clear(): void {
    for (let i = 0; i < this.size; i++) this.slots[this.index(i)] = undefined;
    this.head = 0;
    this.size = 0;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.size; i++) yield this.slots[this.index(i)] as T;
  }

  private index(offset: number): number {
    const i = this.head + offset;
    return i >= this.capacity ? i - this.capacity : i;
  }
}
