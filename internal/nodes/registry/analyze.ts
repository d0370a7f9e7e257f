// Static analysis of one script source, without executing it: syntax (acorn), the declarations-only module rules, imports and exports. It never looks at other scripts (linking is the store's job) and never throws.
import { type AnyNode, type Expression, type Identifier, type ImportDeclaration, type Literal, type Program, parse } from 'acorn';
import { SCRIPT_LIMITS, type ScriptKind } from './names.js';
import { capProblems, checkSource, type ScriptProblem } from './problems.js';

/** One import or re-export declaration. */
export interface ImportRef {
  readonly specifier: string;
  /** Export names taken from the target: `default`, a named export, or `*` for the namespace. */
  readonly names: readonly string[];
  readonly line: number;
  readonly column: number;
}

/** What an export is, as far as this source alone can tell; `import` is settled when the store links. */
export type ExportShape = { readonly kind: 'function' } | { readonly kind: 'constant' } | { readonly kind: 'import'; readonly specifier: string; readonly name: string };

export interface ScriptAnalysis {
  readonly kind: ScriptKind;
  /** In source order, one per declaration. */
  readonly imports: readonly ImportRef[];
  /** Distinct specifiers in order of first appearance. */
  readonly specifiers: readonly string[];
  readonly exports: ReadonlyMap<string, ExportShape>;
}

export type AnalysisResult = { ok: true; analysis: ScriptAnalysis } | { ok: false; problems: ScriptProblem[] };

export interface AnalysisLimits {
  sourceBytes: number;
  importsPerScript: number;
  problems: number;
}

const PARSE_OPTIONS = { ecmaVersion: 2023, sourceType: 'module', locations: true } as const;

/** Globals a constant may name: they are values, not objects with getters. */
const PRIMITIVE_GLOBALS = new Set(['undefined', 'NaN', 'Infinity']);

/** Operators that compare or negate without calling user code (no ToPrimitive on their operands). */
const NON_COERCING_UNARY = new Set(['!', 'typeof', 'void']);
const NON_COERCING_BINARY = new Set(['===', '!==']);

/** Why each expression that is not a constant runs code at load time. */
const NOT_CONSTANT: Readonly<Record<string, string>> = {
  CallExpression: 'a call runs code',
  NewExpression: '`new` runs a constructor',
  TaggedTemplateExpression: 'a tagged template is a call',
  MemberExpression: 'a property access can run a getter',
  ChainExpression: 'a property access can run a getter',
  AwaitExpression: 'top-level `await` runs code',
  ClassExpression: 'a class runs field initializers and static blocks',
  AssignmentExpression: 'an assignment is a side effect',
  UpdateExpression: '`++`/`--` is a side effect',
  SequenceExpression: 'a comma expression is not a constant',
  ThisExpression: '`this` is not a constant',
  ImportExpression: 'dynamic `import()` runs code',
  MetaProperty: '`import.meta` is host data, not a constant',
  YieldExpression: '`yield` runs code',
  SpreadElement: 'a spread runs an iterator or getters',
};

/** Names for the statement types a module may not have at its top level. */
const STATEMENT_NAMES: Readonly<Record<string, string>> = {
  ExpressionStatement: 'expression statement',
  BlockStatement: 'block',
  IfStatement: '`if`',
  ForStatement: '`for` loop',
  ForInStatement: '`for...in` loop',
  ForOfStatement: '`for...of` loop',
  WhileStatement: '`while` loop',
  DoWhileStatement: '`do...while` loop',
  SwitchStatement: '`switch`',
  TryStatement: '`try`',
  ThrowStatement: '`throw`',
  LabeledStatement: 'labeled statement',
  DebuggerStatement: '`debugger`',
};

interface Binding {
  readonly kind: 'function' | 'const' | 'import';
  /** Where the binding is initialized: reading a const before this offset is a temporal-dead-zone error at load. */
  readonly readyAt: number;
  readonly shape: ExportShape;
  /** For consts: whether the value is a primitive, set once its declarator has been checked. */
  primitive: boolean;
}

