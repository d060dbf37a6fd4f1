// `lmscope quantize`: write a model as a GGUF file (llama.cpp's format) in one of
// llama.cpp's quantization mixes, with llama-quantize's per-tensor rules and fallbacks
// (io/llama-quant-rules.ts), readable by lmscope and by llama.cpp.

import type { Command } from "../command.js";
import { OptionError } from "../../errors.js";
import { writeGguf } from "../../io/gguf.js";
import { GGUF_OUTPUT_TYPES, GGUF_WRITABLE_MODEL_TYPES, modelToGguf, type GgufOutputType } from "../../io/gguf-convert.js";
import { parseCommandLine, requiredString } from "../options.js";
import { resolveModelArgument } from "../model-argument.js";

const usage = `usage: lmscope quantize --type <mix> <model> <out.gguf>

Writes <model> as a GGUF file in one of llama.cpp's quantization mixes, choosing each
tensor's type as llama-quantize does (no importance matrix):

  q4_k_m   Q4_K, with Q6_K for the output head and for attn_v / ffn_down in about
           half the layers (the usual "recommended" download)
  q5_k_m   Q5_K, the same Q6_K bumps
  q3_k_m   Q3_K, attn_v Q5_K/Q4_K, attn_output and ffn_down Q4_K
  q2_k     Q2_K, attn_v / attn_output / ffn_down Q3_K
  q6_k     Q6_K
  iq4_xs   IQ4_XS (non-linear 4-bit levels)   iq4_nl   IQ4_NL
  q8_0 q4_0 q4_1 q5_0 q5_1                      the 32-weight formats (output head Q6_K,
                                                except in q8_0)
  f16 f32                                       no quantization

Norms, biases and the position embedding stay f32. A matrix whose rows do not split
into the type's blocks falls back as llama.cpp does (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0,
Q2_K/Q3_K→Q4_0, IQ4_XS→IQ4_NL; f16 when even that does not fit). Tensor names,
hyperparameters and the tokenizer are written as llama.cpp's convert_hf_to_gguf.py
writes them for each architecture.

  <model>      Hugging Face folder, llama2.c .bin file / folder, a GGUF file
               (dequantized, then stored in the new mix), or a hub id (org/name);
               Hugging Face model_types written: ${GGUF_WRITABLE_MODEL_TYPES.slice(0, 5).join(", ")},
               ${GGUF_WRITABLE_MODEL_TYPES.slice(5).join(", ")}
  <out.gguf>   the file to write (replaced atomically)
  --type       the mix
`;

export const quantizeCommand: Command = {
  name: "quantize",
  summary: "write a model as GGUF in a llama.cpp mix (q4_k_m, q5_k_m, q6_k, q8_0, …)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(argv, { type: { type: "string" } }, true);
    const type = requiredString(values, "type");
    if (!(GGUF_OUTPUT_TYPES as readonly string[]).includes(type)) {
      throw new OptionError("--type", `expected one of ${GGUF_OUTPUT_TYPES.join(", ")}, got ${JSON.stringify(type)}`);
    }
    if (positionals.length !== 2) throw new OptionError("<model> <out.gguf>", "give the model path and the output file");
    const [model, output] = positionals as [string, string];
    const input = await resolveModelArgument(model, io);
    const content = await modelToGguf(input, type as GgufOutputType);
    for (const warning of content.warnings) io.stderr.write(`warning: ${warning}\n`);
    await writeGguf(output, content);
    const counts = new Map<string, number>();
    for (const t of content.tensors) {
      const stored = "matrix" in t ? t.matrix.type : (t.type ?? "F32").toLowerCase();
      counts.set(stored, (counts.get(stored) ?? 0) + 1);
    }
    const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
    io.stdout.write(`wrote ${output}: ${content.tensors.length} tensors (${summary}), ${content.metadata.size} metadata keys\n`);
    return 0;
  },
};
