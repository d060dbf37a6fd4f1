// Incremental decoding: the decoder chain of decoders.ts rewritten as stages
// that take token text piece by piece and pass on only text that later tokens
// cannot change. A piece is flagged when it starts a new token, so per-token
// decoders (Strip, Metaspace, WordPiece) see the same tokens as the batch
// decoder after Fuse or ByteLevel joined them. UTF-8 bytes wait in a
// streaming TextDecoder (ByteLevel) or in the current <0xXX> group
// (ByteFallback) until the character is complete. Concatenating every push
// and the flush gives exactly the batch `decodeTokens`.
import { byteLevelTokenBytes } from "./byte-level.js";
import { byteFallbackValue, CLEANUP_CHARS, cleanUpTokenization, replaceAll, wordPieceCleanup, type DecoderSpec } from "./decoders.js";
import { SentencePieceDecoder } from "./sentencepiece-decoder.js";
import type { StreamDecoder } from "./tokenizer.js";
import { utf8DecodeStrict } from "./unicode-text.js";

type Emit = (text: string, startsToken: boolean) => void;

interface Stage {
  push(text: string, startsToken: boolean, emit: Emit): void;
  flush(emit: Emit): void;
}

class ByteLevelStage implements Stage {
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  private first = true;
  push(text: string, _startsToken: boolean, emit: Emit): void {
    const out = this.decoder.decode(byteLevelTokenBytes(text), { stream: true });
    emit(out, this.first);
    this.first = false;
  }
  flush(emit: Emit): void {
    const out = this.decoder.decode();
    if (out !== "" || this.first) emit(out, this.first);
    this.first = false;
  }
}

class ReplaceStage implements Stage {
  private held: string | undefined;
  /** Patterns longer than one character can span pieces of a token, so such tokens are held whole. */
  private readonly holdTokens: boolean;
  constructor(private readonly spec: Extract<DecoderSpec, { type: "Replace" }>) {
    this.holdTokens = "regex" in spec.pattern || Array.from(spec.pattern.string).length > 1;
  }
  push(text: string, startsToken: boolean, emit: Emit): void {
    if (!this.holdTokens) {
      emit(replaceAll(text, this.spec.pattern, this.spec.content), startsToken);
      return;
    }
    if (startsToken) this.flush(emit);
    this.held = (this.held ?? "") + text;
  }
  flush(emit: Emit): void {
    if (this.held !== undefined) emit(replaceAll(this.held, this.spec.pattern, this.spec.content), true);
    this.held = undefined;
  }
}

class ByteFallbackStage implements Stage {
  private group: number[] = [];
  push(text: string, startsToken: boolean, emit: Emit): void {
    const b = startsToken ? byteFallbackValue(text) : -1;
    if (b >= 0) {
      this.group.push(b);
      return;
    }
    this.flush(emit);
    emit(text, startsToken);
  }
  flush(emit: Emit): void {
    if (this.group.length === 0) return;
    const text = utf8DecodeStrict(Uint8Array.from(this.group));
    if (text !== undefined) emit(text, true);
    else for (let i = 0; i < this.group.length; i++) emit("\ufffd", true);
    this.group = [];
  }
}

class FuseStage implements Stage {
  private first = true;
  push(text: string, _startsToken: boolean, emit: Emit): void {
    emit(text, this.first);
    this.first = false;
  }
  flush(): void {}
}

class StripStage implements Stage {
  private leftToStrip = 0;
  /** Trailing run of `content` characters of the current token, held until the token ends. */
  private held: string[] = [];
  private inToken = false;
  constructor(private readonly spec: Extract<DecoderSpec, { type: "Strip" }>) {}
  push(text: string, startsToken: boolean, emit: Emit): void {
    if (startsToken) {
      this.endToken(emit);
      this.leftToStrip = this.spec.start;
      this.inToken = true;
    }
    const chars = Array.from(text);
    let from = 0;
    while (this.leftToStrip > 0 && from < chars.length && chars[from] === this.spec.content) {
      from++;
      this.leftToStrip--;
    }
    if (from < chars.length) this.leftToStrip = 0;
    const rest = [...this.held, ...chars.slice(from)];
    let cut = rest.length;
    if (this.spec.stop > 0) while (cut > 0 && rest[cut - 1] === this.spec.content) cut--;
    this.held = rest.slice(cut);
    emit(rest.slice(0, cut).join(""), startsToken);
  }
  private endToken(emit: Emit): void {
    if (!this.inToken) return;
    const keep = Math.max(0, this.held.length - this.spec.stop);
    if (keep > 0) emit(this.held.slice(0, keep).join(""), false);
    this.held = [];
    this.inToken = false;
  }
  flush(emit: Emit): void {
    this.endToken(emit);
  }
}

class MetaspaceStage implements Stage {
  private tokenIndex = -1;
  constructor(private readonly spec: Extract<DecoderSpec, { type: "Metaspace" }>) {}
  push(text: string, startsToken: boolean, emit: Emit): void {
    if (startsToken) this.tokenIndex++;
    const dropAll = this.tokenIndex <= 0 && this.spec.prependScheme !== "never";
    emit(text.split(this.spec.replacement).join(dropAll ? "" : " "), startsToken);
  }
  flush(): void {}
}