/**
 * Checks one source against every rule a stored script must keep and
 * collects what linking needs. Never throws: any input gives a result.
 *
 * Rules, for both kinds (node scripts are loaded the same way as modules):
 * the top level holds only `import`, `export`, `function` and `const`
 * declarations (plus empty statements and directives); `let`, `var`, classes
 * and top-level destructuring are refused; a const's initializer is a
 * constant expression (see `checkConstant`); `export * from` is refused
 * (re-export names explicitly); dynamic `import()` is refused anywhere. A
 * node script exports its handler function as `default`.
 */
export function analyzeScript(kind: ScriptKind, source: unknown, limits: AnalysisLimits = SCRIPT_LIMITS): AnalysisResult {
  const sourceProblems = checkSource(source, limits.sourceBytes);
  if (sourceProblems.length > 0) return { ok: false, problems: sourceProblems };
  const text = source as string;
  let program: Program;
  try {
    program = parse(text, PARSE_OPTIONS);
  } catch (err) {
    return { ok: false, problems: [parseProblem(err)] };
  }
  try {
    return new Analyzer(kind, program, limits).run();
  } catch (err) {
    // Only the stack can give out here (a source nested deeper than the walk can follow).
    if (err instanceof RangeError) return { ok: false, problems: [{ code: 'invalid_source', message: 'source is nested too deeply to analyse' }] };
    return { ok: false, problems: [{ code: 'invalid_source', message: `source could not be analysed: ${errorMessage(err)}` }] };
  }
}

