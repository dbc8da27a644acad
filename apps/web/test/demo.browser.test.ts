// The dashboard in Chromium against the demo exactly as `npm start` runs it:
// tooling/start's startPlatform starts the manager, the dashboard, the two
// demo clusters' agents with their proxies, the shop application and the
// traffic generator. Nothing is seeded: what the browser shows has gone
// through discovery, the proxies, the agents' telemetry and the rollups.
// Needs a prior `next build` of apps/web (and, for the smaller proxy, of
// @weft/proxy: the turbo test task builds both).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SettingsSchema, startPlatform, type Platform } from "@weft/start/platform";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrowserHarness, checkPrerequisites, freePort, logIn, openPage, REPO_DIR, saveScreenshot, signIn } from "./browser-harness.ts";

// Agents report every few seconds and the topology refreshes every 10 s; the first traffic needs the agents joined first.
const LIVE_TRAFFIC_MS = 150_000;

const POLICY = {
  apiVersion: "weft.io/v1alpha1",
  kind: "TrafficPolicy",
  metadata: { name: "catalog", namespace: "shop" },
  spec: { targetRef: { name: "catalog" }, loadBalancer: { algorithm: "LEAST_REQUEST" } },
};
const ALGORITHM = '[data-path="spec.loadBalancer.algorithm"]';

interface TopologyModel {
  nodes: { id: string; kind: string; cluster: string | null }[];
  edges: { id: string; source: string; target: string; rate: number }[];
}

