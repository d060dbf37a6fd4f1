// The scheduler in this process, on a tiny random Llama (js backend): concurrent jobs
// give the ids of running each alone and share batched steps; a cancelled job frees its
// slots at once for the queue; a task that fails ends its own job only; slots are chosen
// by the prefix their cache shares with the prompt; the queue's limit and close().
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { Sampler } from "../../../src/generation/sampler.js";
import { blueprintFor } from "../../../src/models/registry.js";
import { ApiError } from "../../../src/server/api-error.js";
import { Scheduler, type SequenceTask } from "../../../src/server/scheduler.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";

const config = { ...LLAMA_CONFIG, max_position_embeddings: 256 };
const network = blueprintFor(config, "t").build(randomLlama(config), "t", { backend: jsBackend, ropeLayout: "half" });

/** A greedy task that records its ids and ends after `length` tokens. */
class Greedy implements SequenceTask {
  readonly ids: number[] = [];
  reused = -1;
  private readonly sampler = new Sampler(network.config.vocabSize, { temperature: 0 });
  constructor(
    readonly prompt: readonly number[],
    private readonly length: number,
  ) {}
  prefilled(reused: number): void {
    this.reused = reused;
  }
  next(logits: Float32Array): number | null {
    const id = this.sampler.sample(logits);
    this.ids.push(id);
    return this.ids.length >= this.length ? null : id;
  }
}

const prompt = (seed: number, length: number): number[] => Array.from({ length }, (_, i) => (seed * 31 + i * 7) % network.config.vocabSize);

test("concurrent jobs give the ids of each run alone, and their steps are batched", async () => {
  const prompts = [prompt(1, 5), prompt(2, 70), prompt(3, 9), prompt(4, 2)]; // one longer than a prefill chunk
  const alone = [];
  for (const p of prompts) {
    const solo = new Scheduler(network, { slots: 1, contextLength: 256, queueLimit: 0 });
    const task = new Greedy(p, 20);
    assert.equal(await solo.submit({ tasks: [task] }, new AbortController().signal), "done");
    alone.push(task.ids);
    assert.equal(solo.stats().multiSequenceSteps, 0);
  }
  const scheduler = new Scheduler(network, { slots: 4, contextLength: 256, queueLimit: 4 });
  const tasks = prompts.map((p) => new Greedy(p, 20));
  const outcomes = await Promise.all(tasks.map((task) => scheduler.submit({ tasks: [task] }, new AbortController().signal)));
  assert.deepEqual(outcomes, ["done", "done", "done", "done"]);
  assert.deepEqual(tasks.map((t) => t.ids), alone);
  const stats = scheduler.stats();
  assert.equal(stats.decodedTokens, 4 * 19);
  assert.equal(stats.largestBatch, 4);
  assert.ok(stats.decodeSteps < stats.decodedTokens, JSON.stringify(stats));
  assert.equal(stats.prefillTokens, 5 + 70 + 9 + 2);
  assert.ok(stats.slots.every((s) => !s.busy));
});

test("a job of several tasks takes several slots; a cancelled job frees them at once for the one waiting", async () => {
  const scheduler = new Scheduler(network, { slots: 2, contextLength: 256, queueLimit: 1 });
  const cancel = new AbortController();
  const long = [new Greedy(prompt(5, 4), 200), new Greedy(prompt(6, 4), 200)];
  const running = scheduler.submit({ tasks: long }, cancel.signal);
  const waiting = new Greedy(prompt(7, 3), 3);
  const queued = scheduler.submit({ tasks: [waiting] }, new AbortController().signal);
  assert.equal(scheduler.stats().waiting, 1);
  assert.throws(() => scheduler.submit({ tasks: [new Greedy([1], 1)] }, new AbortController().signal), (e: unknown) => e instanceof ApiError && e.status === 429);
  assert.throws(() => scheduler.submit({ tasks: [new Greedy([1], 1), new Greedy([1], 1), new Greedy([1], 1)] }, new AbortController().signal), (e: unknown) => e instanceof ApiError && e.status === 400 && e.param === "n");
  while (long[0]!.ids.length < 3) await new Promise((resolve) => setImmediate(resolve));
  cancel.abort();
  assert.equal(await running, "cancelled");
  const stopped = long.map((t) => t.ids.length);
  assert.equal(scheduler.stats().waiting, 0, "the waiting job got the freed slots at once");
  assert.equal(await queued, "done");
  assert.deepEqual(long.map((t) => t.ids.length), stopped, "nothing more ran for the cancelled job");
  assert.ok(stopped.every((n) => n < 200));
  assert.equal(await scheduler.submit({ tasks: [new Greedy([1], 1)] }, cancel.signal), "cancelled", "an already aborted signal runs nothing");
});