function parseProblem(err: unknown): ScriptProblem {
  if (err instanceof RangeError) return { code: 'invalid_source', message: 'source is nested too deeply to parse' };
  const loc = (err as { loc?: { line?: unknown; column?: unknown } } | null)?.loc;
  // acorn appends "(line:column)" with a 0-based column; the problem carries its own 1-based position.
  const message = errorMessage(err).replace(/\s*\(\d+:\d+\)$/, '');
  if (loc && typeof loc.line === 'number' && typeof loc.column === 'number') {
    return { code: 'invalid_syntax', message: `syntax error: ${message}`, line: loc.line, column: loc.column + 1 };
  }
  return { code: 'invalid_syntax', message: `syntax error: ${message}` };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function nameOf(node: Identifier | Literal): string {
  return node.type === 'Identifier' ? node.name : String(node.value);
}

/** The export an import specifier takes from its module: `default`, `*` (the namespace) or a name. */
function importedName(s: ImportDeclaration['specifiers'][number]): string {
  return s.type === 'ImportDefaultSpecifier' ? 'default' : s.type === 'ImportNamespaceSpecifier' ? '*' : nameOf(s.imported);
}

class Analyzer {
  private readonly problems: ScriptProblem[] = [];
  private readonly bindings = new Map<string, Binding>();
  private readonly imports: ImportRef[] = [];
  private readonly exports = new Map<string, ExportShape>();
  private defaultAt: AnyNode | undefined;

  constructor(
    private readonly kind: ScriptKind,
    private readonly program: Program,
    private readonly limits: AnalysisLimits,
  ) {}

  run(): AnalysisResult {
    this.declare();
    for (const statement of this.program.body) this.check(statement);
    this.findDynamicImports();
    const specifiers = [...new Set(this.imports.map((ref) => ref.specifier))];
    if (specifiers.length > this.limits.importsPerScript) {
      this.problems.push({ code: 'invalid_module', message: `imports ${specifiers.length} modules, more than the ${this.limits.importsPerScript} a script may` });
    }
    if (this.kind === 'node') this.checkHandler();
    if (this.problems.length > 0) return { ok: false, problems: this.sortedProblems() };
    return { ok: true, analysis: { kind: this.kind, imports: this.imports, specifiers, exports: this.exports } };
  }

  /** Pass 1: every top-level binding, so a constant can name a function declared further down (functions are hoisted). */
  private declare(): void {
    for (const statement of this.program.body) {
      const declaration =
        statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
      if (!declaration) continue;
      if (declaration.type === 'FunctionDeclaration' && declaration.id) {
        this.bindings.set(declaration.id.name, { kind: 'function', readyAt: 0, shape: { kind: 'function' }, primitive: false });
      } else if (declaration.type === 'VariableDeclaration' && declaration.kind === 'const') {
        for (const declarator of declaration.declarations) {
          if (declarator.id.type !== 'Identifier') continue;
          const init = declarator.init;
          const isFunction = init?.type === 'FunctionExpression' || init?.type === 'ArrowFunctionExpression';
          this.bindings.set(declarator.id.name, { kind: 'const', readyAt: declarator.end, shape: { kind: isFunction ? 'function' : 'constant' }, primitive: false });
        }
      } else if (declaration.type === 'ImportDeclaration') {
        const specifier = String(declaration.source.value);
        for (const s of declaration.specifiers) {
          this.bindings.set(s.local.name, { kind: 'import', readyAt: 0, shape: { kind: 'import', specifier, name: importedName(s) }, primitive: false });
        }
      }
    }
  }

  /** Pass 2: one top-level statement. */
  private check(statement: Program['body'][number]): void {
    switch (statement.type) {
      case 'ImportDeclaration': {
        this.addImport(String(statement.source.value), statement.specifiers.map(importedName), statement);
        return;
      }
      case 'ExportNamedDeclaration':
        if (statement.declaration) {
          this.checkDeclaration(statement.declaration, true);
          return;
        }
        if (statement.source) {
          const specifier = String(statement.source.value);
          this.addImport(specifier, statement.specifiers.map((s) => nameOf(s.local)), statement);
          for (const s of statement.specifiers) this.exports.set(nameOf(s.exported), { kind: 'import', specifier, name: nameOf(s.local) });
          return;
        }
        for (const s of statement.specifiers) {
          const local = nameOf(s.local);
          // acorn has already refused exports of undeclared names.
          const shape = this.bindings.get(local)?.shape ?? { kind: 'constant' };
          this.exports.set(nameOf(s.exported), shape);
          if (nameOf(s.exported) === 'default') this.defaultAt = s;
        }
        return;
      case 'ExportAllDeclaration': {
        const specifier = String(statement.source.value);
        if (!statement.exported) {
          this.problem(statement, `\`export * from ${JSON.stringify(specifier)}\` hides which names this module exports: list them, as in export { a, b } from ${JSON.stringify(specifier)}`);
          return;
        }
        this.addImport(specifier, ['*'], statement);
        this.exports.set(nameOf(statement.exported), { kind: 'import', specifier, name: '*' });
        return;
      }
      case 'ExportDefaultDeclaration': {
        this.defaultAt = statement;
        const declaration = statement.declaration;
        if (declaration.type === 'FunctionDeclaration') {
          this.exports.set('default', { kind: 'function' });
        } else if (declaration.type === 'ClassDeclaration') {
          this.problem(declaration, 'a class runs field initializers and static blocks when the module loads (export functions and constants)');
        } else {
          this.checkConstant(declaration, 'the default export');
          this.exports.set('default', this.shapeOf(declaration));
        }
        return;
      }
      case 'FunctionDeclaration':
      case 'VariableDeclaration':
      case 'ClassDeclaration':
        this.checkDeclaration(statement, false);
        return;
      case 'EmptyStatement':
        return;
      case 'ExpressionStatement':
        if (statement.directive !== undefined) return;
        break;
      default:
        break;
    }
    const what = STATEMENT_NAMES[statement.type] ?? statement.type;
    this.problem(statement, `a top-level ${what} runs code when the module loads (only import, export, function and const declarations may appear at the top level)`);
  }

  private checkDeclaration(declaration: AnyNode, exported: boolean): void {
    if (declaration.type === 'FunctionDeclaration') {
      if (exported && declaration.id) this.exports.set(declaration.id.name, { kind: 'function' });
      return;
    }
    if (declaration.type === 'ClassDeclaration') {
      this.problem(declaration, 'a class runs field initializers and static blocks when the module loads (export functions and constants)');
      return;
    }
    if (declaration.type !== 'VariableDeclaration') return;
    if (declaration.kind !== 'const') {
      const which = exported ? `an exported \`${declaration.kind}\`` : `\`${declaration.kind}\``;
      this.problem(declaration, `${which} is module-level mutable state: declare it with const (state that must change between calls lives in baton:state)`);
      return;
    }
    for (const declarator of declaration.declarations) {
      if (declarator.id.type !== 'Identifier') {
        this.problem(declarator.id, 'top-level destructuring runs iterators and getters when the module loads: declare each constant by name');
        continue;
      }
      const name = declarator.id.name;
      if (declarator.init) {
        const ok = this.checkConstant(declarator.init, `const ${name}`);
        const binding = this.bindings.get(name);
        if (binding && ok) binding.primitive = this.isPrimitive(declarator.init);
      }
      if (exported) this.exports.set(name, this.bindings.get(name)?.shape ?? { kind: 'constant' });
    }
  }

  /**
   * A constant expression can be evaluated without running any code the
   * script wrote and without reading anything but literals and this module's
   * own declarations and imports: literals, functions (not called), arrays and
   * object literals of constants (no spread, no computed keys other than
   * literals; methods and accessors are allowed since defining them runs
   * nothing), `!`, `typeof`, `void`, `===`, `!==`, `&&`, `||`, `??` and `?:`
   * over constants, and the other arithmetic, comparison, bitwise and
   * template operators over primitive constants only (an object there would
   * have its `valueOf`/`toString` called). Calls, `new`, property access,
   * `await`, classes, assignments, `this`, `in` and `instanceof` are not
   * constants. Returns whether the expression is one; problems are recorded.
   */
  private checkConstant(node: AnyNode, owner: string): boolean {
    const before = this.problems.length;
    this.expression(node, false, owner, this.problems);
    return this.problems.length === before;
  }

  /** Whether a (valid) constant is also a primitive one, so operators may take it. */
  private isPrimitive(node: AnyNode): boolean {
    const scratch: ScriptProblem[] = [];
    this.expression(node, true, '', scratch);
    return scratch.length === 0;
  }

  /** Records in `out` why `node` is not a constant (a primitive one when `primitive`). */
  private expression(node: AnyNode, primitive: boolean, owner: string, out: ScriptProblem[]): void {
    switch (node.type) {
      case 'Literal':
        if (primitive && node.regex) this.problem(node, `${owner}: a regular expression is an object, and an operator would call its toString`, out);
        return;
      case 'TemplateLiteral':
        for (const part of node.expressions) this.expression(part, true, owner, out);
        return;
      case 'Identifier':
        this.identifier(node, primitive, owner, out);
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (primitive) this.problem(node, `${owner}: a function is an object, and an operator would call its toString`, out);
        return;
      case 'ArrayExpression':
      case 'ObjectExpression':
        if (primitive) {
          this.problem(node, `${owner}: an ${node.type === 'ArrayExpression' ? 'array' : 'object'} in an operator would have its valueOf/toString called`, out);
          return;
        }
        if (node.type === 'ArrayExpression') {
          for (const element of node.elements) if (element) this.expression(element, false, owner, out);
          return;
        }
        for (const property of node.properties) {
          if (property.type === 'SpreadElement') {
            this.expression(property, false, owner, out);
            continue;
          }
          if (property.computed && property.key.type !== 'Literal') {
            this.problem(property.key, `${owner}: a computed key runs code: write the key literally`, out);
          }
          if (property.kind === 'init' && !property.method) this.expression(property.value, false, owner, out);
        }
        return;
      case 'UnaryExpression':
        if (node.operator === 'delete') {
          this.problem(node, `${owner}: \`delete\` is a side effect`, out);
          return;
        }
        this.expression(node.argument, !NON_COERCING_UNARY.has(node.operator), owner, out);
        return;
      case 'BinaryExpression':
        if (node.operator === 'in' || node.operator === 'instanceof') {
          this.problem(node, `${owner}: \`${node.operator}\` can run code (proxies, Symbol.hasInstance)`, out);
          return;
        }
        if (node.left.type === 'PrivateIdentifier') {
          this.problem(node.left, `${owner}: a private name is not a constant`, out);
        } else {
          this.expression(node.left, !NON_COERCING_BINARY.has(node.operator), owner, out);
        }
        this.expression(node.right, !NON_COERCING_BINARY.has(node.operator), owner, out);
        return;
      case 'LogicalExpression':
        this.expression(node.left, primitive, owner, out);
        this.expression(node.right, primitive, owner, out);
        return;
      case 'ConditionalExpression':
        this.expression(node.test, false, owner, out);
        this.expression(node.consequent, primitive, owner, out);
        this.expression(node.alternate, primitive, owner, out);
        return;
      case 'ParenthesizedExpression':
        this.expression(node.expression, primitive, owner, out);
        return;
      default: {
        const why = NOT_CONSTANT[node.type] ?? `${node.type} is not a constant`;
        this.problem(node, `${owner}: ${why} when the module loads (a constant is a literal, a function, or built from this module's constants)`, out);
      }
    }
  }

  private identifier(node: Identifier, primitive: boolean, owner: string, out: ScriptProblem[]): void {
    const binding = this.bindings.get(node.name);
    if (!binding) {
      if (PRIMITIVE_GLOBALS.has(node.name)) return;
      this.problem(node, `${owner}: \`${node.name}\` is not declared in this module (a constant may name only this module's declarations and imports)`, out);
      return;
    }
    if (binding.kind === 'const' && binding.readyAt > node.start) {
      this.problem(node, `${owner}: \`${node.name}\` is used before its declaration (it is not initialized yet when this runs)`, out);
      return;
    }
    if (primitive && !(binding.kind === 'const' && binding.primitive)) {
      this.problem(node, `${owner}: \`${node.name}\` is not a primitive constant of this module (operators other than !, typeof, void, ===, !==, &&, || and ?? take only those)`, out);
    }
  }

  private shapeOf(node: Expression): ExportShape {
    if (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') return { kind: 'function' };
    if (node.type === 'Identifier') return this.bindings.get(node.name)?.shape ?? { kind: 'constant' };
    return { kind: 'constant' };
  }

  private addImport(specifier: string, names: string[], at: AnyNode): void {
    const loc = at.loc!.start;
    this.imports.push({ specifier, names, line: loc.line, column: loc.column + 1 });
  }

  /** Dynamic import() anywhere, function bodies included: it would load code past linking and tenancy. Walks without recursion. */
  private findDynamicImports(): void {
    const stack: unknown[] = [this.program];
    while (stack.length > 0) {
      const item = stack.pop();
      if (Array.isArray(item)) {
        for (const child of item) stack.push(child);
        continue;
      }
      if (typeof item !== 'object' || item === null || typeof (item as { type?: unknown }).type !== 'string') continue;
      const node = item as AnyNode;
      if (node.type === 'ImportExpression') {
        this.problem(node, 'dynamic `import()` is not allowed: import modules statically, so they resolve within the tenant');
      }
      for (const [key, value] of Object.entries(node)) {
        if (key !== 'loc' && typeof value === 'object' && value !== null) stack.push(value);
      }
    }
  }

  private checkHandler(): void {
    const handler = this.exports.get('default');
    if (!handler) {
      this.problems.push({ code: 'invalid_module', message: 'a node script exports its handler as default: export default function handle(input, ctx) { ... }' });
    } else if (handler.kind === 'constant') {
      this.problem(this.defaultAt ?? this.program, 'the default export of a node script must be its handler function, not a constant');
    }
  }

  private problem(node: AnyNode, message: string, out: ScriptProblem[] = this.problems): void {
    const loc = node.loc?.start;
    out.push(loc ? { code: 'invalid_module', message, line: loc.line, column: loc.column + 1 } : { code: 'invalid_module', message });
  }

  /** Whole-source problems first, then by position; capped, with the rest counted. */
  private sortedProblems(): ScriptProblem[] {
    const sorted = [...this.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    return capProblems(sorted, this.limits.problems);
  }
}
