// tools/lint-protos.mjs keeps the protos in the shape DESIGN 4.1 and 5.2
// promise clients: the real protos pass, and each broken rule in a scratch
// proto tree is reported as `file: rule: detail` with exit status 1.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tool = join(repoRoot, 'tools', 'lint-protos.mjs');

function lint(...args: string[]): { status: number | null; lines: string[] } {
  const run = spawnSync(process.execPath, [tool, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: run.status, lines: `${run.stdout}${run.stderr}`.trim().split('\n') };
}

describe('lint-protos on the real protos', () => {
  it('finds no problem in proto/baton/v1 and prints a one-line summary', () => {
    const { status, lines } = lint();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^lint-protos: 3 files, \d+ messages, 5 services, 0 problems$/);
    expect(status).toBe(0);
  });
});

describe('lint-protos on a proto tree that breaks every rule', () => {
  let dir: string;
  let result: { status: number | null; lines: string[] };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-lint-protos-'));
    const v1 = join(dir, 'baton', 'v1');
    mkdirSync(v1, { recursive: true });
    writeFileSync(
      join(v1, 'bad.proto'),
      `syntax = "proto3";
package baton.v1;
import "google/protobuf/empty.proto";

message bad_message {
  string BadField = 1;
  uint32 reserved_range = 19500;
}

enum Color {
  RED = 0;
  COLOR_BLUE = 1;
}

enum shade {
  SHADE_DARK = 1;
}

message AudioIn {}
message FetchQuery {}
message FetchResult {}
message GetThingRequest {}
message Holder { google.protobuf.Empty nothing = 1; }

message EventEnvelope {
  oneof payload {
    AudioIn audio_input = 16;
  }
}

service Things {
  rpc Ping(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc Fetch(FetchQuery) returns (FetchResult);
  rpc GetSession(GetThingRequest) returns (stream FetchResult);
  rpc Upload(stream FetchQuery) returns (UploadResponse);
}

message UploadResponse {}
`,
    );
    writeFileSync(join(v1, 'other.proto'), 'syntax = "proto3";\npackage acme.v1;\nmessage Fine {}\n');
    writeFileSync(
      join(v1, 'dup.proto'),
      `syntax = "proto3";
package baton.v1;
message Twice {
  string a = 1;
  string b = 1;
}
`,
    );
    result = lint(dir);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expected: Array<[string, string]> = [
    ['wrong package', 'baton/v1/other.proto: package: package is "acme.v1", expected "baton.v1"'],
    ['google.protobuf.Empty imported', 'baton/v1/bad.proto: no-empty: imports google/protobuf/empty.proto'],
    ['google.protobuf.Empty as a field type', 'baton/v1/bad.proto: no-empty: field Holder.nothing has type google.protobuf.Empty'],
    ['google.protobuf.Empty in an rpc', 'baton/v1/bad.proto: no-empty: rpc Things.Ping uses google.protobuf.Empty'],
    ['google.protobuf.Empty as an rpc request', 'baton/v1/bad.proto: rpc-request: rpc Things.Ping takes google.protobuf.Empty, expected baton.v1.PingRequest'],
    ['google.protobuf.Empty as an rpc response', 'baton/v1/bad.proto: rpc-response: rpc Things.Ping returns google.protobuf.Empty, expected baton.v1.PingResponse'],
    ['duplicate field numbers (protobufjs)', 'baton/v1/dup.proto: parse: duplicate id 1 in Type Twice'],
    ['message not PascalCase', 'baton/v1/bad.proto: message-name: message baton.v1.bad_message is not PascalCase'],
    ['field not lower_snake_case', 'baton/v1/bad.proto: field-name: field bad_message.BadField is not lower_snake_case'],
    ['field number reserved by protobuf', 'baton/v1/bad.proto: field-number: field bad_message.reserved_range = 19500 is in the range 19000-19999 reserved by protobuf'],
    ['enum value without the enum prefix', 'baton/v1/bad.proto: enum-value-name: Color.RED does not start with COLOR_'],
    ['zero value not <PREFIX>_UNSPECIFIED', 'baton/v1/bad.proto: enum-zero-value: Color zero value is RED, expected COLOR_UNSPECIFIED'],
    ['enum not PascalCase', 'baton/v1/bad.proto: enum-name: enum baton.v1.shade is not PascalCase'],
    ['enum without a zero value', 'baton/v1/bad.proto: enum-zero-value: shade has no zero value SHADE_UNSPECIFIED'],
    ['payload member not named after its message', 'baton/v1/bad.proto: payload-member: payload member audio_input has type AudioIn; expected the member to be named audio_in'],
    ['rpc request not <Method>Request', 'baton/v1/bad.proto: rpc-request: rpc Things.Fetch takes baton.v1.FetchQuery, expected baton.v1.FetchRequest'],
    ['rpc response not <Method>Response', 'baton/v1/bad.proto: rpc-response: rpc Things.Fetch returns baton.v1.FetchResult, expected baton.v1.FetchResponse'],
    ['allow-listed rpc taking another request', 'baton/v1/bad.proto: rpc-request: rpc Things.GetSession takes baton.v1.GetThingRequest, expected baton.v1.GetSessionRequest'],
    ['allow-listed rpc returning another message', 'baton/v1/bad.proto: rpc-response: rpc Things.GetSession returns baton.v1.FetchResult, expected baton.v1.Session'],
    ['allow-listed unary rpc returning a stream', 'baton/v1/bad.proto: rpc-response: rpc Things.GetSession must not return a stream of Session'],
  ];

  it('exits with status 1', () => {
    expect(result.status).toBe(1);
  });

  it.each(expected)('reports %s', (_rule, line) => {
    expect(result.lines).toContain(line);
  });

  it('reports exactly these problems and counts them in the summary', () => {
    // A client-streaming rpc (Things.Upload) may take a domain message, so it is not among them.
    expect(result.lines.slice(0, -1).sort()).toEqual(expected.map(([, line]) => line).sort());
    expect(result.lines.at(-1)).toBe(`lint-protos: 3 files, 9 messages, 1 service, ${expected.length} problems`);
  });
});