test("a task that throws ends its own job with the error; the others finish", async () => {
  const scheduler = new Scheduler(network, { slots: 3, contextLength: 256, queueLimit: 0 });
  const failing: SequenceTask = {
    prompt: prompt(8, 3),
    prefilled: () => {},
    next: () => {
      throw new Error("sampling failed");
    },
  };
  const sibling = new Greedy(prompt(9, 3), 50);
  const other = new Greedy(prompt(10, 3), 10);
  const [a, b] = await Promise.allSettled([scheduler.submit({ tasks: [failing, sibling] }, new AbortController().signal), scheduler.submit({ tasks: [other] }, new AbortController().signal)]);
  assert.equal(a.status, "rejected");
  assert.match(String((a as PromiseRejectedResult).reason), /sampling failed/);
  assert.ok(sibling.ids.length < 50, "the failed job's other sequence stopped");
  assert.deepEqual(b, { status: "fulfilled", value: "done" });
  assert.equal(other.ids.length, 10);
  assert.ok(scheduler.stats().slots.every((s) => !s.busy));
});

test("a prompt goes to the slot that holds its prefix; a short shared start does not evict a conversation", async () => {
  const scheduler = new Scheduler(network, { slots: 2, contextLength: 256, queueLimit: 0 });
  const signal = new AbortController().signal;
  const conversation = prompt(11, 30);
  const first = new Greedy(conversation, 5);
  await scheduler.submit({ tasks: [first] }, signal);
  const unrelated = new Greedy([conversation[0]!, 3, 4, 5], 2); // shares one id
  await scheduler.submit({ tasks: [unrelated] }, signal);
  assert.equal(unrelated.reused, 0, "it went to the empty slot");
  const followUp = new Greedy([...conversation, ...first.ids.slice(0, 4), 9, 9], 2);
  await scheduler.submit({ tasks: [followUp] }, signal);
  assert.equal(followUp.reused, conversation.length + 4, "the conversation's prompt and reply came from the cache");
  const cached = scheduler.stats().slots.map((s) => s.cachedTokens).sort((x, y) => x - y);
  assert.deepEqual(cached, [4 + 1, conversation.length + 4 + 2 + 1]);
});

test("close() refuses new jobs and ends waiting and running ones with its reason", async () => {
  const scheduler = new Scheduler(network, { slots: 1, contextLength: 256, queueLimit: 2 });
  const running = scheduler.submit({ tasks: [new Greedy(prompt(12, 3), 200)] }, new AbortController().signal);
  const waiting = scheduler.submit({ tasks: [new Greedy(prompt(13, 3), 2)] }, new AbortController().signal);
  await new Promise((resolve) => setImmediate(resolve));
  const reason = new ApiError(503, "stopping", "unavailable_error");
  scheduler.close(reason);
  await assert.rejects(running, (e: unknown) => e === reason);
  await assert.rejects(waiting, (e: unknown) => e === reason);
  assert.throws(() => scheduler.submit({ tasks: [new Greedy([1], 1)] }, new AbortController().signal), (e: unknown) => e === reason);
});
