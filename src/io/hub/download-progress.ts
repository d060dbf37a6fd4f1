// Progress of hub downloads: one bar per file and one for the total, drawn with
// the cli-progress package on a terminal; nothing at all when the stream is not
// a terminal (a pipe, a log file, CI), as huggingface_hub's tqdm bars behave.

import type { MultiBar, SingleBar } from "cli-progress";

/** One file's download. */
export interface FileProgress {
  /** `bytes` more arrived. */
  advance(bytes: number): void;
  /** The server ignored a resume request: the file starts again from 0. */
  restart(): void;
  finish(): void;
}

export interface DownloadProgress {
  /** The total of all files to download is known. */
  total(bytes: number): void;
  /** A file starts; `done` bytes of it are on disk already (a resumed download). */
  file(name: string, size: number | undefined, done: number): FileProgress;
  stop(): void;
}

const QUIET_FILE: FileProgress = { advance: () => undefined, restart: () => undefined, finish: () => undefined };

/** Reports nothing. */
export const quietProgress: DownloadProgress = { total: () => undefined, file: () => QUIET_FILE, stop: () => undefined };

/** "12.3 MB", as tqdm's unit_scale shows bytes. */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

/** Bars on `stream` when it is a terminal, else quiet. */
export async function terminalProgress(stream: NodeJS.WritableStream & { isTTY?: boolean }): Promise<DownloadProgress> {
  if (stream.isTTY !== true) return quietProgress;
  const { default: cliProgress } = await import("cli-progress");
  const bars: MultiBar = new cliProgress.MultiBar(
    {
      stream,
      format: "{name} |{bar}| {percentage}% {done}/{size}",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      gracefulExit: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const label = (name: string) => (name.length > 40 ? `(…)${name.slice(-37)}` : name.padEnd(40));
  let totalBar: SingleBar | undefined;
  let totalDone = 0;
  return {
    total(bytes) {
      totalBar = bars.create(bytes, 0, { name: label("total"), done: formatBytes(0), size: formatBytes(bytes) });
    },
    file(name, size, done) {
      const known = size ?? 0;
      const bar = bars.create(known, done, { name: label(name), done: formatBytes(done), size: size === undefined ? "?" : formatBytes(known) });
      let value = done;
      const moveTotal = (bytes: number) => {
        totalDone += bytes;
        totalBar?.update(totalDone, { done: formatBytes(totalDone) });
      };
      moveTotal(done);
      return {
        advance(bytes) {
          value += bytes;
          bar.update(value, { done: formatBytes(value) });
          moveTotal(bytes);
        },
        restart() {
          moveTotal(-value);
          value = 0;
          bar.update(0, { done: formatBytes(0) });
        },
        finish() {
          if (size === undefined) bar.setTotal(value);
          bar.update(value, { done: formatBytes(value) });
        },
      };
    },
    stop() {
      bars.stop();
    },
  };
}
