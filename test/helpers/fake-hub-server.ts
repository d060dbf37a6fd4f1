// Serves the test repos (hub-repos.ts) from a fake hub (fake-hub.ts) until its
// standard input closes, for scripts outside the test runner: the first line of
// its output is JSON {"endpoint", "repos": {name: {"commit", "etags": {path: etag}}}}.
// scripts/refs/hub-cache-layout.py runs huggingface_hub against it.
import { FakeHub, hubEtag } from "./fake-hub.js";
import { buildHubRepos, serveRepos } from "./hub-repos.js";

const repos = await buildHubRepos();
const hub = await FakeHub.start();
serveRepos(hub, repos);
const described = Object.fromEntries(
  [...repos.repos].map(([name, repo]) => [name, { commit: repo.commit, etags: Object.fromEntries([...repo.files].map(([path, bytes]) => [path, hubEtag(path, bytes)])) }]),
);
process.stdout.write(`${JSON.stringify({ endpoint: hub.endpoint, repos: described })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void hub.close().then(() => repos.dispose());
});
