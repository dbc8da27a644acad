import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("npm start", () => {
  let home: string | undefined;
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("runs the manager and the dashboard, prints the URL, and stops everything on SIGTERM", async () => {
    home = await mkdtemp(join(tmpdir(), "weft-start-"));
    const [apiPort, webPort] = [await freePort(), await freePort()];
    // The turbo task graph builds the dashboard before this test runs.
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: packageDir,
      env: { ...process.env, WEFT_SKIP_BUILD: "1", WEFT_HOME: home, WEFT_API_PORT: String(apiPort), WEFT_WEB_PORT: String(webPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += String(chunk)));
    child.stderr.on("data", (chunk) => (output += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          if (output.includes("Weft is running.")) {
            clearInterval(timer);
            resolve();
          }
          if (child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`npm start exited early:\n${output}`));
          }
        }, 200);
      });
      expect(output).toContain(`Dashboard:   http://127.0.0.1:${webPort}`);

      const page = await fetch(`http://127.0.0.1:${webPort}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Weft");
      // The dashboard forwards the API, so the browser needs one origin only.
      const health = await fetch(`http://127.0.0.1:${webPort}/healthz`);
      expect(await health.json()).toMatchObject({ status: "ok", database: { status: "up" } });
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(output).toContain("weft: stopped.");
    expect(await isListening(apiPort)).toBe(false);
    expect(await isListening(webPort)).toBe(false);
    // The manager shut down cleanly: it released the state folder's lock.
    if (!process.env.DATABASE_URL) expect(existsSync(join(home, "manager.lock"))).toBe(false);
  });
});
