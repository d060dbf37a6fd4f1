// Model folders for the server tests: a tiny random Llama whose byte-level BPE knows
// ChatML's special tokens and whose tokenizer_config.json holds a ChatML template
// (test/helpers/chat-model.ts), and a tiny random BERT (for embeddings), written to a
// temporary folder.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { CHAT_TOKENIZER_CONFIG, CHATML, chatTokenizer, chatTokenizerJson } from "../../helpers/chat-model.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";
import { writeRandomBert } from "../encoders/random-bert.js";

export interface ModelFolders {
  /** A decoder with a chat template. */
  readonly chat: string;
  /** A BERT encoder (WordPiece vocab.txt). */
  readonly bert: string;
  cleanup(): Promise<void>;
}

export async function writeModelFolders(contextLength = 512): Promise<ModelFolders> {
  const dir = await mkdtemp(join(tmpdir(), "lmscope-serve-"));
  const config = { ...LLAMA_CONFIG, vocab_size: chatTokenizer().vocabSize, max_position_embeddings: contextLength, bos_token_id: 0, eos_token_id: 2 };
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  await writeSafetensors(join(dir, "model.safetensors"), [...randomLlama(config)].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(chatTokenizerJson()));
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ ...CHAT_TOKENIZER_CONFIG, chat_template: CHATML }));
  const bert = await writeRandomBert("BertModel");
  return {
    chat: dir,
    bert: bert.dir,
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
      await bert.cleanup();
    },
  };
}
