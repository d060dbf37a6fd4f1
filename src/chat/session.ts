// A conversation with a decoder model, in the manner of node-llama-cpp's
// LlamaChatSession: each `send` renders the whole conversation with the model's chat
// template and streams the assistant's reply until an end-of-turn token.
//
// KV cache reuse: the session keeps one KV cache and the ids it holds (a
// CachedSequence). A new turn's ids are compared with them and only the ids after the
// longest common prefix run through the network (a turn usually adds the end of the previous reply, the new
// message and the generation prompt). Earlier text that a template renders
// differently (e.g. one that drops old reasoning) is recomputed from its first
// differing token.
//
// Context shift: when the conversation does not leave room for a reply, or the window
// fills during one, the oldest turns (a user message and the replies after it) are
// dropped, system messages kept, and the conversation re-rendered; the cache keeps
// the unchanged start (the system prompt). A reply cut by the window ends with
// finishReason "length" once nothing is left to drop.
//
// Abort (`signal`, or leaving the `for await` loop): the reply is kept in the history
// as far as it was streamed; a turn stopped before any text leaves the history as it
// was. The session stays usable either way.

import { InputError, OptionError } from "../errors.js";
import { checkOptions, type FinishReason, type GenerateOptions, type GenerationPiece } from "../generation/generate.js";
import { Sampler } from "../generation/sampler.js";
import { StopStringMatcher } from "../generation/stop-strings.js";
import type { DecoderOnlyModel } from "../models/decoder-only.js";
import { CachedSequence } from "./cached-sequence.js";
import type { ChatFormat, ChatFormatOptions } from "./chat-format.js";
import { checkMessage, checkMessages, type ChatMessage } from "./messages.js";
import { restoreChat, type SavedChat } from "./saved-chat.js";

export interface ChatSessionOptions {
  /** The system prompt: the first message of every conversation (kept by reset and context shift). */
  system?: string;
  /** Drop the oldest turns when the window fills (default true); false ends the reply instead. */
  contextShift?: boolean;
}

/** The options of `model.chat(...)`: the session's and its chat format's. */
export interface ChatOptions extends ChatFormatOptions, ChatSessionOptions {}

/** The options of a reply: those of generate (maxTokens, stop, sampling, signal, …). */
export type ChatSendOptions = GenerateOptions;

export interface ChatUsage {
  /** Ids of the rendered conversation the reply followed. */
  readonly promptTokens: number;
  /** Of those, the ones whose keys and values were already in the cache. */
  readonly reusedTokens: number;
  /** Tokens run through the network during this turn (prompt, re-prefills after a shift, reply). */
  readonly processedTokens: number;
  /** Tokens of the reply. */
  readonly completionTokens: number;
  /** Messages dropped from the start of the conversation to fit the window. */
  readonly droppedMessages: number;
}

export interface ChatReply {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: ChatUsage;
}

/** Space kept free for a reply, as a fraction of the context, when turns must be dropped. */
const REPLY_ROOM_FRACTION = 4;

/**
 * `messages` without its oldest turn: the first non-system message and everything up to
 * the next user message. Null when only the last message (the one being answered) is left.
 */
export function dropOldestTurn(messages: readonly ChatMessage[]): ChatMessage[] | null {
  const start = messages.findIndex((m) => m.role !== "system");
  if (start === -1 || start >= messages.length - 1) return null;
  let end = start + 1;
  while (end < messages.length - 1 && messages[end]!.role !== "user") end++;
  return [...messages.slice(0, start), ...messages.slice(end)];
}

export class ChatSession {
  readonly format: ChatFormat;
  private readonly network: DecoderOnlyModel;
  private readonly contextShift: boolean;
  private readonly initial: readonly ChatMessage[];
  private messages: ChatMessage[];
  private readonly sequence: CachedSequence;
  private busy = false;

  constructor(network: DecoderOnlyModel, format: ChatFormat, options: ChatSessionOptions = {}) {
    for (const key of Object.keys(options)) {
      if (key !== "system" && key !== "contextShift") throw new OptionError(key, "unknown chat session option (known: system, contextShift)");
    }
    if (options.system !== undefined && typeof options.system !== "string") throw new InputError("the system prompt must be a string");
    this.network = network;
    this.format = format;
    this.contextShift = options.contextShift ?? true;
    this.initial = options.system === undefined ? [] : [{ role: "system", content: options.system }];
    this.messages = [...this.initial];
    this.sequence = new CachedSequence(network);
  }

  /** The conversation so far (a copy), system message first. */
  get history(): ChatMessage[] {
    return structuredClone(this.messages);
  }

  /** Replaces the conversation (checked message by message); the cache is reused where it still matches. */
  setHistory(messages: readonly ChatMessage[]): void {
    this.requireIdle();
    this.messages = checkMessages(messages, "history");
  }

  /** Back to the system prompt alone. */
  reset(): void {
    this.requireIdle();
    this.messages = [...this.initial];
  }

  /** The conversation as JSON-ready data (also what JSON.stringify(session) writes). */
  save(): SavedChat {
    return { format: "lmscope-chat", version: 1, messages: this.history };
  }

  toJSON(): SavedChat {
    return this.save();
  }

  /** Restores a conversation saved with save() (the object, or its JSON text), checked field by field. */
  restore(saved: unknown): void {
    this.requireIdle();
    this.messages = restoreChat(saved).messages;
  }

  /** Hands the KV cache back to the model; a later send starts a new one. */
  close(): void {
    this.requireIdle();
    this.sequence.release();
  }

