// Hostile control-plane traffic for test/integration/hostile-grpc.test.ts and
// the gRPC bench: Baton's gRPC methods read from control.proto with protobufjs
// reflection (what any client would load), a raw client that sends request
// bodies as bytes exactly as given, and fast-check arbitraries for request
// bodies: valid-shaped messages, truncated and bit-flipped ones, wrong wire
// types, invalid UTF-8 in string fields, deep group nesting and oversize
// bodies. It knows nothing about the kernel beyond the public contract.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { protoDir, protoFile } from '../../api/proto-files.js';

export interface ControlMethod {
  /** `Sessions.ProposeTurn` */
  readonly name: string;
  /** `/baton.v1.Sessions/ProposeTurn` */
  readonly path: string;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

let root: protobuf.Root | undefined;

/** control.proto (and the files it imports) as a plain protobufjs client loads them. */
export function controlRoot(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  loaded.resolvePath = (origin, target) => (target.startsWith('/') ? target : origin ? join(protoDir(), target) : target);
  loaded.loadSync(protoFile('control'), { keepCase: true });
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

/** Every method of every baton.v1 service, in proto order. */
export function controlMethods(): ControlMethod[] {
  const pkg = controlRoot().lookup('baton.v1') as protobuf.Namespace;
  const methods: ControlMethod[] = [];
  for (const nested of pkg.nestedArray) {
    if (!(nested instanceof protobuf.Service)) continue;
    for (const method of nested.methodsArray) {
      methods.push({
        name: `${nested.name}.${method.name}`,
        path: `/baton.v1.${nested.name}/${method.name}`,
        requestType: method.resolvedRequestType!,
        responseType: method.resolvedResponseType!,
        requestStream: Boolean(method.requestStream),
        responseStream: Boolean(method.responseStream),
      });
    }
  }
  return methods;
}

export function encodeRequest(type: protobuf.Type, object: Record<string, unknown>): Buffer {
  return Buffer.from(type.encode(type.fromObject(object)).finish());
}

export function decodeResponse<T = Record<string, unknown>>(type: protobuf.Type, bytes: Uint8Array): T {
  return type.toObject(type.decode(bytes), { longs: Number, enums: String, defaults: true }) as T;
}

/** Whether protobufjs (the library grpc-js's proto-loader decodes with) refuses the bytes as `type`. */
export function undecodable(type: protobuf.Type, bytes: Uint8Array): boolean {
  try {
    type.decode(bytes);
    return false;
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------- raw client

export interface RawCallOptions {
  /** `authorization` metadata value; undefined sends none. */
  authorization?: string;
  /** Client deadline in ms from now; undefined sends none. */
  deadlineMs?: number;
  /** Cancels the call from the client after this many ms. */
  cancelAfterMs?: number;
}

export interface RawCallResult {
  code: grpc.status;
  details: string;
  /** Response bodies, undecoded. */
  messages: Buffer[];
  /** Wall time from start to status, informational. */
  ms: number;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** A grpc-js client without a service definition: it sends and returns raw bodies on any path. */
export class RawControlClient {
  private readonly client: grpc.Client;

  constructor(address: string) {
    const Generic = grpc.makeGenericClientConstructor({}, 'RawControl');
    this.client = new Generic(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
  }

  close(): void {
    this.client.close();
  }

  call(method: ControlMethod, bodies: Buffer[], opts: RawCallOptions = {}): Promise<RawCallResult> {
    const metadata = new grpc.Metadata();
    if (opts.authorization !== undefined) metadata.set('authorization', opts.authorization);
    const options: grpc.CallOptions = opts.deadlineMs === undefined ? {} : { deadline: Date.now() + opts.deadlineMs };
    const started = performance.now();
    const messages: Buffer[] = [];
    return new Promise((resolve) => {
      const finish = (status: { code: grpc.status; details: string }): void => {
        resolve({ code: status.code, details: status.details, messages, ms: performance.now() - started });
      };
      let call: grpc.Call;
      if (method.requestStream) {
        const stream = this.client.makeClientStreamRequest(method.path, identity, identity, metadata, options, (err, value) => {
          if (value) messages.push(value);
        });
        stream.on('status', finish);
        stream.on('error', () => undefined);
        for (const body of bodies) stream.write(body);
        stream.end();
        call = stream;
      } else if (method.responseStream) {
        const stream = this.client.makeServerStreamRequest(method.path, identity, identity, bodies[0] ?? Buffer.alloc(0), metadata, options);
        stream.on('data', (chunk: Buffer) => messages.push(chunk));
        stream.on('status', finish);
        stream.on('error', () => undefined);
        call = stream;
      } else {
        const unary = this.client.makeUnaryRequest(method.path, identity, identity, bodies[0] ?? Buffer.alloc(0), metadata, options, (_err, value) => {
          if (value) messages.push(value);
        });
        unary.on('status', finish);
        call = unary;
      }
      if (opts.cancelAfterMs !== undefined) setTimeout(() => call.cancel(), opts.cancelAfterMs);
    });
  }
}

// ---------------------------------------------------------------- request bodies

/** Ids the fuzzer draws from so that requests reach real sessions, turns, pipelines and scripts. */
export interface IdPools {
  sessions: string[];
  turns: string[];
  names: string[];
}

export type BodyShape =
  | 'valid_shaped'
  | 'random_bytes'
  | 'truncated'
  | 'bit_flipped'
  | 'wrong_wire_type'
  | 'invalid_utf8_string'
  | 'deep_groups'
  | 'deep_length_delimited'
  | 'huge_string'
  | 'oversize';

export interface HostileBody {
  readonly shape: BodyShape;
  readonly bytes: Buffer;
}

/** Largest request the kernel accepts (grpc.max_receive_message_length in internal/control/grpc-server.ts). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

const ASCII_HEAVY = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
);

/** A value from a pool that grows while the fuzzer runs (sessions it opened); '' while the pool is empty. */
function fromPool(values: () => readonly string[]): fc.Arbitrary<string> {
  return fc.nat().map((i) => {
    const pool = values();
    return pool.length > 0 ? pool[i % pool.length]! : '';
  });
}

function stringFor(field: protobuf.Field, pools: IdPools): fc.Arbitrary<string> {
  const pooled =
    field.name === 'session_id' ? fromPool(() => pools.sessions) : field.name === 'turn_id' ? fromPool(() => pools.turns) : fromPool(() => pools.names);
  return fc.oneof(
    { weight: 5, arbitrary: pooled },
    { weight: 3, arbitrary: ASCII_HEAVY },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '..', '../../etc/passwd', '\u0000', 'demo', 'voice', 'pcm16', 'mulaw', 'node', 'gateway') },
    { weight: 1, arbitrary: fc.integer({ min: 1024, max: 65_536 }).map((n) => 'x'.repeat(n)) },
  );
}

const UINT64 = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.nat({ max: 1000 }),
  fc.constantFrom('18446744073709551615', '9223372036854775808'),
);

const UINT32 = fc.oneof(fc.constantFrom(0, 1, 16_000, 8000, 0xffffffff), fc.nat({ max: 100_000 }));

function scalarFor(field: protobuf.Field, pools: IdPools): fc.Arbitrary<unknown> {
  switch (field.type) {
    case 'string':
      return stringFor(field, pools);
    case 'bytes':
      return fc.uint8Array({ maxLength: 256 });
    case 'uint64':
    case 'int64':
    case 'fixed64':
      return UINT64;
    case 'uint32':
    case 'int32':
    case 'fixed32':
      return UINT32;
    case 'bool':
      return fc.boolean();
    case 'double':
    case 'float':
      return fc.double();
    default:
      return fc.constant(undefined);
  }
}

/** A message of `type` with any subset of its fields set to values a control plane might send, or nearly. */
export function messageArbitrary(type: protobuf.Type, pools: IdPools, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) {
    const resolved = field.resolvedType;
    let value: fc.Arbitrary<unknown>;
    if (resolved instanceof protobuf.Enum) {
      value = fc.oneof(fc.constantFrom(...Object.keys(resolved.values)), fc.integer({ min: 0, max: 1000 }));
    } else if (resolved instanceof protobuf.Type) {
      value = depth >= 3 ? fc.constant({}) : messageArbitrary(resolved, pools, depth + 1);
    } else {
      value = scalarFor(field, pools);
    }
    if (field.map) {
      model[field.name] = fc.dictionary(fc.string({ maxLength: 16 }), fc.string({ maxLength: 32 }), { maxKeys: 4 });
    } else if (field.repeated) {
      model[field.name] = fc.array(value, { maxLength: depth === 0 ? 6 : 3 });
    } else {
      model[field.name] = value;
    }
  }
  return fc.record(model, { requiredKeys: [] });
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

const tag = (field: number, wireType: number): number[] => varint(field * 8 + wireType);

function lengthDelimited(field: number, body: Uint8Array): Buffer {
  return Buffer.from([...tag(field, 2), ...varint(body.length), ...body]);
}

/** Byte sequences that are not UTF-8. */
const INVALID_UTF8 = fc.constantFrom(
  [0xff],
  [0xc3],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x61, 0x62, 0xfe, 0x63],
  [0xe2, 0x82],
);

/** Request bodies for `method`: every shape in the brief, weighted toward ones that reach handlers. */
export function bodyArbitrary(method: ControlMethod, pools: IdPools): fc.Arbitrary<HostileBody> {
  const type = method.requestType;
  const valid = messageArbitrary(type, pools).map((object) => encodeRequest(type, object));
  const stringFields = type.fieldsArray.filter((f) => f.type === 'string');
  const messageFields = type.fieldsArray.filter((f) => f.resolvedType instanceof protobuf.Type);
  const anyField = fc.integer({ min: 1, max: Math.max(1, ...type.fieldsArray.map((f) => f.id)) + 2 });
  const body = (shape: BodyShape, bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<HostileBody> => bytes.map((b) => ({ shape, bytes: b }));
  return fc.oneof(
    { weight: 40, arbitrary: body('valid_shaped', valid) },
    { weight: 8, arbitrary: body('random_bytes', fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b))) },
    {
      weight: 12,
      arbitrary: body(
        'truncated',
        valid.filter((b) => b.length > 1).chain((b) => fc.integer({ min: 1, max: b.length - 1 }).map((n) => b.subarray(0, n))),
      ),
    },
    {
      weight: 12,
      arbitrary: body(
        'bit_flipped',
        valid
          .filter((b) => b.length > 0)
          .chain((b) =>
            fc.array(fc.tuple(fc.nat({ max: b.length - 1 }), fc.nat({ max: 7 })), { minLength: 1, maxLength: 4 }).map((flips) => {
              const copy = Buffer.from(b);
              for (const [at, bit] of flips) copy[at]! ^= 1 << bit;
              return copy;
            }),
          ),
      ),
    },
    {
      weight: 8,
      arbitrary: body(
        'wrong_wire_type',
        fc.tuple(valid, anyField, fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7), fc.uint8Array({ minLength: 0, maxLength: 12 })).map(
          ([prefix, field, wireType, tail]) => Buffer.concat([prefix, Buffer.from([...tag(field, wireType), ...tail])]),
        ),
      ),
    },
    {
      weight: stringFields.length > 0 ? 8 : 0,
      arbitrary: body(
        'invalid_utf8_string',
        fc
          .tuple(valid, fc.constantFrom(...(stringFields.length > 0 ? stringFields : type.fieldsArray)), INVALID_UTF8)
          .map(([prefix, field, bad]) => Buffer.concat([prefix, lengthDelimited(field.id, Uint8Array.from(bad))])),
      ),
    },
    {
      weight: 3,
      arbitrary: body(
        'deep_groups',
        // Shallow or far past any stack: never near the edge, so the decoder's verdict does not depend on stack size.
        fc.tuple(anyField, fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 60_000, max: 200_000 }))).map(([field, depth]) => {
          const open = Buffer.from(tag(field, 3));
          const close = Buffer.from(tag(field, 4));
          return Buffer.concat([...Array<Buffer>(depth).fill(open), ...Array<Buffer>(depth).fill(close)]);
        }),
      ),
    },
    {
      weight: messageFields.length > 0 ? 3 : 0,
      arbitrary: body(
        'deep_length_delimited',
        // A message field nested in itself thousands of times (unknown inside the inner type, so skipped).
        fc
          .tuple(fc.constantFrom(...(messageFields.length > 0 ? messageFields : type.fieldsArray)), fc.integer({ min: 100, max: 5000 }))
          .map(([field, depth]) => {
            let inner: Buffer = Buffer.alloc(0);
            for (let i = 0; i < depth; i++) inner = lengthDelimited(field.id, inner);
            return inner;
          }),
      ),
    },
    {
      weight: stringFields.length > 0 ? 3 : 0,
      arbitrary: body(
        'huge_string',
        fc
          .tuple(
            fc.constantFrom(...(stringFields.length > 0 ? stringFields : type.fieldsArray)),
            // Mostly up to 256 KiB, now and then up to the limit: the bodies are real bytes on the wire.
            fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 64 * 1024, max: 256 * 1024 }) }, { weight: 1, arbitrary: fc.integer({ min: 256 * 1024, max: MAX_REQUEST_BYTES - 64 }) }),
          )
          .map(([field, size]) => lengthDelimited(field.id, Buffer.alloc(size, 0x61))),
      ),
    },
    {
      weight: 1,
      arbitrary: body(
        'oversize',
        fc.integer({ min: MAX_REQUEST_BYTES + 1, max: MAX_REQUEST_BYTES + 256 * 1024 }).map((size) => lengthDelimited(1, Buffer.alloc(size - 5, 0x62))),
      ),
    },
  );
}
