// Model ids naming a repository on the Hugging Face hub:
//
//   org/name                      a repo (a local path of the same name wins)
//   hf:org/name                   the same, always the hub
//   hf:org/name@revision          a branch, tag or commit (also refs/pr/N)
//   hf:org/name:Q4_K_M            a GGUF repo's file chosen by its quant label
//   hf:org/name/dir/file.gguf     one file of the repo
//   hf:org/name@v1.0:Q8_0         revision and quant together
//   hf:gpt2                       a repo without an organisation (hf: only)
//
// Repo names follow the hub's rules (huggingface_hub validate_repo_id: letters,
// digits, "-", "_", "." in one or two segments, no "--" or "..", at most 96
// characters). The quant syntax is llama.cpp's `-hf org/name:QUANT`. Nothing
// here touches the file system: browsers use it too.
import { OptionError } from "../../errors.js";

export interface HubModelId {
  /** "org/name" (or "name"). */
  readonly repo: string;
  /** Branch, tag or commit; "main" when not given. */
  readonly revision: string;
  /** A GGUF quant label such as "Q4_K_M", when given. */
  readonly quant?: string;
  /** A path inside the repo, when given. */
  readonly file?: string;
}

export const HUB_PREFIX = "hf:";
export const DEFAULT_REVISION = "main";

const SEGMENT = String.raw`[A-Za-z0-9][A-Za-z0-9_.-]*`;
const REVISION = String.raw`refs/pr/\d+|[^\s:/@]+`;
const QUANT = String.raw`[A-Za-z0-9_]+`;
const FULL = new RegExp(String.raw`^(${SEGMENT}(?:/${SEGMENT})?)(?:@(${REVISION}))?(?::(${QUANT})|/([^\s:@]+))?$`);
const TWO_SEGMENTS = new RegExp(String.raw`^${SEGMENT}/${SEGMENT}(?:@(?:${REVISION}))?(?::${QUANT})?$`);

/** Extensions that make a bare "a/b.ext" a file path, never a repo. */
const FILE_EXTENSIONS = /\.(gguf|bin|safetensors|json|txt|model|pt|pth)$/i;

const USAGE = "expected [hf:]org/name[@revision][:QUANT | /path/in/repo]";

function validRepo(repo: string): boolean {
  return repo.length <= 96 && !repo.includes("--") && !repo.includes("..") && !repo.split("/").some((s) => s.endsWith(".") || s.endsWith("-"));
}

function validFile(file: string): boolean {
  return file.split("/").every((part) => part !== "" && part !== "." && part !== "..") && !file.includes("\\");
}

/**
 * The hub id `spec` names, or undefined when it is not one: without the "hf:" prefix
 * only "org/name" with an optional @revision and :QUANT counts (a path such as
 * "models/x.gguf" or "./a/b" does not). With the prefix, a malformed id is an OptionError.
 */
export function parseHubModelId(spec: string): HubModelId | undefined {
  const explicit = spec.startsWith(HUB_PREFIX);
  const body = explicit ? spec.slice(HUB_PREFIX.length) : spec;
  if (!explicit && (!TWO_SEGMENTS.test(body) || FILE_EXTENSIONS.test(body.split(/[@:]/)[0]!))) return undefined;
  const match = FULL.exec(body);
  const repo = match?.[1];
  const file = match?.[4];
  if (match === null || repo === undefined || !validRepo(repo) || (file !== undefined && !validFile(file))) {
    if (!explicit) return undefined;
    throw new OptionError("model", `${JSON.stringify(spec)} is not a hub model id: ${USAGE}`);
  }
  const id: { repo: string; revision: string; quant?: string; file?: string } = { repo, revision: match[2] ?? DEFAULT_REVISION };
  if (match[3] !== undefined) id.quant = match[3];
  if (file !== undefined) id.file = file;
  return id;
}

/** The id written back in its canonical form (for messages). */
export function formatHubModelId(id: HubModelId): string {
  const revision = id.revision === DEFAULT_REVISION ? "" : `@${id.revision}`;
  const tail = id.quant !== undefined ? `:${id.quant}` : id.file !== undefined ? `/${id.file}` : "";
  return `${HUB_PREFIX}${id.repo}${revision}${tail}`;
}
