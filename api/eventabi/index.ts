// Public surface of the Event ABI package: the kind table, vocabularies,
// codecs for both encodings and the stateless validator.
export * from './kinds.js';
export * from './vocabulary.js';
export * from './errors.js';
export * from './audio-format.js';
export { anyEnvelope, envelope, type EnvelopeFields } from './envelope.js';
export { decodeBinary, encodeBinary } from './codec-binary.js';
export { decodeJson, encodeJson } from './codec-json.js';
export { EVENT_SCHEMA, payloadDesc, type FieldDesc, type PayloadDesc } from './schema.js';
export { checkEvent, MAX_ID_LENGTH } from './validate.js';
