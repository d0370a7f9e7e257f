// baton:state bounds and the epoch guard: JSON values only, keys of at most 128 characters, 64 KiB per session, a stale epoch never overwrites.
import { describe, expect, it } from 'vitest';
import { MemoryStateStore, STATE_KEY_MAX_CHARS, STATE_MAX_BYTES_PER_SESSION } from './state-store.js';

describe('MemoryStateStore', () => {
  it('keeps a session state across commits and removes keys written undefined', async () => {
    const store = new MemoryStateStore();
    expect(await store.load('s1')).toEqual({});
    expect(await store.commit('s1', 1, { count: 1, name: 'ada' })).toEqual({ ok: true });
    expect(await store.commit('s1', 1, { count: 2, name: undefined })).toEqual({ ok: true });
    expect(await store.load('s1')).toEqual({ count: 2 });
    expect(await store.load('s2')).toEqual({});
  });

  it('a loaded snapshot cannot be changed by its reader or by a later commit', async () => {
    const store = new MemoryStateStore();
    await store.commit('s1', 1, { list: [1, 2] });
    const snapshot = await store.load('s1');
    expect(() => {
      (snapshot as Record<string, unknown>)['list'] = 'x';
    }).toThrow();
    await store.commit('s1', 1, { list: [3] });
    expect(snapshot).toEqual({ list: [1, 2] });
  });

  it('refuses a key over 128 characters as an execution error that says so, keeping the old state', async () => {
    const store = new MemoryStateStore();
    await store.commit('s1', 1, { a: 1 });
    const key = 'k'.repeat(STATE_KEY_MAX_CHARS + 1);
    const result = await store.commit('s1', 1, { [key]: 1, b: 2 });
    expect(result).toMatchObject({ ok: false, code: 'execution', message: expect.stringContaining('128-character limit') });
    expect(await store.commit('s1', 1, { ['k'.repeat(STATE_KEY_MAX_CHARS)]: 1 })).toEqual({ ok: true });
    expect(Object.keys(await store.load('s1')).sort()).toEqual(['a', 'k'.repeat(STATE_KEY_MAX_CHARS)]);
  });

  it('refuses state over 64 KiB per session with a message that names the limit', async () => {
    const store = new MemoryStateStore();
    const half = 'x'.repeat(STATE_MAX_BYTES_PER_SESSION / 2);
    expect(await store.commit('s1', 1, { a: half })).toEqual({ ok: true });
    const result = await store.commit('s1', 1, { b: half });
    expect(result).toMatchObject({ ok: false, code: 'execution', message: expect.stringContaining('64 KiB') });
    expect(await store.load('s1')).toEqual({ a: half });
    // Another session has its own 64 KiB.
    expect(await store.commit('s2', 1, { b: half })).toEqual({ ok: true });
  });

  it('refuses values that are not JSON', async () => {
    const store = new MemoryStateStore();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const value of [Number.NaN, Infinity, cyclic, new Date(0), [() => 1]]) {
      expect(await store.commit('s1', 1, { v: value as never })).toMatchObject({ ok: false, code: 'execution', message: expect.stringContaining('not a JSON value') });
    }
    expect(await store.load('s1')).toEqual({});
  });

  it('a commit at an older epoch than one already written is refused stale_epoch', async () => {
    const store = new MemoryStateStore();
    expect(await store.commit('s1', 2, { owner: 'b' })).toEqual({ ok: true });
    expect(await store.commit('s1', 1, { owner: 'a' })).toMatchObject({ ok: false, code: 'stale_epoch' });
    expect(await store.load('s1')).toEqual({ owner: 'b' });
    expect(await store.commit('s1', 3, { owner: 'c' })).toEqual({ ok: true });
  });

  it('drop forgets the session', async () => {
    const store = new MemoryStateStore();
    await store.commit('s1', 1, { a: 1 });
    await store.drop('s1');
    expect(store.size).toBe(0);
    expect(await store.load('s1')).toEqual({});
  });
});
