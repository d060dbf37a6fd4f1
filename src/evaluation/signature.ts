// sacreBLEU's reproducibility signature ("nrefs:1|case:mixed|eff:no|tok:13a|
// smooth:exp|version:2.6.0"): the settings a score depends on, in its order,
// with the version of sacreBLEU whose computation lmscope reproduces (the
// tests compare against that release's outputs).

/** The sacreBLEU release the metrics here are tested against. */
export const SACREBLEU_VERSION = "2.6.0";

/** The signature string: nrefs (when known) first, the metric's settings, the version last. */
export function signature(references: number | "var" | undefined, settings: readonly [string, string][]): string {
  const parts = references === undefined ? [] : [`nrefs:${references}`];
  for (const [key, value] of settings) parts.push(`${key}:${value}`);
  parts.push(`version:${SACREBLEU_VERSION}`);
  return parts.join("|");
}
