// docs/timeline.md is what a reader in another language is written from: it must name every field of timeline.proto with its number, every body case and every decision kind, and the format version the code writes.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, test } from 'vitest';
import { protoDir, protoFile } from '../../../api/proto-files.js';
import { DECISION_KINDS } from './decisions.js';
import { BODY_CASES, TIMELINE_FORMAT_VERSION } from './records.js';

const doc = readFileSync(new URL('../../../docs/timeline.md', import.meta.url), 'utf8');

function timelineMessages(): protobuf.Type[] {
  const root = new protobuf.Root();
  root.resolvePath = (_o, target) => (isAbsolute(target) ? target : join(protoDir(), target));
  root.loadSync(protoFile('timeline'), { keepCase: true });
  const ns = root.lookup('baton.v1') as protobuf.Namespace;
  // Only the messages timeline.proto itself declares; EventEnvelope is events.proto's and documented with it.
  return ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type && n.filename === protoFile('timeline'));
}

describe('docs/timeline.md', () => {
  test.each(timelineMessages().flatMap((type) => type.fieldsArray.map((f) => [type.name, f.name, f.id] as const)))(
    'documents %s.%s as field %i',
    (_type, name, id) => {
      const row = new RegExp(`^\\| \`${name}\` \\| ${id} \\|`, 'm');
      const bodyHeading = new RegExp(`^### \`${name}\` \\(${id}\\)`, 'm');
      expect(row.test(doc) || bodyHeading.test(doc)).toBe(true);
    },
  );

  test('has a section for every body case and names every decision kind', () => {
    for (const c of BODY_CASES) expect(doc).toMatch(new RegExp(`^### \`${c}\` \\(\\d+\\)`, 'm'));
    for (const kind of DECISION_KINDS) expect(doc).toContain(`\`${kind}\``);
  });

  test('describes the format version the kernel writes', () => {
    expect(doc).toMatch(new RegExp(`^\\| ${TIMELINE_FORMAT_VERSION} \\| this page \\|`, 'm'));
  });
});
