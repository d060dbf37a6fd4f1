// `lmscope quantize`: write a model as a GGUF file (llama.cpp's format) with its weight
// matrices in Q8_0, Q4_0, F16 or F32, readable by lmscope and by llama.cpp.

import type { Command } from "../command.js";
import { OptionError } from "../../errors.js";
import { writeGguf } from "../../io/gguf.js";
import { GGUF_OUTPUT_TYPES, modelToGguf, type GgufOutputType } from "../../io/gguf-convert.js";
import { parseCommandLine, requiredString } from "../options.js";
import { resolveModelArgument } from "../model-argument.js";

const usage = `usage: lmscope quantize --type q8_0|q4_0|f16|f32 <model> <out.gguf>

Writes <model> as a GGUF file. 2-D weight matrices are stored in the chosen type
(a matrix whose rows are not a multiple of 32 values falls back to f16); norms and
biases stay f32. Tensor names, hyperparameters and the tokenizer are written as
llama.cpp expects them, so llama.cpp can load the file too.

  <model>      Hugging Face folder (llama or gpt2), llama2.c .bin file / folder,
               a GGUF file (re-stored in the new type), or a hub id (org/name)
  <out.gguf>   the file to write (replaced atomically)
  --type       q8_0 (8-bit blocks), q4_0 (4-bit blocks), f16 or f32
`;

export const quantizeCommand: Command = {
  name: "quantize",
  summary: "write a model as GGUF with q8_0 / q4_0 / f16 / f32 weights",
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
