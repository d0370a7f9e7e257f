// The sandbox conformance suite on the QuickJS worker-pool tier, with the compiled worker from dist/.
import { QuickJSTier } from '../../../internal/nodes/sandbox/quickjs/index.js';
import { describeSandboxConformance } from './suite.js';
import { quickjsWorkerUrl } from './worker-build.js';

const workerUrl = quickjsWorkerUrl();

/** Reaches the pool's workers the way a crash would: test plumbing only, the tier has no kill API. */
interface PoolInternals {
  slots: { worker: { terminate(): Promise<number> } }[];
}

describeSandboxConformance('quickjs', (opts) => {
  const tier = new QuickJSTier({ ...opts, workerUrl });
  return {
    tier,
    workers: () => tier.workers,
    maxWorkers: tier.maxWorkers,
    killWorker: () => {
      const slots = (tier as unknown as PoolInternals).slots;
      void slots[Math.floor(Math.random() * slots.length)]?.worker.terminate();
    },
  };
});
