// The Pipelines and Scripts control plane (DESIGN 5.2, 10, 11;
// docs/control-plane.md) from Debian's python3-grpcio against a real kernel
// process: a pipeline published over gRPC is opened by the same tenant and
// runs a turn to commit on a python3-websockets gateway; scripts are stored,
// read, refused and deleted. The scenario in py/pipelines_scenarios.py runs
// once and prints its observations; each test below asserts one behaviour.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEV_KEY, type KernelProcess, runPython, startKernel } from './harness.js';

const OTHER_KEY = 'other-tenant-key-0123456789';
const REPLY = 'the published pipeline answers';

type Status = { status: string; details: string };
interface Version {
  status: string;
  name: string;
  version: string;
  hash: string;
}
interface ScriptVersion {
  status: string;
  name: string;
  hash: string;
  imports: string[];
}

interface Observations {
  publish: Version;
  republish: Version;
  get: { version: Version; reply: string; edges: string[][]; active_ms: number };
  list: string[][];
  invalid: Status;
  no_nodes: Status;
  many_problems: Status;
  reserved: Status;
  get_missing_version: Status;
  bad_token: Status;
  other_tenant: { get: string; open: string; list: string[] };
  unauthenticated: Record<string, string>;
  deadline: string;
  session: TurnRun;
  scripted_publish: { status: string; name: string; version: string; hash: string };
  scripted_turn: TurnRun;
  put_module: ScriptVersion;
  put_node: ScriptVersion;
  expected_hashes: Record<string, string>;
  get_script: { kind: string; source_matches: boolean; version: ScriptVersion };
  list_scripts: string[];
  syntax_error: Status;
  side_effect: Status;
  unknown_reserved: Status;
  delete_imported: Status;
  other_tenant_scripts: { get: string; delete: string; import: Status };
  scripts_unauthenticated: string;
  delete_node: { deleted: boolean };
  delete_module: { deleted: boolean };
  delete_again: string;
}

/** One session and one turn as the Python gateway saw it (run_turn in pipelines_scenarios.py). */
interface TurnRun {
  started: { pipeline: string; pipeline_version: string };
  decision: { outcome: string; turn_id: string; plan_hash: string };
  lifecycle: string[];
  committed: { generated_ms: number; played_ms: number } | null;
  aborted: { reason: string; played_ms: number } | null;
  assistant: string[];
  closed: boolean;
}

