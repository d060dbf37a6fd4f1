// The scheduler of `lmscope serve`: continuous batching over a fixed set of slots, in
// the manner of Orca (Yu et al., OSDI 2022) and llama.cpp's server.
//
// A slot is one sequence with its own KV cache (a CachedSequence). Slots keep their
// cache between requests, and a request goes to the free slot whose cached ids share
// the longest prefix with its prompt (else to the least recently used one), so a
// follow-up chat turn runs only its new tokens. A request asks for one sequence per choice; requests that find too few free
// slots wait in a bounded FIFO queue (full: 429 with Retry-After).
//
// One loop drives every slot. Each iteration
//   1. runs up to one chunk (64 ids) of the prompts still being processed, oldest
//      first (so a long prompt does not stall the streams already decoding),
//   2. steps every decoding sequence with ONE batched pass over the weights
//      (DecoderOnlyModel.decodeBatch: each weight matrix read once for all of them),
//   3. hands each sequence whose logits are new to its task, which samples, streams
//      and returns the next id to feed (or ends),
// then yields to the event loop, where new requests join and disconnected clients
// leave: a cancelled request's slots are free before the next iteration.

import { CachedSequence, commonPrefixLength } from "../chat/cached-sequence.js";
import type { DecoderOnlyModel } from "../models/decoder-only.js";
import { ApiError, invalidRequest } from "./api-error.js";

/** One sequence of a request, as the scheduler drives it. */
export interface SequenceTask {
  /** The ids the sequence starts from. */
  readonly prompt: readonly number[];
  /** The prompt is in the cache; `reused` of its ids were there already. */
  prefilled(reused: number): void;
  /** The logits after the last id fed: returns the next id to feed, or null when the sequence is done. */
  next(logits: Float32Array): number | null;
}

export interface Job {
  /** One task per sequence; each gets a slot of its own. */
  readonly tasks: readonly SequenceTask[];
}

/** "done": every task ended; "cancelled": the signal aborted first. */
export type JobOutcome = "done" | "cancelled";

export interface SchedulerOptions {
  /** Slots (sequences decoded at once). */
  readonly slots: number;
  /** Positions each slot's sequence may reach. */
  readonly contextLength: number;
  /** Requests that may wait for slots; more are refused with 429. */
  readonly queueLimit: number;
  /** Prompt ids processed per loop iteration, over one or more prompts (default 64). */
  readonly prefillChunk?: number;
}

export interface SchedulerStats {
  readonly slots: readonly { readonly id: number; readonly busy: boolean; readonly cachedTokens: number }[];
  readonly waiting: number;
  readonly queueLimit: number;
  /** Batched decode steps run (one pass over the weights each). */
  readonly decodeSteps: number;
  /** Tokens those steps decoded (the sum of their batch sizes). */
  readonly decodedTokens: number;
  /** Steps that decoded two or more sequences at once. */
  readonly multiSequenceSteps: number;
  readonly largestBatch: number;
  /** Prompt ids run through the network. */
  readonly prefillTokens: number;
  /** Prompt ids found in a slot's cache instead. */
  readonly reusedTokens: number;
}

const DEFAULT_PREFILL_CHUNK = 64;

interface Slot {
  readonly id: number;
  readonly sequence: CachedSequence;
  busy: boolean;
  /** When the slot was last given out (least recently used wins ties). */
  lastUsed: number;
}

/** A request's place in the scheduler, from submission to its end. */
interface Entry {
  readonly job: Job;
  readonly signal: AbortSignal;
  readonly resolve: (outcome: JobOutcome) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
  readonly running: Running[];
  remaining: number;
  ended: boolean;
}

