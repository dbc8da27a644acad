// What the dashboard's browser suites share: managed child processes, a
// manager on a fresh database with the built dashboard in front of it, tRPC
// clients for seeding, Chromium and its pages, screenshots, and one teardown
// that ends whatever was started, however far the start got.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "@weft/api";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { chromium, type Browser, type Page } from "playwright-core";
import superjson from "superjson";

export const WEB_DIR = resolve(import.meta.dirname, "..");
export const REPO_DIR = resolve(WEB_DIR, "../..");
export const CHROMIUM = "/usr/bin/chromium";
/** Every screenshot lands here; the ones for the docs also in DOCS_SHOTS. */
export const RESULTS = join(WEB_DIR, "test-results");
export const DOCS_SHOTS = join(REPO_DIR, "docs", "screenshots");
export const HOST = "127.0.0.1";

/** The flags from ARCHITECTURE.md, plus no QUIC: loopback HTTP only. */
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

/** A tRPC client for the manager. */
export type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

/** A child process started by `BrowserHarness.launch`, with the tail of its output for error messages. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<void>;
}

/** What `startManagerAndDashboard` started: the two origins and the first admin's password. */
export interface ManagerAndDashboard {
  apiOrigin: string;
  webOrigin: string;
  adminPassword: string;
}

/**
 * Fails early, with what to do, when the dashboard has no production build or
 * Chromium is missing; creates the screenshot folders.
 */
export async function checkPrerequisites({ docsScreenshots = false } = {}): Promise<void> {
  if (!existsSync(join(WEB_DIR, ".next", "BUILD_ID"))) throw new Error("apps/web has no production build: run `npx turbo run build --filter=@weft/web` first.");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  await mkdir(RESULTS, { recursive: true });
  if (docsScreenshots) await mkdir(DOCS_SHOTS, { recursive: true });
}

const handedOut = new Set<number>();
/** A TCP port on HOST that nothing listens on right now, never one this process was given before (the kernel may hand a just-closed port out again). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((done, fail) => {
      const server = createServer();
      server.once("error", fail);
      server.listen(0, HOST, () => {
        const address = server.address();
        server.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** Polls `url` until it answers 200, failing early (with the process's output) if the process dies. */
export async function waitUntilServing(url: string, proc: ManagedProcess, timeoutMs = 90_000): Promise<void> {
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

/** A tRPC client for the manager with fixed headers (a session cookie + CSRF token, or an agent's bearer credential). */
export function apiClient(apiOrigin: string, headers: Record<string, string>): Api {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${apiOrigin}/trpc`, transformer: superjson, headers })] });
}

/** Signs in over HTTP and returns a client acting with that session (cookie + CSRF header, as the browser does). */
export async function signIn(apiOrigin: string, username: string, password: string): Promise<Api> {
  const response = await fetch(`${apiOrigin}/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(superjson.serialize({ username, password })),
  });
  if (!response.ok) throw new Error(`login ${username}: HTTP ${response.status} ${await response.text()}`);
  const cookies = response.headers.getSetCookie().map((c) => c.split(";")[0] ?? "");
  const csrf = cookies.find((c) => c.startsWith("weft_csrf="))?.slice("weft_csrf=".length) ?? "";
  return apiClient(apiOrigin, { cookie: cookies.join("; "), "x-weft-csrf": decodeURIComponent(csrf) });
}

/** Creates cluster `name` as `admin` and joins it as its agent would; returns a client acting as that agent. */
export async function joinCluster(admin: Api, apiOrigin: string, name: string): Promise<Api> {
  const created = await admin.clusters.create.mutate({ name });
  const joined = await apiClient(apiOrigin, {}).agent.join.mutate({ joinToken: created.joinToken, agentVersion: "test" });
  return apiClient(apiOrigin, { authorization: `Bearer ${joined.credential}` });
}

/** The latency sketch of `values` (ms), as an agent's telemetry report carries it. */
export function latencySketch(values: number[]) {
  const sketch = new LatencySketch();
  for (const v of values) sketch.add(v);
  return sketch.toJSON();
}

/**
 * Opens a page in a context of its own (close it with `page.context().close()`);
 * `pageErrors` collects its uncaught errors and every Content-Security-Policy
 * violation the browser reports (a script or style the policy blocked).
 */
export async function openPage(browser: Browser, { height = 860, pageErrors }: { height?: number; pageErrors?: string[] } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height } });
  const page = await context.newPage();
  if (pageErrors) {
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (message) => {
      if (/Content.Security.Policy/i.test(message.text())) pageErrors.push(message.text());
    });
  }
  return page;
}

/** The topology page's cytoscape instance, as the page exposes it to tests. */
type TopologyHandle = { getElementById: (id: string) => { emit: (event: string) => unknown; nonempty: () => boolean } };

/**
 * Taps a topology element as a user's click does (cytoscape's "tap"), once it
 * is on the canvas. The in-page function returns nothing on purpose: `emit`
 * returns the element, a cyclic graph of the whole cytoscape instance, which
 * Playwright would serialize back — gigabytes of renderer heap, ending in
 * "Target crashed" on a loaded machine.
 */
export async function tapOnTopology(page: Page, id: string, wait: { polling?: number; timeout?: number } = {}): Promise<void> {
  await page.waitForFunction((target) => (window as unknown as { __weftTopology?: TopologyHandle }).__weftTopology?.getElementById(target).nonempty() === true, id, wait);
  await page.evaluate((target) => {
    (window as unknown as { __weftTopology: TopologyHandle }).__weftTopology.getElementById(target).emit("tap");
  }, id);
}

