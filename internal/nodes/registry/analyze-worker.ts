// The worker thread script analysis runs on: one request at a time from WorkerAnalyzer, answered with the result; it holds no state between requests.
import { parentPort } from 'node:worker_threads';
import { analyzeScript } from './analyze.js';
import type { AnalysisRequest } from './analyzer.js';

parentPort?.on('message', (request: AnalysisRequest) => {
  parentPort!.postMessage({ id: request.id, result: analyzeScript(request.kind, request.source, request.limits) });
});
