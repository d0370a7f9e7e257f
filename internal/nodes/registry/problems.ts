// The script registry's problem vocabulary and the checks of a source as bytes (size, encoding); it knows nothing of JavaScript.
import { SCRIPT_LIMITS } from './names.js';

/** What a problem is about; one vocabulary for analysis and the store, each code mapping to one status. */
export type ScriptProblemCode =
  /** The request itself: a name or kind the store does not accept. */
  | 'invalid_name'
  | 'invalid_kind'
  /** Not a source the store accepts at all: size, encoding, nesting. */
  | 'invalid_source'
  /** acorn could not parse it as an ES module. */
  | 'invalid_syntax'
  /** It parses but breaks a rule of stored scripts (declarations only, a node's handler). */
  | 'invalid_module'
  /** An import names nothing this tenant has, or something it cannot import. */
  | 'unresolved_import'
  | 'import_cycle'
  | 'import_too_deep'
  /** The tenant has no script of that name. */
  | 'not_found'
  /** Other scripts depend on it as it is: deleting or changing it would break them. */
  | 'in_use'
  /** The tenant's script count or byte cap. */
  | 'quota_exceeded'
  /** The analyzer could not take or finish the source now (queue full, time or memory exhausted). */
  | 'analysis_unavailable';

export interface ScriptProblem {
  readonly code: ScriptProblemCode;
  readonly message: string;
  /** 1-based line and column of the construct at fault; absent for problems of the whole source. */
  readonly line?: number;
  readonly column?: number;
}

/**
 * Size and encoding. U+FFFD is refused because gRPC decodes invalid UTF-8 in
 * a string field to it: refusing it is how a client that sent bytes that are
 * not UTF-8 learns so, instead of having a silently altered source stored. A
 * source that needs the character writes the escape `\uFFFD`.
 */
export function checkSource(source: unknown, maxBytes: number = SCRIPT_LIMITS.sourceBytes): ScriptProblem[] {
  if (typeof source !== 'string') return [{ code: 'invalid_source', message: 'source: must be a string' }];
  if (source.length === 0) return [{ code: 'invalid_source', message: 'source: required' }];
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > maxBytes) return [{ code: 'invalid_source', message: `source: ${bytes} bytes, more than the ${maxBytes} a script may have` }];
  const problems: ScriptProblem[] = [];
  const lone = /[\uD800-\uDFFF]/u.exec(source);
  if (lone) problems.push({ code: 'invalid_source', message: 'source: not valid UTF-8 (an unpaired surrogate)', ...position(source, lone.index) });
  const replacement = source.indexOf('\uFFFD');
  if (replacement >= 0) {
    problems.push({
      code: 'invalid_source',
      message: 'source: contains U+FFFD, which is what bytes that are not UTF-8 decode to (send UTF-8, or write the escape \\uFFFD)',
      ...position(source, replacement),
    });
  }
  return problems;
}

/** 1-based line and column of a UTF-16 offset, counting lines the way acorn does. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const breaks = /\r\n?|[\n\u2028\u2029]/g;
  let match: RegExpExecArray | null;
  while ((match = breaks.exec(text)) !== null && match.index < offset) {
    line += 1;
    lineStart = match.index + match[0].length;
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first `max` problems, and one more saying how many were left out. */
export function capProblems(problems: ScriptProblem[], max: number): ScriptProblem[] {
  if (problems.length <= max) return problems;
  const kept = problems.slice(0, max);
  kept.push({ code: problems[max]!.code, message: `and ${problems.length - max} more problems` });
  return kept;
}

/** `line:column: message`, or the message alone. */
export function formatProblem(problem: ScriptProblem): string {
  return problem.line !== undefined ? `${problem.line}:${problem.column ?? 1}: ${problem.message}` : problem.message;
}
