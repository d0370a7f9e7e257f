import { mkdtempSync, readFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { FLUSH_BYTES, FLUSH_INTERVAL_MS, FileSink } from './sink.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Counts the sink's write calls by wrapping its file handle once it is open. */
async function countingSink(): Promise<{ sink: FileSink; writes: () => number; path: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-sink-'));
  const sink = new FileSink(dir, 's-1.timeline');
  let writes = 0;
  await (sink as unknown as { opened: Promise<void> }).opened;
  const handle = (sink as unknown as { handle: FileHandle }).handle;
  const write = handle.write.bind(handle) as (...args: unknown[]) => Promise<{ bytesWritten: number }>;
  (handle as unknown as { write: (...args: unknown[]) => Promise<{ bytesWritten: number }> }).write = (...args) => {
    writes += 1;
    return write(...args);
  };
  return { sink, writes: () => writes, path: () => sink.path! };
}

const record = (byte: number, size = 100) => new Uint8Array(size).fill(byte);

describe('FileSink batching', () => {
  test('small appends within the flush interval leave in one write, in order', async () => {
    const { sink, writes, path } = await countingSink();
    for (let i = 0; i < 50; i++) sink.enqueue(record(i));
    await new Promise((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS / 5));
    expect(sink.writtenRecords).toBe(0);
    await sink.whenWritten(50);
    expect(writes()).toBe(1);
    await sink.close();
    const bytes = readFileSync(path());
    expect(bytes.length).toBe(5000);
    for (let i = 0; i < 50; i++) expect(bytes[i * 100]).toBe(i);
  });

  test('a backlog of FLUSH_BYTES is written on the next loop turn without waiting for the interval', async () => {
    const { sink } = await countingSink();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    for (let i = 0; i < FLUSH_BYTES / 1024; i++) sink.enqueue(record(i % 256, 1024));
    // Fake timers never fire: only the immediate path can write.
    await sink.whenWritten(FLUSH_BYTES / 1024);
    expect(sink.writtenBytes).toBe(FLUSH_BYTES);
    vi.useRealTimers();
    await sink.close();
  });

  test('close writes what is pending at once and never loses a record', async () => {
    const { sink, path } = await countingSink();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    for (let i = 0; i < 7; i++) sink.enqueue(record(i));
    await sink.close();
    vi.useRealTimers();
    expect(sink.writtenRecords).toBe(7);
    expect(sink.lostRecords).toBe(0);
    expect(readFileSync(path()).length).toBe(700);
    expect(sink.enqueue(record(9))).toBe(false);
    expect(sink.lostRecords).toBe(1);
  });
});