describe("the dashboard against the running demo (npm start)", () => {
  const harness = new BrowserHarness();
  let platform: Platform | undefined;
  let browser: Browser;
  let page: Page;
  let adminPassword: string;
  const output: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await checkPrerequisites();
    const home = await harness.tempHome("weft-web-demo-");
    const database = await harness.testDatabase();
    const [apiPort, webPort] = [await freePort(), await freePort()];
    // Away from the default demo ports (a developer's `npm start`) and below Linux's ephemeral range (32768+).
    const demoBase = 20_000 + Math.floor(Math.random() * 120) * 100;
    try {
      platform = await startPlatform({
        root: REPO_DIR,
        settings: SettingsSchema.parse({ WEFT_HOME: home, WEFT_API_PORT: apiPort, WEFT_WEB_PORT: webPort, WEFT_DEMO_PORT_BASE: demoBase, WEFT_SKIP_BUILD: "1" }),
        env: { ...process.env, ...(database ? { DATABASE_URL: database.url } : {}), WEFT_LOG_LEVEL: "warn" },
        log: (line) => {
          output.push(line);
          if (output.length > 300) output.shift();
        },
        onUnexpectedExit: (child, code) => output.push(`!! ${child.name} exited unexpectedly (${code})`),
      });
    } catch (err) {
      throw new Error(`the platform did not start: ${(err as Error).message}\n${output.join("\n")}`);
    }
    const started = platform;
    harness.defer(() => started.stop());
    adminPassword = (await readFile(join(home, "initial-admin-password"), "utf8")).trim();
    browser = await harness.launchChromium();
    page = await openPage(browser, { pageErrors });
  });

  afterAll(() => harness.stop());

  it("signs in with the first admin's password and shows both demo clusters' services with live traffic on the topology", { timeout: LIVE_TRAFFIC_MS + 60_000 }, async () => {
    await logIn(page, platform!.webUrl, "admin", adminPassword, "/topology?range=15m");
    await page.waitForURL(/\/topology/);

    // The page shows the empty state until the first traffic is reported, then the canvas; the live refresh gets it there by itself.
    const readModel = () =>
      page.evaluate((): TopologyModel | null => {
        type Ele = { id: () => string; data: (k: string) => unknown };
        type Eles = { map: <T>(f: (e: Ele) => T) => T[] };
        const cy = (window as unknown as { __weftTopology?: { nodes: () => Eles; edges: () => Eles; destroyed: () => boolean } }).__weftTopology;
        if (!cy || cy.destroyed()) return null;
        return {
          nodes: cy.nodes().map((n) => ({ id: n.id(), kind: String(n.data("kind")), cluster: (n.data("cluster") as string | undefined) ?? null })),
          edges: cy.edges().map((e) => ({ id: e.id(), source: String(e.data("source")), target: String(e.data("target")), rate: Number(e.data("rate")) })),
        };
      });
    const serviceClusters = (m: TopologyModel) => new Set(m.nodes.filter((n) => n.kind === "service").map((n) => n.cluster));
    // The shop's chain in both clusters: loadgen → frontend → catalog → inventory. West shows up first as the cluster
    // serving east's reviews calls, before west's own traffic is reported: wait for the whole chain, not one west node.
    const chain = ["east", "west"].flatMap((cluster) => ["frontend", "catalog"].map((service) => `svc:${cluster}/shop/${service}`));
    let model: TopologyModel | null = null;
    const deadline = Date.now() + LIVE_TRAFFIC_MS;
    while (Date.now() < deadline) {
      model = await readModel();
      if (model && chain.every((id) => model!.nodes.some((n) => n.id === id)) && model.edges.some((e) => e.rate > 0)) break;
      await page.waitForTimeout(2_000);
    }
    if (!model) throw new Error(`the topology never drew a graph; platform output:\n${output.slice(-80).join("\n")}`);
    expect([...serviceClusters(model)].sort()).toEqual(["east", "west"]);
    const ids = model.nodes.map((n) => n.id);
    for (const id of chain) expect(ids).toContain(id);
    const live = model.edges.filter((e) => e.rate > 0);
    expect(live.length).toBeGreaterThan(0);
    expect(live.map((e) => e.id)).toEqual(expect.arrayContaining([expect.stringMatching(/^edge:svc:(east|west)\/shop\/frontend->svc:(east|west)\/shop\/catalog$/)]));
    // The status line the page keeps for screen readers agrees with the canvas.
    await page.getByRole("status").filter({ hasText: /[1-9]\d* services, [1-9]\d* edges/ }).waitFor();
    await saveScreenshot(page, "demo-topology");
  });

  it("shows a demo service's page with charts drawn from its live traffic and its traces", { timeout: 180_000 }, async () => {
    await page.goto(`${platform!.webUrl}/services/detail?service=shop/catalog&range=15m`);
    const rate = page.getByTestId("chart-rate");
    await rate.waitFor({ timeout: 60_000 });
    // The chart's data table (what a screen reader reads) holds requests/s values above zero.
    const values = await rate.locator("tbody td:nth-child(2)").allTextContents();
    expect(values.map(Number).some((v) => v > 0)).toBe(true);
    await page.getByTestId("chart-latency").waitFor();
    await page.getByTestId("callers").getByText("shop/frontend").first().waitFor();
    // Where it runs, per cluster, as the agents discovered it: catalog v1 and v2 in east, v1 in west, all ready.
    const clusters = page.getByTestId("endpoints-cluster");
    await clusters.first().waitFor();
    expect(await clusters.evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-cluster"), r.querySelector(".badge")?.textContent]))).toEqual([
      ["east", "all ready"],
      ["west", "all ready"],
    ]);
    expect(await page.getByTestId("endpoint-row").count()).toBe(3);
    // The demo mesh samples a tenth of its requests: traces through catalog show up, and one opens as a waterfall
    // whose spans nest (frontend's call → catalog → its call to inventory).
    await page.getByTestId("trace-row").first().waitFor({ timeout: 90_000 });
    await page.getByTestId("trace-row").first().getByRole("button", { name: /^Open trace [0-9a-f]{32} as a waterfall$/ }).click();
    const rows = page.getByTestId("waterfall-row");
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThan(1);
    expect(Math.max(...(await rows.evaluateAll((els) => els.map((el) => Number(el.getAttribute("data-depth"))))))).toBeGreaterThan(0);
    await saveScreenshot(page, "demo-service-page", { fullPage: true });
  });

  it("holds an operator's change to a protected namespace for approval, and applies it when an admin approves", async () => {
    const admin = await signIn(platform!.apiUrl, "admin", adminPassword);
    await admin.users.create.mutate({ username: "olga", password: "operator-password-1", role: "OPERATOR" });
    await admin.resources.applyDocuments.mutate({ documents: [POLICY], message: "least request for catalog" });

    // The admin protects the namespace from the change requests page.
    await page.goto(`${platform!.webUrl}/change-requests`);
    await page.getByTestId("protect-namespace-input").fill("shop");
    await page.getByTestId("protect-namespace").click();
    const protectedTable = page.getByTestId("protected-namespaces");
    // Failed once on a loaded machine with nothing to go on: the failure now says what was stored and what the page showed.
    await protectedTable
      .getByRole("cell", { name: "shop", exact: true })
      .waitFor()
      .catch(async (err: Error) => {
        await saveScreenshot(page, "demo-protect-namespace-failure", { fullPage: true }).catch(() => undefined);
        const stored = await admin.namespaces.protected.query().catch((e: Error) => e.message);
        const shown = (await page.locator("main").innerText().catch((e: Error) => e.message)).slice(0, 2000);
        throw new Error(`${err.message}\nstored: ${JSON.stringify(stored)}\npage errors: ${JSON.stringify(pageErrors)}\npage: ${shown}`);
      });

    // The operator's edit becomes a change request instead of a new revision; they see no unprotect control.
    const operator = await openPage(browser, { pageErrors });
    const operatorContext = operator.context();
    try {
      await logIn(operator, platform!.webUrl, "olga", "operator-password-1", "/policies/edit?kind=TrafficPolicy&namespace=shop&name=catalog");
      await operator.locator(ALGORITHM).waitFor();
      expect(await operator.locator(ALGORITHM).inputValue()).toBe("LEAST_REQUEST");
      await operator.locator(ALGORITHM).selectOption("ROUND_ROBIN");
      await operator.getByTestId("change-message").fill("round robin for catalog");
      await operator.getByTestId("apply").click();
      await operator.getByTestId("change-status").filter({ hasText: "Pending approval" }).waitFor();
      expect(await operator.getByTestId("pending-approval").textContent()).toContain("shop");
      await operator.goto(`${platform!.webUrl}/change-requests`);
      await operator.getByTestId("protected-namespaces").getByRole("cell", { name: "shop", exact: true }).waitFor();
      expect(await operator.getByTestId("unprotect-namespace").count()).toBe(0);
      expect(await operator.getByTestId("protect-namespace").count()).toBe(0);
    } finally {
      await operatorContext.close();
    }
    expect((await admin.resources.get.query({ kind: "TrafficPolicy", namespace: "shop", name: "catalog" })).revision).toBe(1);

    // The admin reviews and approves it: the change is applied as a new revision.
    await page.goto(`${platform!.webUrl}/change-requests?status=PENDING`);
    const requests = page.getByTestId("change-requests");
    await requests.getByRole("button", { name: "TrafficPolicy shop/catalog" }).click();
    const review = page.getByTestId("change-request-review");
    await review.getByText("round robin for catalog").waitFor();
    await review.getByRole("button", { name: "Approve and apply" }).click();
    await review.locator(".badge").filter({ hasText: "applied" }).first().waitFor();
    await saveScreenshot(page, "demo-change-request", { fullPage: true });
    const stored = await admin.resources.get.query({ kind: "TrafficPolicy", namespace: "shop", name: "catalog" });
    expect(stored.revision).toBe(2);
    expect(JSON.stringify(stored.document)).toContain("ROUND_ROBIN");

    // And lifts the protection again.
    await protectedTable.getByRole("button", { name: "Unprotect shop" }).click();
    await page.getByText("No namespace is protected").waitFor();
    expect(pageErrors).toEqual([]);
  });
});
