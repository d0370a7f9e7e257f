// What the embedded default scripts do, run in Node with the baton: modules stubbed (the sandbox runs the same sources under QuickJS): the bot's rules and memory, the redactor's masks.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { embeddedScripts } from './layout.js';

type Handler = (input: { text: string; history: unknown[] }, ctx: { node_id: string; config: Record<string, string>; turn: { ordinal: number; seed: string } }) => unknown;

interface Host {
  state: Map<string, unknown>;
  now: number;
}

declare global {
  var __batonStub: Host;
}

const STUBS: Record<string, string> = {
  'baton:state': 'export function get(k) { return globalThis.__batonStub.state.get(k); }\nexport function put(k, v) { globalThis.__batonStub.state.set(k, v); }',
  'baton:clock': 'export function now() { return globalThis.__batonStub.now; }',
};

let root: string;
const handlers = new Map<string, Handler>();

/** Writes each script with its imports pointed at files of this tree, then imports the node scripts. */
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'baton-embedded-'));
  const fileOf = (specifier: string): string => join(root, STUBS[specifier] ? `stub/${specifier.slice('baton:'.length)}.mjs` : `${specifier}.mjs`);
  for (const [specifier, source] of Object.entries(STUBS)) {
    mkdirSync(dirname(fileOf(specifier)), { recursive: true });
    writeFileSync(fileOf(specifier), source);
  }
  for (const script of embeddedScripts()) {
    const source = script.source.replace(/from '([^']+)'/g, (_all, specifier: string) => `from ${JSON.stringify(pathToFileURL(fileOf(specifier)).href)}`);
    mkdirSync(dirname(fileOf(script.name)), { recursive: true });
    writeFileSync(fileOf(script.name), source);
  }
  for (const script of embeddedScripts().filter((s) => s.kind === 'node')) {
    const module = (await import(pathToFileURL(fileOf(script.name)).href)) as { default: Handler };
    handlers.set(script.name, module.default);
  }
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function run(name: string, text: string, host: Partial<Host> = {}, config: Record<string, string> = {}): unknown {
  globalThis.__batonStub = { state: host.state ?? new Map(), now: host.now ?? 0 };
  return handlers.get(name)!({ text, history: [] }, { node_id: 'n', config, turn: { ordinal: 1, seed: '1' } });
}

describe('redact/pii', () => {
  test('masks e-mail addresses and runs of 7 or more digits, keeping short numbers and the rest of the text', () => {
    expect(run('redact/pii', 'Mail me at ada.lovelace+x@example.co.uk or call +44 20 7946 0958.')).toBe('Mail me at [email] or call [number].');
    expect(run('redact/pii', 'card 4111-1111-1111-1111 expires 12/27, 3 tickets')).toBe('card [number] expires 12/27, 3 tickets');
    expect(run('redact/pii', '  two   spaces and 123456  ')).toBe('two spaces and 123456');
    expect(run('redact/pii', 'pin 1234', {}, { min_digits: '4' })).toBe('pin [number]');
    expect(run('redact/pii', '')).toBe('');
  });
});

describe('bot/rules', () => {
  test('greets, learns the caller name in baton:state and uses it on later turns', () => {
    const state = new Map<string, unknown>();
    expect(run('bot/rules', 'Hello there', { state })).toBe('Hello! I am Baton. What is your name?');
    expect(run('bot/rules', "Hi, my name is ada", { state })).toBe('Nice to meet you, Ada. I am Baton.');
    expect(state.get('caller_name')).toBe('Ada');
    expect(run('bot/rules', 'hello', { state })).toBe('Hello again, Ada!');
    expect(run('bot/rules', "what's my name?", { state })).toBe('Your name is Ada.');
    expect(run('bot/rules', 'thanks, bye', { state })).toBe('Goodbye, Ada.');
    expect(run('bot/rules', 'I am fine')).toBe('You said: I am fine');
  });

  test('answers how long the call has lasted from baton:clock, and echoes anything else, clipped', () => {
    expect(run('bot/rules', 'How long have we been talking?', { now: 125_400 })).toBe('We have been talking for 2 minutes and 5 seconds.');
    expect(run('bot/rules', 'what time is it', { now: 1000 })).toBe('We have been talking for 1 second.');
    expect(run('bot/rules', 'the weather is nice')).toBe('You said: the weather is nice');
    expect(run('bot/rules', '   ')).toBe('Sorry, I did not catch that.');
    expect(run('bot/rules', 'Hi', {}, { bot_name: 'Ada' })).toBe('Hello! I am Ada. What is your name?');
    const long = String(run('bot/rules', 'word '.repeat(200)));
    expect(long.length).toBeLessThanOrEqual(400);
    expect(long.endsWith('…')).toBe(true);
  });

  test('the same input, state and clock give the same reply', () => {
    const a = run('bot/rules', 'my name is Grace', { now: 5 });
    const b = run('bot/rules', 'my name is Grace', { now: 5 });
    expect(a).toBe(b);
  });
});
