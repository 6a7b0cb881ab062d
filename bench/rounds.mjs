// How often the browser benchmarks measure a case, and the median they report
// (bench/browser.mjs, bench/export-page.mjs): rounds interleave chatkeep and the baseline,
// the first a warm-up; `BENCH_ROUNDS` sets the counted rounds.

/** Counted rounds and warm-up rounds for a file of `size` bytes (one round past 2 GB). */
export function rounds(size) {
  const asked = Number(process.env.BENCH_ROUNDS);
  if (size > 2 * 2 ** 30) return { counted: 1, warmUp: 0 };
  return { counted: asked > 0 ? asked : size < 200 * 2 ** 20 ? 5 : 3, warmUp: 1 };
}

/** The median of `xs` (numbers). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