class WordPieceStage implements Stage {
  private tokenIndex = -1;
  constructor(private readonly spec: Extract<DecoderSpec, { type: "WordPiece" }>) {}
  push(text: string, startsToken: boolean, emit: Emit): void {
    let out = text;
    if (startsToken) {
      this.tokenIndex++;
      if (text.startsWith(this.spec.prefix)) out = text.slice(this.spec.prefix.length);
      else if (this.tokenIndex > 0) out = ` ${text}`;
    }
    emit(this.spec.cleanup ? wordPieceCleanup(out) : out, startsToken);
  }
  flush(): void {}
}

/** BPEDecoder: the suffix becomes a space, except in the last token, so each token waits for the next. */
class BpeSuffixStage implements Stage {
  private held: string | undefined;
  constructor(private readonly suffix: string) {}
  push(text: string, startsToken: boolean, emit: Emit): void {
    if (startsToken && this.held !== undefined) {
      emit(this.held.split(this.suffix).join(" "), true);
      this.held = undefined;
    }
    this.held = (this.held ?? "") + text;
  }
  flush(emit: Emit): void {
    if (this.held !== undefined) emit(this.held.split(this.suffix).join(""), true);
    this.held = undefined;
  }
}

/** sentencepiece's decoding, which is token by token already (sentencepiece-decoder.ts). */
class SentencePieceStage implements Stage {
  private readonly decoder: SentencePieceDecoder;
  constructor(spec: Extract<DecoderSpec, { type: "SentencePiece" }>) {
    this.decoder = new SentencePieceDecoder(spec);
  }
  push(text: string, startsToken: boolean, emit: Emit): void {
    emit(this.decoder.push(text), startsToken);
  }
  flush(emit: Emit): void {
    emit(this.decoder.flush(), true);
  }
}

/** No decoder: tokens joined with single spaces. */
class JoinWithSpacesStage implements Stage {
  private first = true;
  push(text: string, startsToken: boolean, emit: Emit): void {
    emit(startsToken && !this.first ? ` ${text}` : text, startsToken);
    if (startsToken) this.first = false;
  }
  flush(): void {}
}

function buildStages(spec: DecoderSpec | undefined): Stage[] {
  if (spec === undefined) return [new JoinWithSpacesStage()];
  switch (spec.type) {
    case "ByteLevel":
      return [new ByteLevelStage()];
    case "Replace":
      return [new ReplaceStage(spec)];
    case "ByteFallback":
      return [new ByteFallbackStage()];
    case "Fuse":
      return [new FuseStage()];
    case "Strip":
      return [new StripStage(spec)];
    case "Metaspace":
      return [new MetaspaceStage(spec)];
    case "WordPiece":
      return [new WordPieceStage(spec)];
    case "BPEDecoder":
      return [new BpeSuffixStage(spec.suffix)];
    case "Sequence":
      return spec.decoders.flatMap((d) => buildStages(d));
    case "SentencePiece":
      return [new SentencePieceStage(spec)];
  }
}

/** Holds back a trailing run of characters that a clean-up pattern could still use. */
class CleanupStage {
  private pending = "";
  push(text: string): string {
    this.pending += text;
    let safe = this.pending.length;
    while (safe > 0 && CLEANUP_CHARS.has(this.pending[safe - 1]!)) safe--;
    const ready = this.pending.slice(0, safe);
    this.pending = this.pending.slice(safe);
    return cleanUpTokenization(ready);
  }
  flush(): string {
    const out = cleanUpTokenization(this.pending);
    this.pending = "";
    return out;
  }
}

/** Streams token strings through a decoder chain. `tokenOf` returns undefined for ids to leave out. */
export class TokenStreamDecoder implements StreamDecoder {
  private readonly stages: Stage[];
  private readonly emitters: Emit[];
  private readonly cleanup: CleanupStage | undefined;
  private out = "";

  constructor(
    spec: DecoderSpec | undefined,
    private readonly tokenOf: (id: number) => string | undefined,
    cleanUpTokenizationSpaces: boolean,
  ) {
    this.stages = buildStages(spec);
    this.cleanup = cleanUpTokenizationSpaces ? new CleanupStage() : undefined;
    // emitters[i] feeds stage i; the last one collects text.
    this.emitters = [];
    this.emitters[this.stages.length] = (text) => {
      this.out += text;
    };
    for (let i = this.stages.length - 1; i >= 0; i--) {
      const stage = this.stages[i]!;
      const next = this.emitters[i + 1]!;
      this.emitters[i] = (text, startsToken) => stage.push(text, startsToken, next);
    }
  }

  push(id: number): string {
    const token = this.tokenOf(id);
    if (token !== undefined) this.emitters[0]!(token, true);
    return this.take(false);
  }

  flush(): string {
    this.stages.forEach((stage, i) => stage.flush(this.emitters[i + 1]!));
    return this.take(true);
  }

  private take(final: boolean): string {
    let text = this.out;
    this.out = "";
    if (this.cleanup !== undefined) text = this.cleanup.push(text) + (final ? this.cleanup.flush() : "");
    return text;
  }
}
