// Post-processors of HF tokenizer.json (`post_processor`, huggingface/tokenizers
// src/processors): they add the special tokens around encoded sequences and
// assign token type ids. TemplateProcessing ("[CLS] $A [SEP] $B:1 [SEP]:1"),
// BertProcessing, RobertaProcessing, ByteLevel (adds nothing) and Sequence.

export interface ProcessedIds {
  ids: number[];
  typeIds: number[];
}

export interface PostProcessor {
  /** How many ids the processor adds to a single sequence or a pair. */
  addedTokens(pair: boolean): number;
  process(a: readonly number[], b: readonly number[] | undefined): ProcessedIds;
}

export type TemplatePiece = { special: readonly number[]; typeId: number } | { sequence: "A" | "B"; typeId: number };

export class TemplateProcessor implements PostProcessor {
  constructor(
    readonly single: readonly TemplatePiece[],
    readonly pair: readonly TemplatePiece[],
  ) {}

  addedTokens(pair: boolean): number {
    let n = 0;
    for (const p of pair ? this.pair : this.single) if ("special" in p) n += p.special.length;
    return n;
  }

  process(a: readonly number[], b: readonly number[] | undefined): ProcessedIds {
    const ids: number[] = [];
    const typeIds: number[] = [];
    for (const piece of b === undefined ? this.single : this.pair) {
      const source = "special" in piece ? piece.special : piece.sequence === "A" ? a : b!;
      for (const id of source) {
        ids.push(id);
        typeIds.push(piece.typeId);
      }
    }
    return { ids, typeIds };
  }
}

/** BERT: [CLS] A [SEP] (B [SEP]) with type ids 0 for the first part, 1 for B [SEP]. */
export function bertProcessor(cls: number, sep: number): TemplateProcessor {
  return new TemplateProcessor(
    [{ special: [cls], typeId: 0 }, { sequence: "A", typeId: 0 }, { special: [sep], typeId: 0 }],
    [
      { special: [cls], typeId: 0 },
      { sequence: "A", typeId: 0 },
      { special: [sep], typeId: 0 },
      { sequence: "B", typeId: 1 },
      { special: [sep], typeId: 1 },
    ],
  );
}

/** RoBERTa: <s> A </s> (</s> B </s>), all type ids 0. */
export function robertaProcessor(cls: number, sep: number): TemplateProcessor {
  return new TemplateProcessor(
    [{ special: [cls], typeId: 0 }, { sequence: "A", typeId: 0 }, { special: [sep], typeId: 0 }],
    [
      { special: [cls], typeId: 0 },
      { sequence: "A", typeId: 0 },
      { special: [sep, sep], typeId: 0 },
      { sequence: "B", typeId: 0 },
      { special: [sep], typeId: 0 },
    ],
  );
}

/** Prepends BOS / appends EOS, as tokenizer_config.json add_bos_token / add_eos_token ask. */
export function bosEosProcessor(bos: number | undefined, eos: number | undefined): TemplateProcessor {
  const wrap = (seq: "A" | "B", typeId: number): TemplatePiece[] => [
    ...(bos === undefined ? [] : [{ special: [bos], typeId }]),
    { sequence: seq, typeId },
    ...(eos === undefined ? [] : [{ special: [eos], typeId }]),
  ];
  return new TemplateProcessor(wrap("A", 0), [...wrap("A", 0), ...wrap("B", 1)]);
}

/** Adds nothing: the ByteLevel post-processor only trims offsets, and a missing post_processor. */
export class IdentityProcessor implements PostProcessor {
  addedTokens(): number {
    return 0;
  }
  process(a: readonly number[], b: readonly number[] | undefined): ProcessedIds {
    const ids = [...a, ...(b ?? [])];
    return { ids, typeIds: [...a.map(() => 0), ...(b ?? []).map(() => 1)] };
  }
}

/** Sequence: the first processor that adds tokens combines the pair; the others see its output. */
export class SequenceProcessor implements PostProcessor {
  constructor(readonly processors: readonly PostProcessor[]) {}
  addedTokens(pair: boolean): number {
    const active = this.active(pair);
    return active.reduce((n, p, i) => n + p.addedTokens(pair && i === 0), 0);
  }
  private active(pair: boolean): PostProcessor[] {
    return this.processors.filter((p) => p.addedTokens(pair) > 0);
  }
  process(a: readonly number[], b: readonly number[] | undefined): ProcessedIds {
    const active = this.active(b !== undefined);
    if (active.length === 0) return new IdentityProcessor().process(a, b);
    let out = active[0]!.process(a, b);
    for (const p of active.slice(1)) {
      const next = p.process(out.ids, undefined);
      out = { ids: next.ids, typeIds: next.ids.map((_, i) => out.typeIds[i] ?? 0) };
    }
    return out;
  }
}