  /**
   * Adds `message` (text from the user, or a message object) and streams the reply. The
   * iterator's return value has the whole text, why it stopped and the token counts.
   */
  async *send(message: string | ChatMessage, options: ChatSendOptions = {}): AsyncGenerator<GenerationPiece, ChatReply> {
    checkOptions(options);
    this.requireIdle();
    const incoming = typeof message === "string" ? { role: "user", content: message } : checkMessage(message, "message");
    this.busy = true;
    const { contextLength, vocabSize } = this.network.config;
    const maxTokens = options.maxTokens ?? Number.POSITIVE_INFINITY;
    const room = Math.min(maxTokens, Math.ceil(contextLength / REPLY_ROOM_FRACTION));
    let conversation = [...this.messages, incoming];
    const generated: number[] = [];
    let text = "";
    let finishReason: FinishReason | undefined;
    const usage = { promptTokens: 0, reusedTokens: 0, processedTokens: 0, completionTokens: 0, droppedMessages: 0 };
    try {
      const fitted = this.fit(conversation, [], room);
      conversation = fitted.conversation;
      usage.droppedMessages = fitted.dropped;
      usage.promptTokens = fitted.ids.length;
      const prefill = this.sequence.prefill(fitted.ids);
      usage.reusedTokens = prefill.reused;
      usage.processedTokens = prefill.processed;

      const sampler = new Sampler(vocabSize, options);
      const stopper = new StopStringMatcher(options.stop ?? []);
      const endOfTurn = new Set(options.stopOnEos === false ? [] : this.format.endOfTurnIds);
      // Decoding continues from the prompt, so a reply's first piece keeps the space a tokenizer marks.
      const decoder = this.format.tokenizer.decodeStream({ skipSpecialTokens: true });
      for (const id of fitted.ids) decoder.push(id);
      const step = new Int32Array(1); // the token fed back in
      while (finishReason === undefined) {
        if (options.signal?.aborted === true) {
          finishReason = "abort";
          break;
        }
        if (generated.length >= maxTokens) {
          finishReason = "length";
          break;
        }
        if (this.sequence.ids.length >= contextLength) {
          const shifted = this.shiftDuringReply(conversation, generated, usage);
          if (shifted === null) {
            finishReason = "length";
            break;
          }
          conversation = shifted;
        }
        const id = sampler.sample(this.sequence.logits, this.sequence.ids);
        if (endOfTurn.has(id)) {
          finishReason = "eos";
          break;
        }
        generated.push(id);
        usage.completionTokens++;
        const piece = stopper.push(decoder.push(id));
        text += piece.text;
        yield { text: piece.text, tokenId: id };
        if (piece.stopped) finishReason = "stop";
        else if (generated.length < maxTokens) {
          step[0] = id;
          this.sequence.feed(step);
          usage.processedTokens++;
        }
      }
      if (finishReason !== "abort") {
        const rest = stopper.push(decoder.flush());
        const tail = rest.text + (rest.stopped ? "" : stopper.flush());
        if (rest.stopped) finishReason = "stop";
        if (tail !== "") {
          text += tail;
          yield { text: tail, tokenId: null };
        }
      }
      return { text, finishReason, usage: { ...usage } };
    } finally {
      // Reached by a normal end, by an error, and when the caller leaves the loop early.
      const replied = text !== "" || (finishReason !== undefined && finishReason !== "abort");
      if (replied) this.messages = [...conversation, { role: "assistant", content: text }];
      this.busy = false;
    }
  }

  private requireIdle(): void {
    if (this.busy) throw new InputError("a reply is still being generated: finish or abort it first");
  }

  /**
   * The conversation (with `reply` ids after its generation prompt) shortened by whole turns,
   * oldest first, until `room` positions stay free; an InputError when even the last message
   * does not fit.
   */
  private fit(conversation: ChatMessage[], reply: readonly number[], room: number): { conversation: ChatMessage[]; ids: number[]; dropped: number } {
    const { contextLength } = this.network.config;
    let kept = conversation;
    let ids = [...this.format.prompt(kept).ids, ...reply];
    while (this.contextShift && ids.length + room > contextLength) {
      const shorter = dropOldestTurn(kept);
      if (shorter === null) break;
      kept = shorter;
      ids = [...this.format.prompt(kept).ids, ...reply];
    }
    if (ids.length >= contextLength) {
      const what = this.contextShift ? "with only the system prompt and the last message left, the conversation" : "the conversation";
      throw new InputError(
        `${what} takes ${ids.length} tokens, but the context window is ${contextLength}: ` +
          `shorten the message or the system prompt${this.contextShift ? "" : ", or allow contextShift"}`,
      );
    }
    return { conversation: kept, ids, dropped: conversation.length - kept.length };
  }

  /** Window full during a reply: drop turns and re-prefill what is left and the reply so far; null when nothing can be dropped. */
  private shiftDuringReply(conversation: ChatMessage[], generated: readonly number[], usage: { processedTokens: number; droppedMessages: number }): ChatMessage[] | null {
    if (!this.contextShift || dropOldestTurn(conversation) === null) return null;
    const room = Math.ceil(this.network.config.contextLength / REPLY_ROOM_FRACTION);
    let fitted;
    try {
      fitted = this.fit(conversation, generated, room);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return null; // what is left does not fit with the reply: the reply ends here
    }
    usage.droppedMessages += fitted.dropped;
    usage.processedTokens += this.sequence.prefill(fitted.ids).processed;
    return fitted.conversation;
  }
}
