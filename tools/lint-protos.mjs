#!/usr/bin/env node
// Checks Baton's proto style rules (DESIGN 4.1 and 5.2) on every
// <dir>/baton/v1/*.proto, where <dir> is argv[2] or the repository's proto/.
// It prints every violation as `file: rule: detail` and exits 1 if there is
// any; it never rewrites a proto. protoc and gen-protos --check cover what
// compiles and what is generated; this covers what the design promises
// clients in other languages about names and shapes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PACKAGE = 'baton.v1';

/**
 * Methods whose response is not `<Method>Response` (DESIGN 5.2). `stream`
 * is whether the response is a server stream; `requestStream` marks the one
 * client-streaming method, which takes a domain message instead of a request.
 */
const RESPONSE_ALLOW_LIST = {
  PublishPipeline: { response: 'PipelineVersion', stream: false },
  GetSession: { response: 'Session', stream: false },
  ProposeTurn: { response: 'TurnDecision', stream: false },
  AcquireLease: { response: 'Lease', stream: false },
  RenewLease: { response: 'Lease', stream: false },
  ReleaseLease: { response: 'Lease', stream: false },
  TransferLease: { response: 'Lease', stream: false },
  GetLease: { response: 'Lease', stream: false },
  PutScript: { response: 'ScriptVersion', stream: false },
  WatchSession: { response: 'EventEnvelope', stream: true },
  ExportTimeline: { response: 'TimelineRecord', stream: true },
  ReplayTimeline: { response: 'ReplayReport', stream: false },
};

// Protobuf reserves these field numbers for its own implementation.
const RESERVED_FIELD_NUMBERS = { from: 19000, to: 19999 };

const PASCAL_CASE = /^[A-Z][a-zA-Z0-9]*$/;
const LOWER_SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const UPPER_SNAKE_CASE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;
const EMPTY = 'google.protobuf.Empty';

/** `TurnOutcome` -> `turn_outcome`, `HTTPRoute` -> `http_route`. */
function snakeCase(name) {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

function main() {
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const protoRoot = resolve(process.argv[2] ?? join(repoRoot, 'proto'));
  const sourceDir = join(protoRoot, 'baton', 'v1');
  const problems = [];
  const report = (file, rule, detail) => problems.push(`${file}: ${rule}: ${detail}`);

  if (!existsSync(sourceDir)) {
    console.error(`lint-protos: ${sourceDir} does not exist`);
    process.exit(2);
  }
  const files = readdirSync(sourceDir)
    .filter((name) => name.endsWith('.proto'))
    .sort()
    .map((name) => join(sourceDir, name));
  const shown = (path) => relative(protoRoot, path) || path;

  // Pass 1, per file: what only the file's own text says (package, imports),
  // and protobufjs's own checks (duplicate field numbers, syntax). A file that
  // does not parse is left out of pass 2 so the others are still checked.
  const parsed = [];
  for (const path of files) {
    let result;
    try {
      result = protobuf.parse(readFileSync(path, 'utf8'), new protobuf.Root(), { keepCase: true });
    } catch (err) {
      report(shown(path), 'parse', err.message);
      continue;
    }
    if (result.package !== PACKAGE) {
      report(shown(path), 'package', `package is ${result.package ? `"${result.package}"` : 'missing'}, expected "${PACKAGE}"`);
    }
    for (const imported of [...(result.imports ?? []), ...(result.weakImports ?? [])]) {
      if (imported === 'google/protobuf/empty.proto') report(shown(path), 'no-empty', `imports ${imported}`);
    }
    parsed.push(path);
  }

  // Pass 2: every file in one root, so types referenced across files resolve.
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(protoRoot, target));
  let counts = { messages: 0, services: 0 };
  try {
    root.loadSync(parsed, { keepCase: true });
    root.resolveAll();
    const ours = new Set(parsed);
    counts = lintDefinitions(root, (obj) => ours.has(obj.filename), (obj, rule, detail) => report(shown(obj.filename), rule, detail));
  } catch (err) {
    report(shown(sourceDir), 'resolve', err.message);
  }

  for (const line of problems) console.log(line);
  const summary = [plural(files.length, 'file'), plural(counts.messages, 'message'), plural(counts.services, 'service'), plural(problems.length, 'problem')];
  console.log(`lint-protos: ${summary.join(', ')}`);
  process.exit(problems.length > 0 ? 1 : 0);
}

function lintDefinitions(root, isOurs, report) {
  const counts = { messages: 0, services: 0 };
  const visit = (ns) => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        if (isOurs(obj)) {
          counts.messages += 1;
          lintMessage(obj, report);
        }
      } else if (obj instanceof protobuf.Enum) {
        if (isOurs(obj)) lintEnum(obj, report);
      } else if (obj instanceof protobuf.Service) {
        if (isOurs(obj)) {
          counts.services += 1;
          lintService(obj, report);
        }
      }
      // Messages nest types and enums as well; namespaces nest everything.
      if (obj.nestedArray) visit(obj);
    }
  };
  visit(root);
  return counts;
}

