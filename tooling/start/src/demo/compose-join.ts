// The Docker Compose demo's join step (docker-compose.yml, service
// demo-join): signs in as the first admin with the password the manager
// wrote to its home volume, creates each demo cluster and writes its
// one-time join token where that cluster's agent reads it as its config
// file. A cluster whose file exists is left alone: its agent has joined
// with that token, and the same token given again reuses the stored
// credential (apps/agent/src/sync/credentials.ts).
//   node --import tsx compose-join.ts <manager-url> <manager-home> <out-dir> <cluster>...
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { applyDemoMesh, joinToken } from "./demo.ts";
import { ManagerApi } from "./manager-api.ts";

const [url, home, out, ...clusters] = process.argv.slice(2);
if (!url || !home || !out || clusters.length === 0) {
  console.error("usage: compose-join.ts <manager-url> <manager-home> <out-dir> <cluster>...");
  process.exit(2);
}
const missing = clusters.filter((c) => !existsSync(join(out, `${c}.yaml`)));
if (missing.length > 0) {
  const api = await ManagerApi.asFirstAdmin(url, home);
  if (missing.length === clusters.length) await applyDemoMesh(api);
  for (const cluster of missing) {
    // "wx": two racing runs must not hand out two tokens for one file.
    await writeFile(join(out, `${cluster}.yaml`), `# Written by the compose demo's join step.\njoinToken: ${await joinToken(api, cluster)}\n`, { mode: 0o600, flag: "wx" });
    console.log(`cluster ${cluster}: join token written to ${join(out, `${cluster}.yaml`)}`);
  }
}
