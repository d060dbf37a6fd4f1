// A small seeded PRNG for reproducible random weights in scripts: mulberry32
// (Tommy Ettinger's 32-bit generator, public domain) for uniforms and the
// Box–Muller transform for normals. Not for cryptography or statistics work.

/** Returns a generator of uniform floats in [0, 1), fully determined by `seed`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fill `out` with N(mean, std²) samples drawn from `uniform` by Box–Muller, two per pair of uniforms. */
export function fillNormal(out: Float32Array, uniform: () => number, mean: number, std: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform())); // 1 - u is in (0, 1]: log is finite
    const angle = 2 * Math.PI * uniform();
    out[i] = mean + std * radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = mean + std * radius * Math.sin(angle);
  }
}
