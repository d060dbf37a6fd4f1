// Row order of Llama q_proj/k_proj weights under the two RoPE conventions, following
// HF transformers `convert_llama_weights_to_hf.py` `permute` (also llama2.c export.py):
//   hf = meta.view(H, headDim/2, 2, cols).transpose(1, 2).reshape(rows, cols)
// Meta/llama2.c keeps each rotated pair (2i, 2i+1) adjacent ("interleaved" RoPE);
// HF puts the first halves of all pairs first, then the second halves ("rotate_half").
// H is n_heads for q_proj and n_kv_heads for k_proj.

/** Meta/llama2.c interleaved rows → HF rotate_half rows. `weight` is [rows, cols]. Returns a new array. */
export function permuteMetaToHf(weight: Float32Array, nHeads: number, cols: number): Float32Array {
  return permuteRows(weight, nHeads, cols, true);
}

/** HF rotate_half rows → Meta/llama2.c interleaved rows; the inverse of `permuteMetaToHf`. */
export function permuteHfToMeta(weight: Float32Array, nHeads: number, cols: number): Float32Array {
  return permuteRows(weight, nHeads, cols, false);
}

function permuteRows(weight: Float32Array, nHeads: number, cols: number, metaToHf: boolean): Float32Array {
  const rows = weight.length / cols;
  const headDim = rows / nHeads;
  if (!Number.isInteger(rows) || !Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new RangeError(`cannot permute ${weight.length} values as ${nHeads} heads of even size with ${cols} columns`);
  }
  const half = headDim / 2;
  const out = new Float32Array(weight.length);
  for (let head = 0; head < nHeads; head++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const metaRow = head * headDim + 2 * i + j; // pair i, element j, adjacent
        const hfRow = head * headDim + j * half + i; // element j of every pair grouped
        const [from, to] = metaToHf ? [metaRow, hfRow] : [hfRow, metaRow];
        out.set(weight.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}
