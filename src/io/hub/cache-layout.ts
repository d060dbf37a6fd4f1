// The Hugging Face hub cache, laid out exactly as Python's huggingface_hub lays
// it (file_download.py: repo_folder_name, _cache_commit_hash_for_specific_revision,
// _create_symlink, _get_pointer_path), so that transformers finds what lmscope
// downloaded and the other way round:
//
//   <cache>/CACHEDIR.TAG
//   <cache>/models--org--name/
//     blobs/<etag>                      the file's bytes, named by its ETag
//                                       (sha256 for LFS files, git sha1 otherwise)
//     snapshots/<commit>/<path>         relative symlink → ../../blobs/<etag>
//                                       (one more ../ per folder level of <path>)
//     refs/<revision>                   the commit hash a branch or tag pointed to
//   <cache>/.locks/models--org--name/   lock files of downloads in progress
//
// Names that come from the server (etag, commit, file paths) are checked so that
// none can point outside the repo's folder.
import { randomBytes } from "node:crypto";
import { copyFile, lstat, mkdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { HubError } from "../../errors.js";

/** A full commit hash (huggingface_hub REGEX_COMMIT_HASH). */
export const COMMIT_HASH = /^[0-9a-f]{40}$/;
const ETAG = /^[A-Za-z0-9_.-]{1,200}$/;

/** The CACHEDIR.TAG standard's signature line (https://bford.info/cachedir/), as huggingface_hub writes it. */
const CACHEDIR_TAG =
  "Signature: 8a477f597d28d172789f06886806bc55\n" +
  "# This file is a cache directory tag created by lmscope (the Hugging Face hub cache).\n" +
  "# For information about cache directory tags, see:\n" +
  "#\thttps://bford.info/cachedir/\n";

/** "models--org--name", as huggingface_hub repo_folder_name names a model repo's folder. */
export function repoFolderName(repo: string): string {
  return ["models", ...repo.split("/")].join("--");
}

/** A repo path is relative, made of ordinary names, and uses "/" between them. */
export function isSafeRepoPath(path: string): boolean {
  return path !== "" && !path.startsWith("/") && !path.includes("\\") && !path.includes("\0") && path.split("/").every((p) => p !== "" && p !== "." && p !== "..");
}

/** One repo's folder in the cache. */
export class RepoCache {
  readonly storage: string;
  readonly locks: string;

  constructor(
    readonly cacheDir: string,
    readonly repo: string,
  ) {
    this.storage = join(cacheDir, repoFolderName(repo));
    this.locks = join(cacheDir, ".locks", repoFolderName(repo));
  }

  checkEtag(etag: string, file: string): void {
    if (!ETAG.test(etag) || etag === "." || etag === "..") throw new HubError(this.repo, "protocol", `the server sent an unusable ETag ${JSON.stringify(etag)}`, file);
  }

  checkCommit(commit: string, file?: string): void {
    if (!COMMIT_HASH.test(commit)) throw new HubError(this.repo, "protocol", `the server sent ${JSON.stringify(commit)} where a 40-hex commit hash belongs`, file);
  }

  checkPath(path: string): void {
    if (!isSafeRepoPath(path)) throw new HubError(this.repo, "protocol", `the server listed a file name that is not a plain relative path: ${JSON.stringify(path)}`);
  }

  get blobsDir(): string {
    return join(this.storage, "blobs");
  }

  blobPath(etag: string): string {
    return join(this.blobsDir, etag);
  }

  incompletePath(etag: string): string {
    return `${this.blobPath(etag)}.incomplete`;
  }

  lockPath(etag: string): string {
    return join(this.locks, `${etag}.lmscope.lock`);
  }

  snapshotDir(commit: string): string {
    return join(this.storage, "snapshots", commit);
  }

  pointerPath(commit: string, file: string): string {
    return join(this.snapshotDir(commit), ...file.split("/"));
  }

  /** The commit a branch or tag was last seen at, or undefined. */
  async readRef(revision: string): Promise<string | undefined> {
    if (COMMIT_HASH.test(revision)) return revision;
    try {
      const commit = (await readFile(join(this.storage, "refs", ...revision.split("/")), "utf8")).trim();
      return COMMIT_HASH.test(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records that `revision` points at `commit` (atomically; nothing for a commit hash or an unchanged ref). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit || (await this.readRef(revision)) === commit) return;
    const path = join(this.storage, "refs", ...revision.split("/"));
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(temporary, commit);
    await rename(temporary, path);
  }

  /** True when the snapshot holds `file` and, through its link, the bytes. */
  async hasFile(commit: string, file: string): Promise<boolean> {
    return stat(this.pointerPath(commit, file)).then(
      (info) => info.isFile(),
      () => false,
    );
  }

  /** Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (a copy where symlinks fail). */
  async linkSnapshot(commit: string, file: string, etag: string): Promise<void> {
    const pointer = this.pointerPath(commit, file);
    const blob = this.blobPath(etag);
    await mkdir(dirname(pointer), { recursive: true });
    const target = relative(dirname(pointer), blob).split(sep).join("/");
    const existing = await lstat(pointer).catch(() => undefined);
    if (existing !== undefined) {
      if (existing.isSymbolicLink() && (await readlink(pointer)) === target) return;
      await rm(pointer, { force: true });
    }
    try {
      await symlink(target, pointer);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && (await readlink(pointer).catch(() => "")) === target) return;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EACCES") throw error;
      await copyFile(blob, pointer);
    }
  }

  /** Writes CACHEDIR.TAG at the cache root when there is none. */
  async tagCacheDir(): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true });
    await writeFile(join(this.cacheDir, "CACHEDIR.TAG"), CACHEDIR_TAG, { flag: "wx" }).catch(() => undefined);
  }
}