function lintMessage(type, report) {
  if (!PASCAL_CASE.test(type.name)) report(type, 'message-name', `message ${type.fullName.slice(1)} is not PascalCase`);
  for (const field of type.fieldsArray) {
    const where = `${type.name}.${field.name}`;
    if (!LOWER_SNAKE_CASE.test(field.name)) report(type, 'field-name', `field ${where} is not lower_snake_case`);
    if (field.id >= RESERVED_FIELD_NUMBERS.from && field.id <= RESERVED_FIELD_NUMBERS.to) {
      report(type, 'field-number', `field ${where} = ${field.id} is in the range ${RESERVED_FIELD_NUMBERS.from}-${RESERVED_FIELD_NUMBERS.to} reserved by protobuf`);
    }
    if (typeName(field.resolvedType) === EMPTY) report(type, 'no-empty', `field ${where} has type ${EMPTY}`);
  }
  for (const oneof of type.oneofsArray) {
    // proto3 `optional` fields are synthetic oneofs named `_<field>`; only declared oneofs are checked.
    if (oneof.name.startsWith('_')) continue;
    if (!LOWER_SNAKE_CASE.test(oneof.name)) report(type, 'field-name', `oneof ${type.name}.${oneof.name} is not lower_snake_case`);
  }
  if (type.name === 'EventEnvelope') lintPayloadMembers(type, report);
}

/** DESIGN 4.1: the payload member of kind `audio.in` is `audio_in`, of message AudioIn. */
function lintPayloadMembers(envelope, report) {
  const payload = envelope.oneofs?.payload;
  if (!payload) {
    report(envelope, 'payload-member', 'EventEnvelope has no oneof payload');
    return;
  }
  for (const member of payload.fieldsArray) {
    const message = member.resolvedType;
    if (!(message instanceof protobuf.Type)) {
      report(envelope, 'payload-member', `payload member ${member.name} is not a message`);
    } else if (snakeCase(message.name) !== member.name) {
      report(envelope, 'payload-member', `payload member ${member.name} has type ${message.name}; expected the member to be named ${snakeCase(message.name)}`);
    }
  }
}

function lintEnum(enumType, report) {
  if (!PASCAL_CASE.test(enumType.name)) report(enumType, 'enum-name', `enum ${enumType.fullName.slice(1)} is not PascalCase`);
  const prefix = `${snakeCase(enumType.name).toUpperCase()}_`;
  for (const [name, value] of Object.entries(enumType.values)) {
    if (!UPPER_SNAKE_CASE.test(name)) report(enumType, 'enum-value-name', `${enumType.name}.${name} is not UPPER_SNAKE_CASE`);
    else if (!name.startsWith(prefix)) report(enumType, 'enum-value-name', `${enumType.name}.${name} does not start with ${prefix}`);
    if (value === 0 && name !== `${prefix}UNSPECIFIED`) {
      report(enumType, 'enum-zero-value', `${enumType.name} zero value is ${name}, expected ${prefix}UNSPECIFIED`);
    }
  }
  if (!Object.values(enumType.values).includes(0)) {
    report(enumType, 'enum-zero-value', `${enumType.name} has no zero value ${prefix}UNSPECIFIED`);
  }
}

function lintService(service, report) {
  if (!PASCAL_CASE.test(service.name)) report(service, 'service-name', `service ${service.name} is not PascalCase`);
  for (const method of service.methodsArray) {
    const where = `${service.name}.${method.name}`;
    if (!PASCAL_CASE.test(method.name)) report(service, 'rpc-name', `rpc ${where} is not PascalCase`);
    const request = typeName(method.resolvedRequestType);
    const response = typeName(method.resolvedResponseType);
    if (request === EMPTY || response === EMPTY) report(service, 'no-empty', `rpc ${where} uses ${EMPTY}`);

    // A client-streaming rpc streams domain records (ReplayTimeline takes TimelineRecord).
    const expectedRequest = `${PACKAGE}.${method.name}Request`;
    if (!method.requestStream && request !== expectedRequest) {
      report(service, 'rpc-request', `rpc ${where} takes ${request}, expected ${expectedRequest}`);
    }

    const allowed = RESPONSE_ALLOW_LIST[method.name];
    const expectedResponse = `${PACKAGE}.${allowed ? allowed.response : `${method.name}Response`}`;
    if (response !== expectedResponse) {
      report(service, 'rpc-response', `rpc ${where} returns ${response}, expected ${expectedResponse}`);
    }
    if (allowed && Boolean(method.responseStream) !== allowed.stream) {
      report(service, 'rpc-response', `rpc ${where} must ${allowed.stream ? '' : 'not '}return a stream of ${allowed.response}`);
    }
  }
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function typeName(type) {
  return type ? type.fullName.replace(/^\./, '') : undefined;
}

main();
