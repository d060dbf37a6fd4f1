// Which kind of file a model's weights came from: families adjust for conventions
// a format changes (llama.cpp's GGUF stores Gemma's RMSNorm gains as 1 + w).

/** "created": a new model made by createModel. */
export type CheckpointFormat = "huggingface" | "llama2c" | "gguf" | "created";
