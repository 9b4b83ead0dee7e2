/**
 * One run of one workload by one JavaScript peer, in a fresh process (the
 * suite spawns it): node worker.js W2 tfjs-wasm '{"batch":256,...}'.
 * Prints its RunResult as one line starting with @@RESULT.
 */
import { runW1 } from './workloads/w1';
import { runW2Gradlab, runW2Tfjs } from './workloads/w2';
import { runW3 } from './workloads/w3';
import { runW4Gradlab } from './workloads/w4';
import type { RunResult } from './workloads/common';

export async function runJs(workload: string, peer: string, params: any): Promise<RunResult> {
  switch (`${workload}/${peer}`) {
    case 'W1/gradlab':
      return runW1(params);
    case 'W2/gradlab':
      return runW2Gradlab(params);
    case 'W2/tfjs-cpu':
      return runW2Tfjs(params, 'cpu');
    case 'W2/tfjs-wasm':
      return runW2Tfjs(params, 'wasm');
    case 'W3/gradlab':
      return runW3(params);
    case 'W4/gradlab':
      return runW4Gradlab(params);
  }
  throw new Error(`no JavaScript runner for ${workload} by ${peer}`);
}

if (typeof require !== 'undefined' && require.main === module) {
  const [workload, peer, json] = process.argv.slice(2);
  void runJs(workload, peer, JSON.parse(json ?? '{}'))
    .catch((e: unknown): RunResult => ({ ok: false, error: String((e as Error)?.stack ?? e).slice(0, 2000), metrics: {}, checks: [] }))
    .then((r) => {
      process.stdout.write(`@@RESULT ${JSON.stringify(r)}\n`);
      process.exit(0);
    });
}
