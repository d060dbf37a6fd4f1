// Hugging Face model folders: single-file and sharded safetensors, and inconsistent indexes.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelFormatError } from "../../../src/errors.js";
import { readSafetensorsDir } from "../../../src/io/safetensors-index.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";

const tensor = (name: string, value: number) => ({ name, shape: [2], data: new Float32Array([value, -value]) });

describe("readSafetensorsDir", () => {
  let root: string;
  let count = 0;
  before(async () => (root = await mkdtemp(join(tmpdir(), "lmscope-index-"))));
  after(async () => rm(root, { recursive: true, force: true }));

  /** A fresh model folder with shards "a.safetensors" (x, y) and "b.safetensors" (z), and the given index. */
  async function shardedFolder(weightMap: unknown, extraInB: string[] = []): Promise<string> {
    const dir = join(root, `model-${count++}`);
    await mkdir(dir);
    await writeSafetensors(join(dir, "a.safetensors"), [tensor("x", 1), tensor("y", 2)]);
    await writeSafetensors(join(dir, "b.safetensors"), [tensor("z", 3), ...extraInB.map((n) => tensor(n, 4))]);
    await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: 24 }, weight_map: weightMap }));
    return dir;
  }

  function rejectsWith(file: string, pattern: RegExp, tensorName?: string) {
    return (error: unknown): boolean => {
      assert.ok(error instanceof ModelFormatError, String(error));
      assert.ok(error.message.includes(file), error.message);
      assert.equal(error.tensor, tensorName);
      assert.match(error.message, pattern);
      return true;
    };
  }

  const goodMap = { x: "a.safetensors", y: "a.safetensors", z: "b.safetensors" };

  it("reads model.safetensors", async () => {
    const dir = join(root, "single");
    await mkdir(dir);
    await writeSafetensors(join(dir, "model.safetensors"), [tensor("w", 5)]);
    const tensors = await readSafetensorsDir(dir);
    assert.deepEqual([...tensors.keys()], ["w"]);
    assert.deepEqual([...tensors.get("w")!.data], [5, -5]);
  });

  it("reads every shard listed in model.safetensors.index.json", async () => {
    const tensors = await readSafetensorsDir(await shardedFolder(goodMap));
    assert.deepEqual([...tensors.keys()].sort(), ["x", "y", "z"]);
    assert.deepEqual([...tensors.get("z")!.data], [3, -3]);
    assert.deepEqual(tensors.get("y")!.shape, [2]);
  });

  it("rejects a missing shard, naming the index and the shard", async () => {
    const dir = await shardedFolder({ ...goodMap, w: "c.safetensors" });
    await assert.rejects(readSafetensorsDir(dir), rejectsWith("model.safetensors.index.json", /lists shard "c.safetensors", which does not exist/));
  });

  it("rejects a tensor the index places in another shard than the one holding it", async () => {
    const dir = await shardedFolder({ ...goodMap, z: "a.safetensors" });
    await assert.rejects(readSafetensorsDir(dir), rejectsWith("a.safetensors", /says this tensor is in "a.safetensors", but it is not there/, "z"));
  });

  it("rejects a tensor that appears in two shards", async () => {
    const dir = await shardedFolder(goodMap, ["x"]);
    await assert.rejects(readSafetensorsDir(dir), rejectsWith("b.safetensors", /also appears in another shard/, "x"));
  });

  it("rejects a tensor that no index entry lists", async () => {
    const dir = await shardedFolder(goodMap, ["extra"]);
    await assert.rejects(readSafetensorsDir(dir), rejectsWith("b.safetensors", /is not listed in model.safetensors.index.json/, "extra"));
  });

  it("rejects shard names that leave the folder and malformed indexes", async () => {
    for (const shard of ["../a.safetensors", "/etc/passwd", "sub/a.safetensors", "..", "a\\b"]) {
      const dir = await shardedFolder({ ...goodMap, x: shard });
      await assert.rejects(readSafetensorsDir(dir), rejectsWith("model.safetensors.index.json", /is not a plain file name/, "x"));
    }
    await assert.rejects(readSafetensorsDir(await shardedFolder(["x"])), rejectsWith("index.json", /has no "weight_map" object/));
    await assert.rejects(readSafetensorsDir(await shardedFolder({ x: 1 })), rejectsWith("index.json", /weight_map value is not a file name/, "x"));
    const dir = await shardedFolder(goodMap);
    await writeFile(join(dir, "model.safetensors.index.json"), "{not json");
    await assert.rejects(readSafetensorsDir(dir), rejectsWith("index.json", /is not valid UTF-8 JSON/));
  });

  it("explains a folder without safetensors, mentioning pytorch_model.bin when present", async () => {
    const empty = join(root, "empty");
    await mkdir(empty);
    await assert.rejects(readSafetensorsDir(empty), rejectsWith(empty, /no model.safetensors or model.safetensors.index.json in this folder$/));
    await writeFile(join(empty, "pytorch_model.bin"), "pickle");
    await assert.rejects(readSafetensorsDir(empty), rejectsWith(empty, /found pytorch_model.bin, but PyTorch pickle checkpoints are not supported/));
    await assert.rejects(readSafetensorsDir(join(root, "no-such-folder")), rejectsWith("no-such-folder", /no model.safetensors/));
  });
});
