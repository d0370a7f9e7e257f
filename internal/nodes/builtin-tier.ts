// The built-in tier: SttNode, LlmNode and TtsNode implementations behind the node tier interface, unchanged in behaviour (budgets, evidence, provider policy, credits); it never runs a script.
import type { NodeSpec } from '../plan/types.js';
import { abortable, invoke } from './deadline.js';
import { utf8Bytes } from './invocation.js';
import type { NodeImpl, SttNode } from './node.js';
import { type ProviderGate, callProvider } from './provider-call.js';
import type { StageScope } from './scope.js';
import { openSpeaker } from './speaker.js';
import { type NodeRunner, type NodeTier, type TierRefusal, refusal } from './tier.js';

export class BuiltinTier implements NodeTier {
  constructor(
    private readonly impls: Readonly<Record<string, NodeImpl>>,
    private readonly providers: ProviderGate,
  ) {}

  resolve(node: Readonly<NodeSpec>): NodeRunner | TierRefusal | undefined {
    if (node.script !== undefined) return undefined;
    if (node.kind === 'custom') return refusal(node, 'not_found', `node ${node.id}: a custom node needs a script; no built-in is a custom node`);
    const name = node.builtin ?? '';
    const impl = Object.prototype.hasOwnProperty.call(this.impls, name) ? this.impls[name] : undefined;
    if (!impl) return refusal(node, 'not_found', `node ${node.id}: builtin ${JSON.stringify(name)} is not available in the in-process host`);
    if (impl.kind !== node.kind) return refusal(node, 'not_found', `node ${node.id}: builtin ${name} is a ${impl.kind} node, not ${node.kind}`);
    switch (impl.kind) {
      case 'stt':
        return { role: 'stt', node, transcribe: (audio, scope) => transcribe(scope, node, impl, audio) };
      case 'llm': {
        const stage = { node, impl };
        return { role: 'text', node, generate: (text, scope, onDelta) => callProvider(scope, this.providers, stage, text, onDelta) };
      }
      case 'tts': {
        const stage = { node, impl };
        return { role: 'tts', node, open: (scope) => openSpeaker(scope, stage) };
      }
    }
  }
}

async function transcribe(scope: StageScope, node: Readonly<NodeSpec>, impl: SttNode, audio: Uint8Array): Promise<string> {
  const work = scope.startWork(node);
  const inv = scope.openInvocation(node);
  inv.addInput(audio);
  let text: unknown;
  try {
    text = await abortable(
      invoke(() => impl.transcribe(audio, scope.nodeCall(node, scope.signal))),
      scope.signal,
    );
  } catch (err) {
    throw scope.nodeThrew(inv, err);
  } finally {
    work.done();
  }
  if (typeof text !== 'string') throw scope.protocolError(inv, 'transcript is not a string');
  inv.addOutput(utf8Bytes(text));
  scope.close(inv, 'ok');
  return text;
}
