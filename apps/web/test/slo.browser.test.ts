// SLOs, tickets and channels in Chromium against a real manager: seven days
// of telemetry for shop/checkout with an incident in the last half hour, an
// SLO on it, a config change just before, and failing traces. The
// evaluator (every second here) judges it: the SLO page shows the SLI
// against the objective, the burn-down and the burn rate per window; the
// ticket page shows the context it opened with. An admin adds a webhook
// channel and sends a test; a viewer sees SLOs and tickets but no channels.
// Screenshots docs/screenshots/slo.png and ticket.png.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LatencySketch } from "@weft/mesh-model/proxy-config";
import { type Api, BrowserHarness, checkPrerequisites, joinCluster, logIn, openPage, saveScreenshot, signIn } from "./browser-harness.ts";

const MINUTE = 60_000;

/** The latency sketch of `requests` requests around 12 ms with a tail (about 0.5 % at 310 ms): 200 values, whole weights adding up to `requests`. */
function sketchOf(requests: number) {
  const sketch = new LatencySketch();
  for (let i = 0; i < 200; i++) {
    const weight = Math.floor(requests / 200) + (i < requests % 200 ? 1 : 0);
    if (weight > 0) sketch.add(6 + (i % 17) + (i === 199 ? 300 : 0), weight);
  }
  return sketch.toJSON();
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("SLOs and tickets in Chromium against a real manager", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let apiOrigin: string;
  let adminPassword: string;
  let browser: Browser;
  let admin: Api;
  let hook: Server;
  let hookUrl = "";
  const hooked: string[] = [];
  const pageErrors: string[] = [];

  async function signedInPage(username: string, password: string, path: string, height = 1000): Promise<Page> {
    const page = await openPage(browser, { height, pageErrors });
    await logIn(page, webOrigin, username, password, path);
    return page;
  }

  beforeAll(async () => {
    await checkPrerequisites({ docsScreenshots: true });
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        hooked.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/weft`;
    harness.defer(() => new Promise<void>((r) => hook.close(() => r())));
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({ homePrefix: "weft-web-slo-", managerEnv: { WEFT_CA_KEY: randomBytes(32).toString("base64"), WEFT_SLO_TICK: "1s" } }));
    admin = await signIn(apiOrigin, "admin", adminPassword);
    const east = await joinCluster(admin, apiOrigin, "east");
    await east.agent.resyncDiscovery.mutate({
      seq: 1,
      services: ["frontend", "checkout", "ledger"].map((name) => ({ namespace: "shop", name, ports: [{ port: 8080, protocol: "http" as const }] })),
      workloads: ["frontend", "checkout", "ledger"].map((name) => ({ namespace: "shop", name: `${name}-0`, serviceAccount: name, version: "v1" })),
      endpoints: ["frontend", "checkout", "ledger"].map((name, i) => ({ namespace: "shop", service: name, address: `10.0.1.${i + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${name}-0` })),
    });
    // Seven days of traffic frontend → checkout → ledger, 10 requests a second (one row every 20 minutes, every
    // minute in the last half hour): 0.017 % errors as a baseline, then 2 % for the last four hours (the incident).
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    const edges = [];
    const edge = (minute: number, source: string, destination: string, codeClass: "2xx" | "5xx", requests: number) => ({
      minute,
      source: { cluster: "east", namespace: "shop", service: source, version: "v1" },
      destination: { cluster: "east", namespace: "shop", service: destination, version: "v1" },
      codeClass,
      requests,
      errors: codeClass === "5xx" ? requests : 0,
      latency: sketchOf(requests),
    });
    for (let minute = now - 7 * 24 * 60 * MINUTE + 20 * MINUTE; minute < now - 30 * MINUTE; minute += 20 * MINUTE) {
      const bad = minute >= now - 4 * 60 * MINUTE ? 240 : 2;
      edges.push(edge(minute, "frontend", "checkout", "2xx", 12_000 - bad), edge(minute, "frontend", "checkout", "5xx", bad), edge(minute, "checkout", "ledger", "2xx", 6_000));
    }
    for (let minute = now - 30 * MINUTE; minute <= now; minute += MINUTE) edges.push(edge(minute, "frontend", "checkout", "2xx", 588), edge(minute, "frontend", "checkout", "5xx", 12), edge(minute, "checkout", "ledger", "2xx", 300));
    // In reports of a size an agent sends (the API refuses bodies over 1 MiB).
    for (let i = 0; i < edges.length; i += 200) await east.agent.reportTelemetry.mutate({ edges: edges.slice(i, i + 200) });
    // Failing traces through checkout.
    const hex = (n: number) => randomBytes(n).toString("hex");
    await east.agent.reportSpans.mutate({
      dropped: 0,
      spans: [1, 2, 3].map((i) => ({ traceId: hex(16), spanId: hex(8), parentSpanId: null, namespace: "shop", service: "checkout", version: "v1", kind: "SERVER" as const, name: "GET /cart", startTime: now - i * 60_000, durationMs: 3.2 * i, statusCode: 503, responseFlags: "UF", peerService: "", attributes: {} })),
    });
    // The change just before the breach, then the SLOs.
    await admin.resources.applyDocuments.mutate({ text: "apiVersion: weft.io/v1alpha1\nkind: TrafficPolicy\nmetadata: { name: checkout, namespace: shop }\nspec:\n  targetRef: { name: checkout }\n  timeouts: { request: 2s }\n", message: "checkout: tighter request timeout" });
    await admin.resources.applyDocuments.mutate({
      text: `apiVersion: weft.io/v1alpha1
kind: ServiceLevelObjective
metadata: { name: checkout-availability, namespace: shop }
spec:
  service: { name: checkout }
  indicator: { type: availability }
  objective: 99.9
  window: 7d
  links: { runbook: "https://runbooks.example.com/checkout" }
---
apiVersion: weft.io/v1alpha1
kind: ServiceLevelObjective
metadata: { name: ledger-latency, namespace: shop }
spec:
  service: { name: ledger }
  indicator: { type: latency, threshold: 250ms }
  objective: 99
  window: 7d
`,
      message: "SLOs for checkout and ledger",
    });
    await admin.users.create.mutate({ username: "vera", password: "viewer-password-1", role: "VIEWER" });
    // The evaluator (every second) opens the ticket.
    await until("the ticket", async () => (await admin.tickets.list.query({}))[0]);
    browser = await harness.launchChromium();
  });

  afterAll(() => harness.stop());

  it("shows the SLO with its SLI, burn-down, burn rate per window and alert history, and the ticket with its context", async () => {
    const page = await signedInPage("admin", adminPassword, "/", 1250);
    try {
      const overview = page.getByTestId("slos-table");
      await overview.waitFor();
      expect(await overview.getByTestId("slo-row").count()).toBe(2);
      expect(await overview.getByTestId("slo-row").first().textContent()).toContain("shop/checkout-availability");
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "SLOs" }).click();
      await page.waitForURL(/\/slos(\?|$)/);
      await page.getByRole("heading", { level: 1, name: "Service level objectives" }).waitFor();
      await page.getByTestId("slos-table").getByRole("link", { name: "shop/checkout-availability" }).click();
      await page.waitForURL(/\/slos\/detail\?/);
      expect(await page.getByTestId("slo-health").textContent()).toBe("paging");
      const bars = page.getByTestId("burn-bars");
      await bars.waitFor();
      expect(await bars.textContent()).toMatch(/1h\/5m.*firing/);
      await page.getByTestId("sli-chart").locator("canvas").first().waitFor();
      await page.getByTestId("burn-down-chart").locator("canvas").first().waitFor();
      const history = page.getByTestId("alert-history");
      await history.waitFor();
      expect(await history.textContent()).toMatch(/fired.*1h\/5m/);
      // The numbers: 2 % errors for four hours in a week of 0.017 %: SLI about 99.93 %, about a third of the budget left.
      const mesh = page.getByTestId("slo-status").locator("tbody tr").first().locator("td");
      expect(await mesh.nth(0).textContent()).toMatch(/^99\.9\d\d %$/);
      expect(await mesh.nth(2).textContent()).toMatch(/^(2\d|3\d|4\d) %$/);
      await saveScreenshot(page, "slo", { docs: true, fullPage: true });

      await page.getByTestId("slo-tickets").getByRole("link").first().click();
      await page.waitForURL(/\/tickets\/detail\?/);
      await page.getByTestId("mini-topology").waitFor();
      expect(await page.getByTestId("mini-topology").textContent()).toMatch(/frontend.*checkout.*ledger/s);
      expect(await page.getByTestId("ticket-changes").textContent()).toContain("TrafficPolicy shop/checkout rev 1");
      expect(await page.getByTestId("ticket-changes").textContent()).toContain("checkout: tighter request timeout");
      expect(await page.getByTestId("ticket-traces").locator("li").count()).toBe(3);
      expect(await page.getByTestId("ticket-slo").textContent()).toContain("3d/6h");
      await page.getByRole("button", { name: "Acknowledge" }).click();
      await page.getByTestId("ticket-timeline").getByText("admin acknowledged it").waitFor();
      expect(await page.getByTestId("ticket-status").textContent()).toBe("acknowledged");
      await saveScreenshot(page, "ticket", { docs: true, fullPage: true });
    } finally {
      await page.context().close();
    }
  });

  it("lets an admin add a webhook channel, send a test and see it delivered", async () => {
    const page = await signedInPage("admin", adminPassword, "/channels");
    try {
      await page.getByLabel("Name", { exact: true }).fill("oncall");
      await page.getByLabel("URL", { exact: true }).fill(hookUrl);
      await page.getByRole("button", { name: "Add channel" }).click();
      expect(await page.getByTestId("signing-secret").textContent()).toMatch(/whsec_/);
      await page.getByTestId("send-test-oncall").click();
      const log = page.getByTestId("delivery-log");
      await log.getByText("delivered").waitFor();
      expect(hooked.some((b) => b.includes('"type":"channel.test"'))).toBe(true);
      // Field errors from the same schema the manager uses.
      await page.getByLabel("Name", { exact: true }).fill("Bad Name");
      await page.getByLabel("URL", { exact: true }).fill("ftp://example.com");
      await page.getByRole("button", { name: "Add channel" }).click();
      await page.getByText("must be an http or https URL").waitFor();
    } finally {
      await page.context().close();
    }
  });

  it("shows a draft SLO's last day in the policy editor", async () => {
    const page = await signedInPage("admin", adminPassword, "/policies/edit?kind=ServiceLevelObjective&namespace=shop&service=shop%2Fcheckout");
    try {
      const dry = page.getByTestId("slo-dry-run");
      await dry.waitFor();
      expect(await dry.textContent()).toMatch(/SLI now 99\.9\d\d %/);
      expect(await dry.textContent()).toMatch(/would fire/);
    } finally {
      await page.context().close();
    }
  });

  it("lets a viewer read SLOs and tickets but not channels", async () => {
    const page = await signedInPage("vera", "viewer-password-1", "/slos");
    try {
      await page.getByTestId("slos-table").waitFor().catch(async (err: unknown) => {
        await saveScreenshot(page, "slo-viewer-failure");
        throw err;
      });
      const nav = page.getByRole("navigation", { name: "Main" });
      expect(await nav.getByRole("link", { name: "Tickets" }).count()).toBe(1);
      expect(await nav.getByRole("link", { name: "Channels" }).count()).toBe(0);
      await page.goto(`${webOrigin}/channels`);
      await page.getByText("Admins only").waitFor().catch(async (err: unknown) => {
        await saveScreenshot(page, "slo-viewer-failure");
        throw err;
      });
      expect(pageErrors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
