// A PostgreSQL server of the fault suite's own (initdb + pg_ctl from Debian's
// postgresql package, in a temporary folder, on a free port), so that a test
// may restart it under the manager without touching any other database.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { chownSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../free-port.ts";

const BIN = (() => {
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error("no PostgreSQL under /usr/lib/postgresql: install Debian's postgresql package");
  return join("/usr/lib/postgresql", versions[0], "bin");
})();

export interface PrivatePostgres {
  url: string;
  port: number;
  /** pg_ctl stop -m fast: every session ends; the data stays for `start`. */
  pause(): Promise<void>;
  /** Starts the server again after `pause` (resolves once it accepts connections). */
  resume(): Promise<void>;
  /** Stops the server for good and removes its folder. */
  stop(): Promise<void>;
}

/** initdb refuses to run as root: as root, the server runs as the postgres user. Never blocks the event loop (the test watches /healthz meanwhile). */
async function run(tool: string, args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", join(BIN, tool), ...args]] : [join(BIN, tool), args];
  await promisify(execFile)(command, argv, { timeout: 120_000 });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), "weft-faults-pg-"));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString()), Number(execFileSync("id", ["-g", "postgres"]).toString()));
  const data = join(dir, "data");
  const port = await freePort();
  await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const pgCtl = (...args: string[]) => run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "60", ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  await pgCtl("-o", options, "start");
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    pause: () => pgCtl("-m", "fast", "stop"),
    resume: () => pgCtl("-o", options, "start"),
    async stop() {
      try {
        await pgCtl("-m", "immediate", "stop").catch(() => undefined);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
