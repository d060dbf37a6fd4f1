"""The Hugging Face cache layout huggingface_hub makes, as the reference for
lmscope's hub cache (test/unit/hub/hub-layout.test.ts).

It starts lmscope's fake hub (dist/test/helpers/fake-hub-server.js, built by
`npx tsc -p .`), downloads with huggingface_hub the files an lmscope load fetches
(hf_hub_download, file by file, as transformers' from_pretrained does), and
writes every entry of the cache: folders, symlinks with their targets, refs
with their content, and for each blob the served file whose bytes it holds. ETags and commit hashes are written as {etag:<repo>/<path>} and
{commit:<repo>}, so that the layout does not depend on the test models' bytes.
Lock files (.locks/) are left out: Python's filelock and lmscope's lock files
differ by design. It also checks the other way round: after `lmscope download`
into another cache, huggingface_hub finds every file offline and scan_cache_dir
reports no problem.

    pip install huggingface_hub
    python3 scripts/refs/hub-cache-layout.py > test/fixtures/hub-cache-layout.json
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARDED = "lmscope-test/tiny-llama"
GGUF_REPO = "lmscope-test/tiny-llama-GGUF"
SHARDED_FILES = [
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "model.safetensors.index.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
]
GGUF_FILE = "tiny-llama-Q8_0.gguf"


def main():
    server = subprocess.Popen(
        ["node", os.path.join(ROOT, "dist/test/helpers/fake-hub-server.js")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        hub = json.loads(server.stdout.readline())
        cache = tempfile.mkdtemp(prefix="hf-layout-")
        os.environ["HF_HUB_CACHE"] = cache
        os.environ["HF_ENDPOINT"] = hub["endpoint"]
        os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
        os.environ.pop("HF_TOKEN", None)
        import huggingface_hub
        from huggingface_hub import hf_hub_download

        for name in SHARDED_FILES:
            hf_hub_download(SHARDED, name, token=False)
        hf_hub_download(GGUF_REPO, GGUF_FILE, token=False)

        names = {}
        for repo, info in hub["repos"].items():
            names[info["commit"]] = "{commit:%s}" % repo
            for path, etag in info["etags"].items():
                names.setdefault(etag, "{etag:%s/%s}" % (repo, path))

        def holder(path):
            """The repo file whose bytes a blob holds (by its sha256 or git blob sha1)."""
            data = open(path, "rb").read()
            sha256 = hashlib.sha256(data).hexdigest()
            sha1 = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
            for repo, info in hub["repos"].items():
                for file, etag in info["etags"].items():
                    if etag in (sha256, sha1):
                        return "%s/%s" % (repo, file)
            raise AssertionError("blob %s holds no served file" % path)

        def symbolic(path):
            return "/".join(names.get(part, part) for part in path.split("/"))

        entries = []
        for folder, dirs, files in os.walk(cache):
            dirs.sort()
            rel_folder = os.path.relpath(folder, cache)
            if rel_folder.split(os.sep)[0] == ".locks":
                continue
            for name in dirs + sorted(files):
                full = os.path.join(folder, name)
                rel = os.path.normpath(os.path.join(rel_folder, name)).replace(os.sep, "/")
                if rel.split("/")[0] == ".locks":
                    continue
                if os.path.islink(full):
                    entries.append({"path": symbolic(rel), "kind": "symlink", "target": symbolic(os.readlink(full))})
                elif os.path.isdir(full):
                    entries.append({"path": symbolic(rel), "kind": "dir"})
                elif "/refs/" in "/" + rel:
                    entries.append({"path": symbolic(rel), "kind": "file", "content": symbolic(open(full).read())})
                elif "/blobs/" in "/" + rel:
                    entries.append({"path": symbolic(rel), "kind": "file", "holds": holder(full)})
                else:
                    entries.append({"path": symbolic(rel), "kind": "file", "first_line": open(full).readline().rstrip("\n")})
        entries.sort(key=lambda e: e["path"])

        # The other way round: what lmscope downloads, huggingface_hub finds offline.
        lmscope_cache = tempfile.mkdtemp(prefix="lmscope-layout-")
        env = dict(os.environ, HF_HUB_CACHE=lmscope_cache)
        cli = os.path.join(ROOT, "dist/src/cli/bin.js")
        subprocess.run(["node", cli, "download", SHARDED], env=env, check=True, capture_output=True)
        subprocess.run(["node", cli, "download", f"{GGUF_REPO}/{GGUF_FILE}"], env=env, check=True, capture_output=True)
        for repo, files in [(SHARDED, SHARDED_FILES), (GGUF_REPO, [GGUF_FILE])]:
            for name in files:
                path = hf_hub_download(repo, name, cache_dir=lmscope_cache, local_files_only=True)
                served = hub["repos"][repo]["etags"][name]
                assert os.path.basename(os.path.realpath(path)) == served, (repo, name)
        scan = huggingface_hub.scan_cache_dir(lmscope_cache)
        assert not scan.warnings and len(scan.repos) == 2, scan.warnings
        print("huggingface_hub reads lmscope's cache offline: ok", file=sys.stderr)
        json.dump({"source": f"huggingface_hub {huggingface_hub.__version__} hf_hub_download", "entries": entries}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    finally:
        server.stdin.close()
        server.wait(timeout=30)


main()
