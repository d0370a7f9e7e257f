import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type InboundFrame, POLICY_VIOLATION, UNSUPPORTED_DATA, clearFrame, markFrame, mediaFrame, parseInbound } from './media-streams-dialect.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'media-streams');
const SID = 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';

function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}

function parsed(text: string): InboundFrame {
  const result = parseInbound(text);
  if (!result.ok) throw new Error(`expected a frame, got ${result.problem.code}: ${result.problem.message}`);
  return result.frame;
}

function problem(value: unknown): { code: number; message: string } {
  const result = parseInbound(typeof value === 'string' ? value : JSON.stringify(value));
  if (result.ok) throw new Error(`expected a problem, got ${JSON.stringify(result.frame)}`);
  return result.problem;
}

/** The `start` fixture with its mediaFormat replaced. */
function startWith(mediaFormat: unknown): Record<string, unknown> {
  const frame = fixture('start.json');
  return { ...frame, start: { ...(frame['start'] as object), mediaFormat } };
}

describe('inbound frames as Twilio documents them', () => {
  test('connected: protocol and version', () => {
    expect(parsed(fixtureText('connected.json'))).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  });

  test('start: stream, call and account ids, tracks, custom parameters; sequenceNumber is a decimal string', () => {
    const frame = parsed(fixtureText('start.json'));
    expect(frame).toEqual({
      event: 'start',
      sequenceNumber: 1,
      streamSid: SID,
      accountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
      callSid: 'CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
      tracks: ['inbound'],
      customParameters: { FirstName: 'Jane', LastName: 'Doe', RemoteParty: 'Bob' },
    });
  });

  test('media: track, chunk, timestamp (strings) and the base64 mu-law payload as bytes', () => {
    const frame = parsed(fixtureText('media-inbound.json'));
    expect(frame).toMatchObject({ event: 'media', sequenceNumber: 2, streamSid: SID, track: 'inbound', chunk: 1, timestamp: 5 });
    const payload = (frame as Extract<InboundFrame, { event: 'media' }>).payload;
    expect(payload.length).toBe(160);
    const json = fixture('media-inbound.json') as { media: { payload: string } };
    expect(Buffer.from(payload).toString('base64')).toBe(json.media.payload);
    expect(parsed(fixtureText('media-outbound.json'))).toMatchObject({ event: 'media', track: 'outbound', sequenceNumber: 3 });
  });

  test('mark, dtmf and stop', () => {
    expect(parsed(fixtureText('mark.json'))).toEqual({ event: 'mark', sequenceNumber: 4, streamSid: SID, name: 'my label' });
    expect(parsed(fixtureText('dtmf.json'))).toEqual({ event: 'dtmf', sequenceNumber: 5, streamSid: SID, track: 'inbound_track', digit: '1' });
    expect(parsed(fixtureText('stop.json'))).toEqual({
      event: 'stop',
      sequenceNumber: 5,
      streamSid: SID,
      accountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
      callSid: 'CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    });
  });

  test('optional fields a gateway may leave out: sequenceNumber, top-level streamSid, media.track (inbound), stop body', () => {
    const media = parsed(JSON.stringify({ event: 'media', media: { payload: 'AAAA' } })) as Extract<InboundFrame, { event: 'media' }>;
    expect({ ...media, payload: [...media.payload] }).toEqual({
      event: 'media',
      sequenceNumber: undefined,
      streamSid: undefined,
      track: 'inbound',
      chunk: undefined,
      timestamp: undefined,
      payload: [0, 0, 0],
    });
    expect(parsed(JSON.stringify({ event: 'stop', streamSid: SID }))).toMatchObject({ event: 'stop', accountSid: '', callSid: '' });
    const start = fixture('start.json') as { start: Record<string, unknown> };
    const { streamSid: _top, ...withoutTop } = start as Record<string, unknown>;
    expect(parsed(JSON.stringify(withoutTop))).toMatchObject({ event: 'start', streamSid: SID, sequenceNumber: 1 });
  });
});

describe('frames that are not the dialect', () => {
  test('a mediaFormat other than 8 kHz mono mu-law is unsupported data (1003)', () => {
    for (const format of [
      { encoding: 'audio/x-alaw', sampleRate: 8000, channels: 1 },
      { encoding: 'audio/x-mulaw', sampleRate: 16000, channels: 1 },
      { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 2 },
      { encoding: 'audio/x-mulaw', sampleRate: '8000', channels: 1 },
      {},
    ]) {
      const p = problem(startWith(format));
      expect(p.code).toBe(UNSUPPORTED_DATA);
      expect(p.message).toMatch(/unsupported mediaFormat/);
    }
  });

  test.each([
    ['not JSON', '{"event":', /not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['no event', { media: {} }, /string "event"/],
    ['an unknown event', { event: 'playedStream' }, /unknown event "playedStream"/],
    ['start without mediaFormat', { event: 'start', start: { streamSid: SID } }, /start.mediaFormat must be an object/],
    ['start whose two stream ids differ', { ...fixture('start.json'), streamSid: 'MZother' }, /streamSid and start.streamSid differ/],
    ['media without payload', { event: 'media', media: { track: 'inbound' } }, /media.payload must be a base64 string/],
    ['media with a number payload', { event: 'media', media: { payload: 123 } }, /media.payload must be a base64 string/],
    ['media with invalid base64', { event: 'media', media: { payload: '###not base64###' } }, /not valid base64/],
    ['media with unpadded base64', { event: 'media', media: { payload: 'AAA' } }, /not valid base64/],
    ['media on an unknown track', { event: 'media', media: { track: 'both', payload: 'AAAA' } }, /media.track/],
    ['a timestamp that is not a decimal string', { event: 'media', media: { timestamp: '5ms', payload: 'AAAA' } }, /media.timestamp/],
    ['a sequenceNumber that is not a decimal string', { event: 'mark', sequenceNumber: 'four', mark: { name: 'x' } }, /sequenceNumber/],
    ['mark without a name', { event: 'mark', mark: {} }, /mark.name is required/],
    ['dtmf without a digit', { event: 'dtmf', dtmf: { track: 'inbound_track' } }, /dtmf.digit is required/],
    ['custom parameters that are not strings', { ...fixture('start.json'), start: { ...(fixture('start.json')['start'] as object), customParameters: { n: 1 } } }, /customParameters/],
  ])('%s is a policy violation (1008) with a message naming the problem', (_name, value, message) => {
    const p = problem(value);
    expect(p.code).toBe(POLICY_VIOLATION);
    expect(p.message).toMatch(message);
  });

  test('the start of the start fixture without any stream id is refused', () => {
    const frame = fixture('start.json') as { start: Record<string, unknown> };
    const { streamSid: _inner, ...start } = frame.start;
    const { streamSid: _outer, ...rest } = frame as Record<string, unknown>;
    expect(problem({ ...rest, start }).message).toMatch(/start.streamSid is required/);
  });

  test('property: no input makes the parser throw; every refusal is 1003 or 1008 with a message', () => {
    const known = ['connected', 'start', 'media', 'mark', 'dtmf', 'stop'];
    const frames = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({ event: fc.oneof(fc.constantFrom(...known), fc.string()), rest: fc.dictionary(fc.string(), fc.jsonValue()) })
        .map(({ event, rest }) => JSON.stringify({ ...rest, event })),
      fc
        .record({
          name: fc.constantFrom('start.json', 'media-inbound.json', 'mark.json', 'dtmf.json', 'stop.json'),
          key: fc.constantFrom('start', 'media', 'mark', 'dtmf', 'stop', 'sequenceNumber', 'streamSid'),
          value: fc.jsonValue(),
        })
        .map(({ name, key, value }) => JSON.stringify({ ...fixture(name), [key]: value })),
    );
    fc.assert(
      fc.property(frames, (text) => {
        const result = parseInbound(text);
        if (!result.ok) {
          expect([UNSUPPORTED_DATA, POLICY_VIOLATION]).toContain(result.problem.code);
          expect(result.problem.message.length).toBeGreaterThan(0);
        } else {
          expect(known).toContain(result.frame.event);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('outbound frames as Twilio documents them', () => {
  test('media, mark and clear have exactly the documented fields, in the documented order', () => {
    const media = fixture('out-media.json') as { media: { payload: string } };
    expect(mediaFrame(SID, Buffer.from(media.media.payload, 'base64'))).toBe(JSON.stringify(media));
    expect(markFrame(SID, 'my label')).toBe(JSON.stringify(fixture('out-mark.json')));
    expect(clearFrame(SID)).toBe(JSON.stringify(fixture('out-clear.json')));
  });

  test('property: a media payload round-trips through the inbound parser byte for byte, even from a view into a larger buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(16), (bytes, offset) => {
        const backing = new Uint8Array(bytes.length + offset + 3);
        backing.set(bytes, offset);
        const view = backing.subarray(offset, offset + bytes.length);
        const frame = parsed(mediaFrame(SID, view));
        expect(frame).toMatchObject({ event: 'media', streamSid: SID, track: 'inbound' });
        expect(Buffer.from((frame as Extract<InboundFrame, { event: 'media' }>).payload).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });
});