/** Opens `origin + path` signed out, signs in on the login page it lands on, and waits to be sent on. */
export async function logIn(page: Page, origin: string, username: string, password: string, path = "/"): Promise<void> {
  await page.goto(`${origin}${path}`);
  await page.waitForURL(/\/login/);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

/** Saves `name.png` to test-results and, with `docs`, the same image to docs/screenshots. */
export async function saveScreenshot(page: Page, name: string, { docs = false, fullPage = false } = {}): Promise<void> {
  const image = await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage });
  if (docs) await writeFile(join(DOCS_SHOTS, `${name}.png`), image);
}

/** Starts a Node.js command as the leader of its own process group, so stopping it stops its children too. */
function spawnNode(name: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ManagedProcess {
  const child = spawn(process.execPath, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return { name, child, output, exited };
}

function killGroup(proc: ManagedProcess, signal: NodeJS.Signals): void {
  if (proc.child.pid === undefined) return;
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

/** SIGTERM to the process group, SIGKILL after 15 s, then SIGKILL to whatever the leader left behind. */
async function stopProcess(proc: ManagedProcess): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    killGroup(proc, "SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), delay(15_000).then(() => false)]);
    if (!exited) killGroup(proc, "SIGKILL");
    await proc.exited;
  }
  killGroup(proc, "SIGKILL");
}

/**
 * Everything one browser suite starts. Each resource is registered as it is
 * created, so `stop()` in `afterAll` ends all of them even when `beforeAll`
 * failed halfway (a manager that started while the dashboard did not).
 */
export class BrowserHarness {
  private readonly cleanups: (() => Promise<void>)[] = [];
  private readonly processes: ManagedProcess[] = [];

  /** Registers `cleanup` for `stop()`, which runs cleanups latest first. */
  defer(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** A fresh temporary folder (a WEFT_HOME), removed at `stop()`. */
  async tempHome(prefix: string): Promise<string> {
    const home = await mkdtemp(join(tmpdir(), prefix));
    this.defer(() => rm(home, { recursive: true, force: true }));
    return home;
  }

  /**
   * With DATABASE_URL set, a database of its own on that server (so its first
   * admin is ours), dropped at `stop()`; without it, undefined, and the manager
   * uses its embedded PostgreSQL.
   */
  async testDatabase(): Promise<TestDatabase | undefined> {
    if (!process.env.DATABASE_URL) return undefined;
    const database = await createTestDatabase();
    this.defer(() => database.drop());
    return database;
  }

  /** Runs `node ...args` in its own process group; `stop()` ends the group. */
  launch(name: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ManagedProcess {
    if (this.processes.length === 0) this.defer(() => Promise.all(this.processes.map((proc) => stopProcess(proc))).then(() => undefined));
    const proc = spawnNode(name, args, options);
    this.processes.push(proc);
    return proc;
  }

  /**
   * Starts `weft-manager` on a fresh WEFT_HOME and test database, and the
   * built dashboard (`next start`) proxying to it, both on free loopback ports;
   * resolves once the manager's /healthz and the dashboard answer.
   * `managerEnv` adds to (or overrides) the environment the manager inherits.
   */
  async startManagerAndDashboard({ homePrefix, managerEnv = {} }: { homePrefix: string; managerEnv?: Record<string, string> }): Promise<ManagerAndDashboard> {
    const home = await this.tempHome(homePrefix);
    const database = await this.testDatabase();
    const [apiPort, webPort] = [await freePort(), await freePort()];
    const apiOrigin = `http://${HOST}:${apiPort}`;
    const webOrigin = `http://${HOST}:${webPort}`;
    const manager = this.launch("weft-manager", [join(REPO_DIR, "apps/api/bin/weft-manager.js")], {
      cwd: REPO_DIR,
      env: {
        ...process.env,
        // The tests' webhook receivers listen on loopback (as npm start allows its demo inbox).
        WEFT_OUTBOUND_ALLOW: "127.0.0.0/8,::1",
        ...managerEnv,
        ...(database ? { DATABASE_URL: database.url } : {}),
        WEFT_HOME: home,
        WEFT_API_HOST: HOST,
        WEFT_API_PORT: String(apiPort),
        WEFT_DB_PORT: "0",
        WEFT_LOG_LEVEL: "warn",
      },
    });
    const dashboard = this.launch("dashboard", ["--import", "tsx", "scripts/next.ts", "start"], {
      cwd: WEB_DIR,
      env: { ...process.env, WEFT_WEB_HOST: HOST, WEFT_WEB_PORT: String(webPort), WEFT_API_HOST: HOST, WEFT_API_PORT: String(apiPort) },
    });
    await Promise.all([waitUntilServing(`${apiOrigin}/healthz`, manager), waitUntilServing(webOrigin, dashboard)]);
    const adminPassword = (await readFile(join(home, "initial-admin-password"), "utf8")).trim();
    return { apiOrigin, webOrigin, adminPassword };
  }

  /** Launches headless Chromium (/usr/bin/chromium), closed at `stop()`. */
  async launchChromium(): Promise<Browser> {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    this.defer(() => browser.close().catch(() => undefined));
    return browser;
  }

  /**
   * Ends everything registered, latest first (browser, processes, database,
   * home). A failing cleanup does not skip the others; the first error is
   * thrown once all have run.
   */
  async stop(): Promise<void> {
    const errors: unknown[] = [];
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
