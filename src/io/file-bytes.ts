// Whole-file reads with the size checked before allocating, and atomic writes
// (temporary file in the same folder, then rename(2), so readers never see a
// half-written file). Shared by every weight-file reader and writer in io/.
import { constants } from "node:buffer";
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ModelFormatError } from "../errors.js";

/** Largest single read/write handed to the OS (Node rejects more than 2 GiB per call). */
const IO_CHUNK_BYTES = 1 << 30;

/**
 * Read a whole regular file into a fresh Uint8Array (byteOffset 0, so 4-byte aligned).
 * The size comes from fstat and is checked against `maxBytes` (and what one buffer can
 * hold) before allocating.
 */
export async function readWholeFile(path: string, maxBytes: number = constants.MAX_LENGTH): Promise<Uint8Array> {
  const limit = Math.min(maxBytes, constants.MAX_LENGTH);
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new ModelFormatError(path, `cannot open: ${(error as Error).message}`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ModelFormatError(path, "is not a regular file");
    if (stats.size > limit) {
      throw new ModelFormatError(path, `file is ${stats.size} bytes, more than the ${limit} bytes this reader accepts`);
    }
    const bytes = new Uint8Array(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const length = Math.min(IO_CHUNK_BYTES, bytes.length - filled);
      const { bytesRead } = await handle.read(bytes, filled, length, filled);
      if (bytesRead === 0) {
        throw new ModelFormatError(path, `file shrank while reading: got ${filled} of ${bytes.length} bytes`);
      }
      filled += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/**
 * Write `chunks` one after another to `path` atomically: into a temporary file beside it,
 * flushed, then renamed over `path`. On failure the temporary file is removed.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx");
  try {
    try {
      for (const chunk of chunks) {
        for (let done = 0; done < chunk.length; ) {
          const length = Math.min(IO_CHUNK_BYTES, chunk.length - done);
          const { bytesWritten } = await handle.write(chunk, done, length);
          done += bytesWritten;
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
