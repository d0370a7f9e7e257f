// baton:provider call(binding, request) for a script node: grants only the bindings its NodeSpec names, parses the request, and answers through the provider policy (retries, seeded jitter, fallbacks, budget); it never runs the script.
import type { NodeSpec } from '../plan/types.js';
import type { LlmNode } from './node.js';
import { type ProviderGate, callBindings } from './provider-call.js';
import { bindingChain } from './provider-policy.js';
import { GraphStop, type StageScope } from './scope.js';
import type { NodeErrorCode, ProviderOutcome } from './types.js';

/**
 * What a host call answers the script when it is refused or fails: a code from
 * the DESIGN 11 taxonomies and a message, never a host stack trace.
 */
export class HostCallError extends Error {
  constructor(
    readonly code: NodeErrorCode | ProviderOutcome,
    message: string,
  ) {
    super(message);
    this.name = 'HostCallError';
    this.stack = `${this.name}: ${message}`;
  }
}

/** `{messages: [{role, content}], max_tokens?}` (DESIGN 11.1, the openai_compatible request shape). */
export interface ChatRequest {
  readonly messages: readonly { readonly role: 'system' | 'user' | 'assistant'; readonly content: string }[];
  readonly max_tokens?: number;
}

const MAX_MESSAGES = 256;
const ROLES = new Set(['system', 'user', 'assistant']);

export function parseChatRequest(request: unknown): { ok: true; request: ChatRequest } | { ok: false; message: string } {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return { ok: false, message: 'the request must be an object {messages, max_tokens?}' };
  const { messages, max_tokens } = request as Record<string, unknown>;
  if (!Array.isArray(messages) || messages.length === 0) return { ok: false, message: 'request.messages must be a non-empty list' };
  if (messages.length > MAX_MESSAGES) return { ok: false, message: `request.messages holds at most ${MAX_MESSAGES} messages` };
  const clean: { role: 'system' | 'user' | 'assistant'; content: string }[] = [];
  for (const [i, message] of messages.entries()) {
    const { role, content } = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.has(role) || typeof content !== 'string') {
      return { ok: false, message: `request.messages[${i}] must be {role: "system"|"user"|"assistant", content: string}` };
    }
    clean.push({ role: role as 'system' | 'user' | 'assistant', content });
  }
  if (max_tokens !== undefined && (typeof max_tokens !== 'number' || !Number.isSafeInteger(max_tokens) || max_tokens <= 0)) {
    return { ok: false, message: 'request.max_tokens must be a positive integer' };
  }
  return { ok: true, request: max_tokens === undefined ? { messages: clean } : { messages: clean, max_tokens } };
}

/** Names of the bindings `node` may call: its `provider` and that binding's fallbacks, nothing else. */
export function grantedBindings(node: Readonly<NodeSpec>, scope: StageScope): string[] {
  const chain = bindingChain(node, scope.ctx.plan.providers);
  if (!chain.ok) return [];
  return chain.steps.flatMap((step) => (step.binding ? [step.binding.name] : []));
}

export interface ScriptProviderCall {
  readonly node: Readonly<NodeSpec>;
  readonly gate: ProviderGate;
  /** Provider adapters by binding kind. */
  readonly adapters: Readonly<Record<string, LlmNode>>;
  /** A refused binding: the caller logs and counts the security event. */
  onViolation(binding: string): void;
}

/**
 * Calls `binding` for the script. A binding the node's spec does not name is
 * refused `security_violation` before anything else is looked at. A granted
 * binding walks from itself along the node's chain (so a fallback is tried
 * only if the node names it), skipping bindings this host has no adapter
 * for. The mock adapter answers the last user message; the answer is
 * `{text}`. A provider failure reaches the script as a HostCallError with the
 * provider outcome; the turn fails only if the script lets it escape.
 */
export async function callProviderForScript(scope: StageScope, call: ScriptProviderCall, binding: unknown, request: unknown): Promise<{ text: string }> {
  const granted = grantedBindings(call.node, scope);
  const name = typeof binding === 'string' ? binding : '';
  const from = granted.indexOf(name);
  if (from < 0) {
    call.onViolation(typeof binding === 'string' ? binding.slice(0, 128) : `(${typeof binding})`);
    throw new HostCallError('security_violation', `node ${call.node.id} may not call provider binding ${JSON.stringify(name)}: it may call only ${granted.length > 0 ? granted.join(', ') : 'no binding'}`);
  }
  const parsed = parseChatRequest(request);
  if (!parsed.ok) throw new HostCallError('bad_request', parsed.message);
  const chain = bindingChain(call.node, scope.ctx.plan.providers);
  const steps = (chain.ok ? chain.steps.slice(from) : []).filter((step) => step.binding !== undefined && hasOwn(call.adapters, step.binding.kind));
  if (steps.length === 0) throw new HostCallError('not_found', `no provider adapter in this host for binding ${name} or its fallbacks`);
  const user = [...parsed.request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  let text = '';
  try {
    await callBindings(
      scope,
      call.gate,
      { node: call.node, steps, implFor: (step) => call.adapters[step!.kind]!, evidenceKind: `provider:${name}` },
      user,
      (delta) => {
        text += delta;
      },
    );
  } catch (err) {
    if (err instanceof GraphStop) throw new HostCallError(err.failure.code, err.failure.message);
    throw err;
  }
  return { text };
}

function hasOwn(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}
