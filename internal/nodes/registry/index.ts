// The script registry's public face: names and limits, source analysis, the layered per-tenant store the control plane writes and plan freeze reads, the embedded defaults and the watched directory; it adds no behaviour of its own.
export {
  RESERVED_MODULES,
  RESERVED_PREFIX,
  SCRIPT_KINDS,
  SCRIPT_LIMITS,
  SCRIPT_NAME_PATTERN,
  isReservedSpecifier,
  scriptNameProblems,
  type ScriptKind,
  type ScriptLimits,
} from './names.js';
export { analyzeScript, type AnalysisLimits, type AnalysisResult, type ExportShape, type ImportRef, type ScriptAnalysis } from './analyze.js';
export { capProblems, checkSource, formatProblem, type ScriptProblem, type ScriptProblemCode } from './problems.js';
export { InlineAnalyzer, WORKER_ANALYZER_DEFAULTS, WorkerAnalyzer, type ScriptAnalyzer, type WorkerAnalyzerOptions } from './analyzer.js';
export {
  ScriptRegistry,
  type DirectoryResult,
  type LinkedSources,
  type RegistryLayers,
  type ScriptOrigin,
  type ScriptPin,
  type DeleteResult,
  type ExportKind,
  type PutRequest,
  type PutResult,
  type ScriptError,
  type ScriptListRequest,
  type ScriptListResult,
  type StoredScript,
} from './store.js';
export { KIND_DIRS, embeddedScripts, listScripts, locateEmbeddedDir, scriptAt, scriptPath, type EmbeddedScript, type LaidOutScript } from './layout.js';
export { SCRIPTS_DIRECTORY_DEFAULTS, ScriptsDirectory, type DirectoryLog, type ScriptsDirectoryOptions } from './directory.js';
export { extractEmbedded, type ExtractResult } from './extract.js';
export { openScriptSources, type ScriptSources, type ScriptSourcesOptions } from './sources.js';
