// Field-level schema of the Event ABI, derived once at load time from
// proto/baton/v1/events.proto, joined with the kind table. Both codecs are
// driven by it, so a field is named in the proto and nowhere else.
import protobuf from 'protobufjs';
import { protoFile } from '../proto-files.js';
import { ALL_KINDS, type Kind, payloadMember } from './kinds.js';

export type FieldType = 'string' | 'bytes' | 'uint32' | 'uint64' | 'bool' | 'double';

export interface FieldDesc {
  readonly name: string;
  readonly number: number;
  readonly type: FieldType;
  /** Declared `optional` in the proto; every other payload field is required. */
  readonly optional: boolean;
  /** Protobuf wire type: 0 varint, 1 fixed64, 2 length-delimited. */
  readonly wireType: 0 | 1 | 2;
  /** 64-bit identifiers (`epoch`, `seed`) are decimal strings in JSON. */
  readonly jsonAsString: boolean;
}

export interface PayloadDesc {
  readonly kind: Kind;
  readonly member: string;
  readonly number: number;
  readonly fields: readonly FieldDesc[];
  readonly byNumber: ReadonlyMap<number, FieldDesc>;
  readonly byName: ReadonlyMap<string, FieldDesc>;
}

export interface EventSchema {
  readonly envelope: readonly FieldDesc[];
  readonly envelopeByNumber: ReadonlyMap<number, FieldDesc>;
  readonly payloadByKind: ReadonlyMap<Kind, PayloadDesc>;
  readonly payloadByNumber: ReadonlyMap<number, PayloadDesc>;
}

const WIRE_TYPES: Record<FieldType, 0 | 1 | 2> = {
  string: 2,
  bytes: 2,
  uint32: 0,
  uint64: 0,
  bool: 0,
  double: 1,
};

function fieldDesc(field: protobuf.Field): FieldDesc {
  const type = field.type as FieldType;
  if (!(type in WIRE_TYPES) || field.repeated || field.map) {
    throw new Error(`events.proto: field ${field.fullName} has unsupported type ${field.type}`);
  }
  const optional = Boolean(field.options?.['proto3_optional']) || Boolean(field.partOf?.name.startsWith('_'));
  return {
    name: field.name,
    number: field.id,
    type,
    optional,
    wireType: WIRE_TYPES[type],
    jsonAsString: type === 'uint64' && (field.name === 'epoch' || field.name === 'seed'),
  };
}

function loadSchema(): EventSchema {
  const root = new protobuf.Root();
  root.loadSync(protoFile('events'), { keepCase: true });
  const envelopeType = root.lookupType('baton.v1.EventEnvelope');
  const oneof = envelopeType.oneofs?.['payload'];
  if (!oneof) throw new Error('events.proto: EventEnvelope has no payload oneof');

  const envelope = envelopeType.fieldsArray.filter((f) => !f.partOf).map(fieldDesc);
  const members = new Map(oneof.fieldsArray.map((f) => [f.name, f]));
  const payloadByKind = new Map<Kind, PayloadDesc>();
  const payloadByNumber = new Map<number, PayloadDesc>();
  for (const kind of ALL_KINDS) {
    const member = payloadMember(kind);
    const field = members.get(member);
    if (!field) throw new Error(`events.proto: no payload member ${member} for kind ${kind}`);
    members.delete(member);
    field.resolve();
    const type = field.resolvedType;
    if (!(type instanceof protobuf.Type)) throw new Error(`events.proto: ${member} is not a message`);
    const fields = type.fieldsArray.map(fieldDesc).sort((a, b) => a.number - b.number);
    const desc: PayloadDesc = {
      kind,
      member,
      number: field.id,
      fields,
      byNumber: new Map(fields.map((f) => [f.number, f])),
      byName: new Map(fields.map((f) => [f.name, f])),
    };
    payloadByKind.set(kind, desc);
    payloadByNumber.set(field.id, desc);
  }
  if (members.size > 0) {
    throw new Error(`events.proto: payload members without a kind: ${[...members.keys()].join(', ')}`);
  }
  return {
    envelope,
    envelopeByNumber: new Map(envelope.map((f) => [f.number, f])),
    payloadByKind,
    payloadByNumber,
  };
}

export const EVENT_SCHEMA: EventSchema = loadSchema();

export function payloadDesc(kind: Kind): PayloadDesc {
  return EVENT_SCHEMA.payloadByKind.get(kind)!;
}
