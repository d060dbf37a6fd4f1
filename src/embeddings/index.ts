// Sentence embeddings: pooling, cosine similarity, z-score standardization.
export { checkPooling, poolRow, POOLINGS, type Pooling } from "./pooling.js";
export { averagePairwiseCosine, cosineSimilarity, normalizeL2 } from "./similarity.js";
export { applyZScore, fitZScore, loadZScore, saveZScore, zScoreFromJson, zScoreToJson, type ZScoreStats } from "./zscore.js";
