/**
 * W3 benchmark: the deep chain at N = 1e5 and 1e6: build ms, backward ms, peak RSS.
 * Run: bash bench/run.sh w3 [repeats=7]   (or npx vite-node bench/w3.ts)
 * Prints medians and the best run (the machine is shared and noisy), and the
 * resident memory at the end of the first run of each N (when it peaks: the
 * graph and the gradients are alive; later runs add garbage the GC has not
 * returned yet). Checks dy/dx = 1.0001^N to 1e-9 relative.
 */
import { buildChain } from './w3lib';
import { median, now, rssMB, fmt } from './util';

const repeats = Number(process.argv[2] ?? 7);
for (const n of [1e5, 1e6]) {
  const build: number[] = [];
  const back: number[] = [];
  let rss = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = now();
    const { x, y } = buildChain(n);
    const t1 = now();
    y.backward();
    const t2 = now();
    if (r === 0) rss = rssMB();
    build.push(t1 - t0);
    back.push(t2 - t1);
    const g = x.grad!.item();
    const want = Math.pow(1.0001, n);
    const rel = Math.abs(g - want) / want;
    if (!(rel < 1e-9)) throw new Error(`W3 N=${n}: dy/dx = ${g}, want ${want} (rel err ${rel})`);
  }
  console.log(
    `W3 N=${n.toExponential(0)}: build ${fmt(median(build))} ms (best ${fmt(Math.min(...build))}), ` +
      `backward ${fmt(median(back))} ms (best ${fmt(Math.min(...back))}), RSS after the first run ${fmt(rss, 0)} MB\n` +
      `  build runs ${build.map((x) => fmt(x, 0)).join(' ')}; backward runs ${back.map((x) => fmt(x, 0)).join(' ')}`,
  );
}
