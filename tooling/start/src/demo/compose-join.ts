// The Docker Compose demo's join step (docker-compose.yml, service
// demo-join): signs in as the first admin with the password the manager
// wrote to its home volume, creates each demo cluster and writes its
// one-time join token where that cluster's agent reads it as its config
// file. A cluster whose file exists is left alone: its agent has joined
// with that token, and the same token given again reuses the stored
// credential (apps/agent/src/sync/credentials.ts). It also writes the API
// token Alertmanager posts to Weft's receiver with (alertmanager-token: a
// token of the first admin narrowed to OPERATOR, what the receiver needs).
//   node --import tsx compose-join.ts <manager-url> <manager-home> <out-dir> <cluster>...
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { joinToken } from "./demo.ts";
import { applyDemoMesh } from "./demo-mesh.ts";
import { ManagerApi } from "./manager-api.ts";

const [url, home, out, ...clusters] = process.argv.slice(2);
if (!url || !home || !out || clusters.length === 0) {
  console.error("usage: compose-join.ts <manager-url> <manager-home> <out-dir> <cluster>...");
  process.exit(2);
}
const missing = clusters.filter((c) => !existsSync(join(out, `${c}.yaml`)));
const alertmanagerToken = join(out, "alertmanager-token");
if (missing.length > 0 || !existsSync(alertmanagerToken)) {
  const api = await ManagerApi.asFirstAdmin(url, home);
  if (!existsSync(alertmanagerToken)) {
    const created = await api.mutation<{ token: string }>("tokens.create", { name: "alertmanager - compose demo", role: "OPERATOR" });
    // 0644: Alertmanager's image runs as another user (nobody); only containers that mount the volume can read it.
    await writeFile(alertmanagerToken, `${created.token}\n`, { mode: 0o644, flag: "wx" });
    console.log(`alertmanager: API token written to ${alertmanagerToken}`);
  }
  if (missing.length === clusters.length) await applyDemoMesh(api);
  for (const cluster of missing) {
    // "wx": two racing runs must not hand out two tokens for one file.
    await writeFile(join(out, `${cluster}.yaml`), `# Written by the compose demo's join step.\njoinToken: ${await joinToken(api, cluster)}\n`, { mode: 0o600, flag: "wx" });
    console.log(`cluster ${cluster}: join token written to ${join(out, `${cluster}.yaml`)}`);
  }
}
