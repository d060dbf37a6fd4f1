// Where the hub is and where its files are kept, from the environment variables
// Python's huggingface_hub reads (its constants.py), so that both find the same
// cache and the same token:
//   HF_HOME          default $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface
//   HF_HUB_CACHE     default $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub
//   HF_ENDPOINT      default https://huggingface.co
//   HF_TOKEN         default $HUGGING_FACE_HUB_TOKEN, else the file $HF_TOKEN_PATH
//                    (default $HF_HOME/token, written by `hf auth login`)
//   HF_HUB_OFFLINE   (when unset, TRANSFORMERS_OFFLINE) 1/true/yes/on: the cache only
// Paths get "~" and $VAR expanded, as Python's expanduser/expandvars do.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export const DEFAULT_ENDPOINT = "https://huggingface.co";

export interface HubSettings {
  /** The hub's base URL, without a trailing slash. */
  readonly endpoint: string;
  /** The hub cache folder (holding models--org--name/). */
  readonly cacheDir: string;
  /** The access token sent to the endpoint, if any. */
  readonly token: string | undefined;
  /** True: never touch the network, use the cache only. */
  readonly offline: boolean;
}

/** Settings given in code; each one given wins over the environment. */
export interface HubOptions {
  endpoint?: string;
  cacheDir?: string;
  /** An access token, or false to send none even when HF_TOKEN is set. */
  token?: string | false;
  offline?: boolean;
}

type Environment = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Python's os.path.expanduser + expandvars: a leading ~ and $NAME / ${NAME} of variables that are set. */
function expandPath(path: string, env: Environment): string {
  const user = path === "~" || path.startsWith("~/") ? homedir() + path.slice(1) : path;
  return user.replace(/\$(\w+)|\$\{([^}]+)\}/g, (whole, bare: string | undefined, braced: string | undefined) => env[bare ?? braced!] ?? whole);
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "on", "yes", "true"].includes(value.trim().toLowerCase());
}

/** HF_HOME as huggingface_hub computes it. */
export function hfHome(env: Environment = process.env): string {
  const fallback = join(nonEmpty(env["XDG_CACHE_HOME"]) ?? join(homedir(), ".cache"), "huggingface");
  return expandPath(nonEmpty(env["HF_HOME"]) ?? fallback, env);
}

/** The hub cache folder: $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub. */
export function hubCacheDir(env: Environment = process.env): string {
  return expandPath(nonEmpty(env["HF_HUB_CACHE"]) ?? nonEmpty(env["HUGGINGFACE_HUB_CACHE"]) ?? join(hfHome(env), "hub"), env);
}

/** The token: $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN, else the token file; undefined when none is set. */
export async function hubToken(env: Environment = process.env): Promise<string | undefined> {
  const fromEnv = nonEmpty(env["HF_TOKEN"]?.trim()) ?? nonEmpty(env["HUGGING_FACE_HUB_TOKEN"]?.trim());
  if (fromEnv !== undefined) return fromEnv;
  const file = expandPath(nonEmpty(env["HF_TOKEN_PATH"]) ?? join(hfHome(env), "token"), env);
  try {
    return nonEmpty((await readFile(file, "utf8")).trim());
  } catch {
    return undefined;
  }
}

export async function hubSettings(options: HubOptions = {}, env: Environment = process.env): Promise<HubSettings> {
  return {
    endpoint: (options.endpoint ?? nonEmpty(env["HF_ENDPOINT"]) ?? DEFAULT_ENDPOINT).replace(/\/+$/, ""),
    cacheDir: options.cacheDir ?? hubCacheDir(env),
    token: options.token === false ? undefined : (options.token ?? (await hubToken(env))),
    offline: options.offline ?? isTrue(nonEmpty(env["HF_HUB_OFFLINE"]) ?? env["TRANSFORMERS_OFFLINE"]),
  };
}
