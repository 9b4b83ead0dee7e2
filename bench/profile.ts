/** Profiling driver: W3 at N=1e6 once (build + backward), then W1 for 30 steps. Use with node --cpu-prof. */
import { buildChain } from './w3lib';
import { loadW1, makeModel, step } from './w1lib';
import { now } from './util';

const what = process.argv[2] ?? 'all';
if (what !== 'w1') {
  for (let r = 0; r < 2; r++) {
    const t0 = now();
    const { y } = buildChain(1e6);
    const t1 = now();
    y.backward();
    console.log(`w3 build ${(t1 - t0).toFixed(0)} back ${(now() - t1).toFixed(0)}`);
  }
}
if (what !== 'w3') {
  const d = loadW1();
  const m = makeModel(d);
  const t0 = now();
  for (let s = 0; s < 30; s++) step(m, d);
  console.log(`w1 ${((now() - t0) / 30).toFixed(2)} ms/step`);
}
