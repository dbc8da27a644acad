// Drives the real dashboard in Chromium against a real manager: both run as
// child processes (web may reach the API package only as types). Needs a prior
// `next build` of apps/web; it builds nothing itself.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const WEB_DIR = resolve(import.meta.dirname, "..");
const REPO_DIR = resolve(WEB_DIR, "../..");
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = join(WEB_DIR, "test-results", "overview.png");
const HOST = "127.0.0.1";
// With DATABASE_URL set the manager uses that PostgreSQL instead of the embedded one.
const EXPECTED_KIND = process.env.DATABASE_URL ? "External" : "Embedded";

interface Running {
  name: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<void>;
}

const running: Running[] = [];

/** Starts a command as the leader of its own process group, so stopping it stops its children too. */
function launch(name: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Running {
  const child = spawn(process.execPath, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const proc = { name, child, output, exited };
  running.push(proc);
  return proc;
}

function killGroup(proc: Running, signal: NodeJS.Signals): void {
  if (proc.child.pid === undefined) return;
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

async function stop(proc: Running): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    killGroup(proc, "SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), delay(15_000).then(() => false)]);
    if (!exited) killGroup(proc, "SIGKILL");
    await proc.exited;
  }
  // Whatever the leader left behind in its group.
  killGroup(proc, "SIGKILL");
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
    });
  });
}

/** Polls `url` until it answers 200, failing early (with the process's output) if the process dies. */
async function waitUntilServing(url: string, proc: Running, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before serving ${url}:\n${proc.output.join("")}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await delay(250);
  }
  throw new Error(`${proc.name} did not serve ${url} within ${timeoutMs} ms:\n${proc.output.join("")}`);
}

describe("dashboard overview in Chromium", () => {
  let home: string;
  let manager: Running;
  let dashboard: Running;
  let webOrigin: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const apiRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(WEB_DIR, ".next", "BUILD_ID"))) {
      throw new Error("apps/web has no production build: run `npm run build -w @weft/web` first.");
    }
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);

    home = await mkdtemp(join(tmpdir(), "weft-web-test-"));
    const [apiPort, webPort] = [await freePort(), await freePort()];
    webOrigin = `http://${HOST}:${webPort}`;

    manager = launch("weft-manager", [join(REPO_DIR, "apps/api/bin/weft-manager.js")], {
      cwd: REPO_DIR,
      env: { ...process.env, WEFT_HOME: home, WEFT_API_HOST: HOST, WEFT_API_PORT: String(apiPort), WEFT_DB_PORT: "0", WEFT_LOG_LEVEL: "warn" },
    });
    dashboard = launch("dashboard", ["--import", "tsx", "scripts/next.ts", "start"], {
      cwd: WEB_DIR,
      env: { ...process.env, WEFT_WEB_HOST: HOST, WEFT_WEB_PORT: String(webPort), WEFT_API_HOST: HOST, WEFT_API_PORT: String(apiPort) },
    });
    await Promise.all([waitUntilServing(`http://${HOST}:${apiPort}/healthz`, manager), waitUntilServing(webOrigin, dashboard)]);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("request", (request) => {
      if (request.url().includes("/trpc/")) apiRequests.push(request.url());
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await Promise.all(running.map((proc) => stop(proc)));
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("forwards /healthz to the manager on the dashboard's own origin", async () => {
    const response = await fetch(`${webOrigin}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok", database: { status: "up" } });
  });

  it("shows the manager and its database as healthy", async () => {
    await page.goto(webOrigin);
    await expect(page.title()).resolves.toBe("Overview · Weft");

    // Landmarks and headings a screen reader user navigates by.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).waitFor();
    expect(await page.getByRole("link", { name: "Overview" }).getAttribute("aria-current")).toBe("page");
    await page.getByRole("main").getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.getByRole("heading", { level: 2, name: "Manager health" }).waitFor();

    await page.getByTestId("database-status").filter({ hasText: "Up" }).waitFor({ timeout: 30_000 });
    await page.getByRole("status", { name: "Manager status" }).filter({ hasText: "Healthy" }).waitFor();
    expect(await page.getByTestId("health-overall").textContent()).toBe("Healthy");
    expect(await page.getByTestId("database-kind").textContent()).toBe(EXPECTED_KIND);
    expect(await page.getByTestId("health-version").textContent()).toMatch(/^\d+\.\d+\.\d+/);
    expect(await page.getByTestId("database-target").textContent()).toMatch(/^[\w.[\]:-]+:\d+\/\w+$/);
    expect(await page.getByTestId("database-latency").textContent()).toMatch(/^(<1 ms|\d+(\.\d)? ms|\d+\.\d\d s)$/);
    expect(await page.getByTestId("health-error").count()).toBe(0);

    // The browser reached the API through the dashboard, not the manager's port.
    expect(apiRequests.length).toBeGreaterThan(0);
    for (const url of apiRequests) expect(url.startsWith(`${webOrigin}/trpc/`)).toBe(true);

    await mkdir(join(WEB_DIR, "test-results"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it("refreshes on its own every few seconds", async () => {
    const uptime = page.getByTestId("health-uptime");
    const before = await uptime.textContent();
    const requestsBefore = apiRequests.length;
    await page.waitForFunction(
      (previous) => document.querySelector('[data-testid="health-uptime"]')?.textContent !== previous,
      before,
      { timeout: 15_000 },
    );
    expect(apiRequests.length).toBeGreaterThan(requestsBefore);
  });

  it("shows the error clearly when the manager stops", async () => {
    await stop(manager);
    const alert = page.getByTestId("health-error");
    await alert.waitFor({ timeout: 30_000 });
    expect(await alert.getAttribute("role")).toBe("alert");
    expect(await alert.textContent()).toContain("Cannot reach the Weft manager API");
    expect(await alert.textContent()).toContain("HTTP 500");
    // The last answer stays visible, marked as old rather than passed off as current.
    expect(await page.getByTestId("health-report").getAttribute("data-stale")).toBe("true");
    await page.screenshot({ path: join(WEB_DIR, "test-results", "overview-unreachable.png"), fullPage: true });
  });
});