describe('gRPC Pipelines and Scripts with a Python grpcio client against a real kernel', () => {
  let kernel: KernelProcess;
  let seen: Observations;

  beforeAll(async () => {
    kernel = await startKernel([], { BATON_TENANTS: `other:${OTHER_KEY}` });
    seen = runPython<Observations>('pipelines_scenarios.py', [kernel.http, kernel.grpc, DEV_KEY, OTHER_KEY], 100_000);
  });

  afterAll(async () => {
    await kernel?.stop();
  });

  test('PublishPipeline answers name, version "1" and a 64-hex hash; republishing the same spec answers the same version', () => {
    expect(seen.publish).toMatchObject({ status: 'OK', name: 'greeter', version: '1' });
    expect(seen.publish.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(seen.republish).toEqual(seen.publish);
  });

  test('GetPipeline returns the published spec and ListPipelines shows it beside the embedded pipelines', () => {
    expect(seen.get).toEqual({
      version: seen.publish,
      reply: REPLY,
      edges: [
        ['stt', 'llm'],
        ['llm', 'tts'],
      ],
      active_ms: 20000,
    });
    expect(seen.list).toEqual([
      ['demo', '1'],
      ['greeter', '1'],
      ['scripted', '1'],
      ['voice', '1'],
    ]);
  });

  test('an invalid spec is INVALID_ARGUMENT listing every problem; one with hundreds still arrives, bounded', () => {
    expect(seen.invalid.status).toBe('INVALID_ARGUMENT');
    expect(seen.invalid.details).toBe(
      'invalid pipeline spec (3 problems): nodes[0].kind: unknown node kind "robot" (expected one of vad, stt, llm, tts, custom); edges[2].to: unknown node "ghost"; edges: cycle b -> c -> b',
    );
    expect(seen.no_nodes).toEqual({ status: 'INVALID_ARGUMENT', details: 'invalid pipeline spec (1 problem): nodes: a pipeline needs at least one node' });
    expect(seen.many_problems.status).toBe('INVALID_ARGUMENT');
    expect(seen.many_problems.details).toMatch(/^invalid pipeline spec \(250 problems\): nodes\[0\]\.kind: .*; and \d+ more problems$/);
  });

  test('an embedded name is PERMISSION_DENIED; an unknown version NOT_FOUND; a forged page token INVALID_ARGUMENT', () => {
    expect(seen.reserved).toEqual({ status: 'PERMISSION_DENIED', details: 'name: "demo" is an embedded pipeline\'s name, which tenants cannot publish over' });
    expect(seen.get_missing_version).toEqual({ status: 'NOT_FOUND', details: 'pipeline "greeter" has no version 9 (kept: 1)' });
    expect(seen.bad_token).toEqual({ status: 'INVALID_ARGUMENT', details: 'page_token: not a token this server issued' });
  });

  test('another tenant neither sees nor opens the pipeline; calls without a key are UNAUTHENTICATED; a passed deadline is DEADLINE_EXCEEDED', () => {
    expect(seen.other_tenant).toEqual({ get: 'NOT_FOUND', open: 'NOT_FOUND', list: ['demo', 'scripted', 'voice'] });
    expect(seen.unauthenticated).toEqual({ publish: 'UNAUTHENTICATED', get: 'UNAUTHENTICATED', list: 'UNAUTHENTICATED' });
    expect(seen.deadline).toBe('DEADLINE_EXCEEDED');
  });

  test('OpenSession on the published pipeline runs it: session.started names greeter v1 and a turn commits with its reply', () => {
    expect(seen.session.started).toEqual({ pipeline: 'greeter', pipeline_version: '1' });
    expect(seen.session.decision.outcome).toBe('TURN_OUTCOME_OPENED');
    expect(seen.session.decision.plan_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(seen.session.lifecycle).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    expect(seen.session.committed!.generated_ms).toBeGreaterThan(0);
    expect(seen.session.committed!.played_ms).toBe(seen.session.committed!.generated_ms);
    expect(seen.session.assistant).toEqual([REPLY]);
    expect(seen.session.closed).toBe(true);
  });

  test('PutScript stores a module and a node script: ScriptVersion carries the SHA-256 of the source and the resolved imports', () => {
    expect(seen.put_module).toEqual({ status: 'OK', name: 'lib/text', hash: seen.expected_hashes['lib/text'], imports: [] });
    expect(seen.put_node).toEqual({ status: 'OK', name: 'greeter', hash: seen.expected_hashes['greeter'], imports: ['baton:host', 'lib/text'] });
    expect(seen.get_script).toEqual({ kind: 'SCRIPT_KIND_NODE', source_matches: true, version: seen.put_node });
    // The tenant's own scripts beside the embedded defaults every tenant has (docs/control-plane.md).
    expect(seen.list_scripts).toEqual(['bot/rules', 'defaults/text', 'greeter', 'lib/text', 'redact/pii']);
    expect(createHash('sha256').update("export function upper(s) { return s.toUpperCase(); }\nexport const GREETING = 'hello';").digest('hex')).toBe(
      seen.expected_hashes['lib/text'],
    );
  });

  test('a pipeline running the stored node script commits a turn whose reply the script computed (QuickJS, with its module)', () => {
    expect(seen.scripted_publish).toMatchObject({ status: 'OK', name: 'scripted-greeter', version: '1' });
    expect(seen.scripted_turn.decision.outcome).toBe('TURN_OUTCOME_OPENED');
    expect(seen.scripted_turn.lifecycle).toEqual(['turn.opened', 'turn.active', 'turn.committed', 'turn.closed']);
    expect(seen.scripted_turn.assistant).toEqual(['HELLO WORLD']);
  });

  test('a syntax error names line:column; side effects and an unknown baton: module are INVALID_ARGUMENT', () => {
    expect(seen.syntax_error).toEqual({ status: 'INVALID_ARGUMENT', details: 'script "bad" refused (1 problem): 2:18: syntax error: Unexpected token' });
    expect(seen.side_effect.status).toBe('INVALID_ARGUMENT');
    expect(seen.side_effect.details).toMatch(/^script "bad" refused \(2 problems\): 1:1: `let` is module-level mutable state.*; 2:1: a top-level expression statement runs code/);
    expect(seen.unknown_reserved.status).toBe('INVALID_ARGUMENT');
    expect(seen.unknown_reserved.details).toContain('"baton:net" is not a reserved module');
  });

  test('DeleteScript of an imported module is FAILED_PRECONDITION naming its importer; other tenants get NOT_FOUND and cannot import it', () => {
    expect(seen.delete_imported).toEqual({ status: 'FAILED_PRECONDITION', details: 'module "lib/text" is imported by "greeter" (change or delete them first)' });
    expect(seen.other_tenant_scripts.get).toBe('NOT_FOUND');
    expect(seen.other_tenant_scripts.delete).toBe('NOT_FOUND');
    expect(seen.other_tenant_scripts.import.status).toBe('INVALID_ARGUMENT');
    expect(seen.other_tenant_scripts.import.details).toContain('no module "lib/text" in this tenant\'s scripts');
    expect(seen.scripts_unauthenticated).toBe('UNAUTHENTICATED');
  });

  test('once its importer is gone the module deletes; deleting it again is NOT_FOUND', () => {
    expect(seen.delete_node).toEqual({ deleted: true });
    expect(seen.delete_module).toEqual({ deleted: true });
    expect(seen.delete_again).toBe('NOT_FOUND');
  });
});