/** A sequence in a slot: processing its prompt, waiting to be sampled, or holding an id to feed. */
interface Running {
  readonly entry: Entry;
  readonly task: SequenceTask;
  readonly slot: Slot;
  phase: "prefill" | "sample" | "decode";
  /** Prompt ids in the cache so far (-1: none yet). */
  fed: number;
  /** The id to feed in the next batched step. */
  token: number;
  /** The sequence has given its slot back. */
  left: boolean;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Scheduler {
  private readonly slots: Slot[];
  private readonly queue: Entry[] = [];
  /** Sequences in slots, in the order they were admitted. */
  private running: Running[] = [];
  /** [min(slots, chunkRows), vocab] logits of a batched step. */
  private readonly batchLogits: Float32Array;
  private readonly prefillChunk: number;
  private readonly queueLimit: number;
  private looping = false;
  private closed: ApiError | null = null;
  private clock = 0;
  private readonly counters = { decodeSteps: 0, decodedTokens: 0, multiSequenceSteps: 0, largestBatch: 0, prefillTokens: 0, reusedTokens: 0 };

  constructor(network: DecoderOnlyModel, options: SchedulerOptions) {
    const { slots, contextLength, queueLimit } = options;
    if (!Number.isSafeInteger(slots) || slots < 1) throw new RangeError(`a scheduler needs at least one slot, got ${slots}`);
    if (!Number.isSafeInteger(queueLimit) || queueLimit < 0) throw new RangeError(`the queue limit must be an integer ≥ 0, got ${queueLimit}`);
    this.prefillChunk = options.prefillChunk ?? DEFAULT_PREFILL_CHUNK;
    this.queueLimit = queueLimit;
    this.slots = Array.from({ length: slots }, (_, id) => ({ id, sequence: new CachedSequence(network, contextLength), busy: false, lastUsed: 0 }));
    this.batchLogits = network.backend.allocate(Math.min(slots, network.chunkRows) * network.config.vocabSize);
  }

  /**
   * Runs the job's tasks, each in a slot of its own; resolves when all have ended, or
   * with "cancelled" once `signal` aborts (its slots are free again at once). Throws
   * (before anything runs) a 429 ApiError when the request would have to wait and the
   * queue is full, a 400 when it needs more slots than there are, the close reason
   * after close(). A task's error rejects its job.
   */
  submit(job: Job, signal: AbortSignal): Promise<JobOutcome> {
    if (this.closed !== null) throw this.closed;
    const needed = job.tasks.length;
    if (needed > this.slots.length) {
      throw invalidRequest(`this request needs ${needed} sequences (one per choice) but the server has ${this.slots.length} slots (--parallel)`, "n", "too_many_choices");
    }
    if (signal.aborted) return Promise.resolve("cancelled");
    const free = this.slots.filter((s) => !s.busy).length;
    if ((this.queue.length > 0 || free < needed) && this.queue.length >= this.queueLimit) {
      throw new ApiError(
        429,
        `the server is busy: all ${this.slots.length} slots are in use and ${this.queue.length} requests are waiting (the queue holds ${this.queueLimit}); retry later`,
        "rate_limit_error",
        null,
        "queue_full",
        { "Retry-After": "1" },
      );
    }
    return new Promise<JobOutcome>((resolve, reject) => {
      const entry: Entry = { job, signal, resolve, reject, onAbort: () => this.cancel(entry), running: [], remaining: needed, ended: false };
      signal.addEventListener("abort", entry.onAbort, { once: true });
      this.queue.push(entry);
      this.admit();
    });
  }

  stats(): SchedulerStats {
    return {
      slots: this.slots.map((s) => ({ id: s.id, busy: s.busy, cachedTokens: s.sequence.ids.length })),
      waiting: this.queue.length,
      queueLimit: this.queueLimit,
      ...this.counters,
    };
  }

  /** Refuses new jobs with `reason` and ends every waiting and running job with it. */
  close(reason: ApiError): void {
    this.closed = reason;
    for (const entry of this.queue.splice(0)) this.end(entry, { error: reason });
    for (const running of [...this.running]) this.end(running.entry, { error: reason });
    for (const slot of this.slots) slot.sequence.release();
  }

  /** Moves waiting jobs, oldest first, into free slots (no computation happens here). */
  private admit(): void {
    while (this.queue.length > 0) {
      const entry = this.queue[0]!;
      const free = this.slots.filter((s) => !s.busy);
      if (free.length < entry.job.tasks.length) break;
      this.queue.shift();
      for (const task of entry.job.tasks) {
        const slot = this.bestSlot(free, task.prompt);
        free.splice(free.indexOf(slot), 1);
        slot.busy = true;
        slot.lastUsed = ++this.clock;
        const running: Running = { entry, task, slot, phase: "prefill", fed: -1, token: -1, left: false };
        entry.running.push(running);
        this.running.push(running);
      }
    }
    if (this.running.length > 0 && !this.looping) {
      this.looping = true;
      void this.loop();
    }
  }

  /**
   * The free slot whose cache shares the longest prefix with the prompt, when that is at
   * least half of the prompt (llama.cpp's server's default similarity); otherwise the
   * least recently used slot, so that a short shared start (a template's first tokens)
   * does not evict a conversation that may come back.
   */
  private bestSlot(free: readonly Slot[], prompt: readonly number[]): Slot {
    let best: Slot | null = null;
    let bestShared = 0;
    for (const slot of free) {
      const shared = commonPrefixLength(slot.sequence.ids, prompt);
      if (shared > bestShared && 2 * shared >= prompt.length) {
        best = slot;
        bestShared = shared;
      }
    }
    return best ?? free.reduce((oldest, slot) => (slot.lastUsed < oldest.lastUsed ? slot : oldest));
  }

  private async loop(): Promise<void> {
    try {
      await nextTurn(); // the request that started the loop finishes its own handler first
      while (this.running.length > 0) {
        this.iterate();
        await nextTurn();
      }
    } finally {
      this.looping = false;
    }
  }

  private iterate(): void {
    let budget = this.prefillChunk;
    for (const prefilling of this.running.filter((r) => r.phase === "prefill")) {
      if (budget <= 0) break;
      this.guard([prefilling], () => (budget -= this.prefill(prefilling, budget)));
    }
    const decoding = this.running.filter((r) => r.phase === "decode");
    if (decoding.length > 0) this.guard(decoding, () => this.decode(decoding));
    for (const running of this.running.filter((r) => r.phase === "sample")) {
      if (running.entry.ended) continue; // a sibling sequence of its request failed this iteration
      this.guard([running], () => {
        const id = running.task.next(running.slot.sequence.logits);
        if (id === null) this.finish(running);
        else {
          running.token = id;
          running.phase = "decode";
        }
      });
    }
  }

  /** Runs `work`; an error ends the requests of the sequences it concerned. */
  private guard(sequences: readonly Running[], work: () => void): void {
    try {
      work();
    } catch (error) {
      for (const entry of new Set(sequences.map((r) => r.entry))) this.end(entry, { error });
    }
  }

  /** Runs up to `budget` more ids of the sequence's prompt; returns how many ran. */
  private prefill(running: Running, budget: number): number {
    const { prompt } = running.task;
    const sequence = running.slot.sequence;
    const first = running.fed < 0;
    const start = first ? commonPrefixLength(sequence.ids, prompt) : running.fed;
    const end = Math.min(prompt.length, start + budget);
    const { reused, processed } = sequence.prefill(prompt.slice(0, end));
    if (first) {
      running.task.prefilled(reused);
      this.counters.reusedTokens += reused;
    }
    this.counters.prefillTokens += processed;
    running.fed = end;
    if (end === prompt.length) running.phase = "sample";
    return processed;
  }

  private decode(decoding: readonly Running[]): void {
    CachedSequence.feedTogether(
      decoding.map((r) => r.slot.sequence),
      decoding.map((r) => r.token),
      this.batchLogits,
    );
    const c = this.counters;
    c.decodeSteps++;
    c.decodedTokens += decoding.length;
    if (decoding.length > 1) c.multiSequenceSteps++;
    c.largestBatch = Math.max(c.largestBatch, decoding.length);
    for (const r of decoding) r.phase = "sample";
  }

  /** One sequence ended; its request ends with its last one. */
  private finish(running: Running): void {
    this.vacate([running]);
    if (--running.entry.remaining === 0) this.end(running.entry, { outcome: "done" });
    else this.admit();
  }

  private cancel(entry: Entry): void {
    this.end(entry, { outcome: "cancelled" });
  }

  /** Ends a request: out of the queue or its slots, its promise settled once. */
  private end(entry: Entry, how: { outcome: JobOutcome } | { error: unknown }): void {
    if (entry.ended) return;
    entry.ended = true;
    entry.signal.removeEventListener("abort", entry.onAbort);
    const queued = this.queue.indexOf(entry);
    if (queued !== -1) this.queue.splice(queued, 1);
    this.vacate(entry.running);
    if ("error" in how) entry.reject(how.error);
    else entry.resolve(how.outcome);
    if (this.closed === null) this.admit();
  }

  /** Frees the sequences' slots (their caches stay, for the next prompt that shares a prefix). */
  private vacate(sequences: readonly Running[]): void {
    const leaving = sequences.filter((r) => !r.left);
    if (leaving.length === 0) return;
    for (const r of leaving) {
      r.left = true;
      r.slot.busy = false;
    }
    this.running = this.running.filter((r) => !r.left);
  }
}
