// Multi-cluster views (issue 12), in Chromium against a real manager: the
// "served locally or remotely" panels show the seeded shares and flag a caller
// that goes remote while its own cluster has a ready endpoint (not when a
// TrafficPolicy distributes the traffic there); an acknowledged compiler
// finding shows on the service page and the Clusters page; the topology marks
// exported services, a service other clusters call without it being exported,
// and cross-cluster edges, and says so in its legend and side panel.
// Needs a prior `next build`.
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Api, BrowserHarness, checkPrerequisites, joinCluster, latencySketch, logIn, openPage, saveScreenshot, signIn, tapOnTopology } from "./browser-harness.ts";

const MINUTE = 60_000;
const end = (cluster: string, service: string) => ({ cluster, namespace: "shop", service, version: cluster ? "v1" : "" });
/** Requests per minute from east's frontend, over three whole minutes: catalog served 80 % in east, 20 % in west; reviews (west only, not exported) all failed. */
const PER_MINUTE = { catalogEast: 80, catalogWest: 20, reviews: 30 };

const MESH = {
  apiVersion: "weft.io/v1alpha1",
  kind: "Mesh",
  metadata: { name: "default" },
  spec: { trustDomain: "weft.local", multicluster: { export: { mode: "Selected", services: [{ namespace: "shop", name: "catalog" }] } } },
};
const DISTRIBUTE = {
  apiVersion: "weft.io/v1alpha1",
  kind: "TrafficPolicy",
  metadata: { name: "catalog-spread", namespace: "shop" },
  spec: { targetRef: { name: "catalog" }, loadBalancer: { locality: { distribute: [{ from: "east", to: { east: 80, west: 20 } }] } } },
};

type CyElement = { emit: (e: string) => void; nonempty: () => boolean; data: (key: string) => unknown };
type Cy = { getElementById: (id: string) => CyElement };

function snapshot(cluster: string, services: string[]) {
  return {
    seq: 1,
    services: services.map((name) => ({ namespace: "shop", name, ports: [{ port: 8080, protocol: "http" as const }] })),
    workloads: services.map((name) => ({ namespace: "shop", name: `${name}-v1-0`, serviceAccount: name, version: "v1" })),
    endpoints: services.map((name, i) => ({ namespace: "shop", service: name, address: `10.${cluster === "east" ? 1 : 2}.0.${i + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${name}-v1-0` })),
  };
}

describe("multi-cluster views: locality shares, diagnostics and export marks", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let browser: Browser;
  let page: Page;
  let admin: Api;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await checkPrerequisites({ docsScreenshots: true });
    let apiOrigin: string;
    let adminPassword: string;
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({ homePrefix: "weft-web-multicluster-" }));
    admin = await signIn(apiOrigin, "admin", adminPassword);
    const east = await joinCluster(admin, apiOrigin, "east");
    const west = await joinCluster(admin, apiOrigin, "west");
    await east.agent.resyncDiscovery.mutate(snapshot("east", ["frontend", "catalog"]));
    await west.agent.resyncDiscovery.mutate(snapshot("west", ["catalog", "reviews"]));
    await admin.resources.applyDocuments.mutate({ documents: [MESH], message: "export catalog only" });
    const first = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
    for (let i = 0; i < 3; i++) {
      const minute = first + i * MINUTE;
      await east.agent.reportTelemetry.mutate({
        edges: [
          { minute, source: end("east", "frontend"), destination: end("east", "catalog"), codeClass: "2xx", requests: PER_MINUTE.catalogEast, errors: 0, mtlsRequests: PER_MINUTE.catalogEast, latency: latencySketch([3, 4]) },
          { minute, source: end("east", "frontend"), destination: end("west", "catalog"), codeClass: "2xx", requests: PER_MINUTE.catalogWest, errors: 0, mtlsRequests: PER_MINUTE.catalogWest, latency: latencySketch([9, 11]) },
          // Not exported: east's callers have no endpoint, so their proxies name no destination cluster.
          { minute, source: end("east", "frontend"), destination: end("", "reviews"), codeClass: "5xx", requests: PER_MINUTE.reviews, errors: PER_MINUTE.reviews, latency: latencySketch([0.2]) },
        ],
      });
    }
    // What east's agent acknowledged for the current config: the compiler's finding about reviews.
    const { configVersion } = await admin.mesh.status.query();
    await east.agent.ackConfig.mutate({
      configVersion: configVersion.toString(),
      status: "applied",
      proxies: [{ proxy: "shop/frontend-1", status: "applied" }],
      diagnostics: [{ severity: "warning", code: "not_exported", message: "shop/reviews runs in west, which does not export it: callers here answer 503 UH", path: "catalog", service: "shop/reviews", proxies: ["shop/frontend-1"], proxyCount: 1 }],
    });
    browser = await harness.launchChromium();
    page = await openPage(browser, { pageErrors, height: 900 });
    // A loaded machine (a shared CI runner) serves a page in tens of seconds.
    page.setDefaultTimeout(90_000);
    page.setDefaultNavigationTimeout(90_000);
    await logIn(page, webOrigin, "admin", adminPassword);
  }, 300_000);

  // What the page showed when a test failed, for the report.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === "fail" && page) await saveScreenshot(page, `multicluster-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, "-")}`).catch(() => undefined);
  });

  afterAll(() => harness.stop());

  async function onCanvas(id: string): Promise<void> {
    await page.waitForFunction((target) => (window as unknown as { __weftTopology?: Cy }).__weftTopology?.getElementById(target).nonempty() === true, id);
  }
  const tap = (id: string) => tapOnTopology(page, id);
  const dataOf = (id: string, key: string) => page.evaluate(([target, k]) => (window as unknown as { __weftTopology: Cy }).__weftTopology.getElementById(target as string).data(k as string), [id, key]);

  it("shows each caller's local and remote shares as seeded, and flags a caller that goes remote while its own cluster has a ready endpoint", { timeout: 400_000 }, async () => {
    await page.goto(`${webOrigin}/services/detail?service=shop/catalog&range=1h`);
    const row = page.getByTestId("caller-shares").getByTestId("caller-share").filter({ hasText: "shop/frontend" });
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    // Caller, cluster, rate, own cluster, other clusters, served in, ready here
    expect(cells[1]).toBe("east");
    expect(cells[3]).toBe("80%");
    expect(cells[4]).toBe("20%");
    expect(cells[5]).toBe("east (own) 80% · west 20%");
    expect(cells[6]).toBe("1");
    expect(await row.getAttribute("data-goes-remote")).toBe("true");
    const flag = page.getByTestId("goes-remote-flag");
    await flag.waitFor();
    expect(await flag.textContent()).toContain("shop/frontend in east sent 20 % of its requests to other clusters (west) while east has 1 ready endpoint of shop/catalog");

    // The topology's edge panel: the same shares for the edge's caller (all its catalog requests, not only this edge's).
    await page.goto(`${webOrigin}/topology?range=1h`);
    await tap("edge:svc:east/shop/frontend->svc:west/shop/catalog");
    const edgePanel = page.getByTestId("side-panel").getByTestId("edge-locality");
    await edgePanel.waitFor();
    expect(await edgePanel.locator("dt:text-is('Served in east') + dd").textContent()).toBe("80%");
    expect(await edgePanel.locator("dt:text-is('Other clusters') + dd").textContent()).toBe("20%");
    expect(await edgePanel.getByTestId("edge-goes-remote").textContent()).toContain("20 % of its requests to other clusters (west)");
  });

  it("does not flag remote traffic a TrafficPolicy distributes there", { timeout: 400_000 }, async () => {
    await admin.resources.applyDocuments.mutate({ documents: [DISTRIBUTE], message: "east sends a fifth of catalog to west" });
    try {
      await page.goto(`${webOrigin}/services/detail?service=shop/catalog&range=1h`);
      const row = page.getByTestId("caller-shares").getByTestId("caller-share").filter({ hasText: "shop/frontend" });
      await row.filter({ hasText: "set by a TrafficPolicy" }).waitFor();
      expect(await row.getAttribute("data-goes-remote")).toBe("false");
      // Same shares, no flag.
      expect((await row.locator("td").allTextContents())[4]).toBe("20%");
      expect(await page.getByTestId("goes-remote-flag").count()).toBe(0);
    } finally {
      await admin.resources.delete.mutate({ kind: "TrafficPolicy", namespace: "shop", name: "catalog-spread" });
    }
  });

  it("shows an acknowledged compiler finding on the service's page and on the Clusters page", { timeout: 400_000 }, async () => {
    await page.goto(`${webOrigin}/services/detail?service=shop/reviews&range=1h`);
    const onService = page.getByTestId("diagnostics").locator('[data-testid="diagnostic"][data-code="not_exported"]');
    await onService.waitFor();
    expect(await onService.textContent()).toContain("shop/reviews runs in west, which does not export it");
    expect(await onService.textContent()).toContain("shop/frontend-1");
    // Not on another service's page.
    await page.goto(`${webOrigin}/services/detail?service=shop/catalog&range=1h`);
    await page.getByRole("heading", { name: "Compiler diagnostics about this service" }).waitFor();
    expect(await page.locator('[data-testid="diagnostic"][data-code="not_exported"]').count()).toBe(0);

    await page.goto(`${webOrigin}/clusters`);
    const onClusters = page.getByTestId("diagnostics").locator('[data-testid="diagnostic"][data-code="not_exported"]');
    await onClusters.waitFor();
    expect(await onClusters.textContent()).toContain("east");
  });

  it("marks exported services, a service other clusters call without export, and cross-cluster edges, with a legend and the words in the side panel", { timeout: 400_000 }, async () => {
    await page.goto(`${webOrigin}/topology?range=1h`);
    await onCanvas("svc:west/shop/reviews");
    await saveScreenshot(page, "topology-exports-canvas");
    expect(await dataOf("svc:west/shop/catalog", "exportState")).toBe("exported");
    expect(await dataOf("svc:east/shop/catalog", "exportState")).toBe("exported");
    expect(await dataOf("svc:west/shop/reviews", "exportState")).toBe("not-exported");
    // frontend is not exported, but nobody elsewhere calls it: nothing to mark.
    expect(await dataOf("svc:east/shop/frontend", "exportState")).toBe("none");
    expect(await dataOf("edge:svc:east/shop/frontend->svc:west/shop/catalog", "crossCluster")).toBe(true);
    expect(await dataOf("edge:svc:east/shop/frontend->svc:west/shop/reviews", "crossCluster")).toBe(true);
    expect(await dataOf("edge:svc:east/shop/frontend->svc:east/shop/catalog", "crossCluster")).toBe(false);
    // The drawn style follows the data: a double ring, a dashed ring, a diamond halfway.
    const style = await page.evaluate(() => {
      const cy = (window as unknown as { __weftTopology: { getElementById: (id: string) => { style: (k: string) => string } } }).__weftTopology;
      return {
        exported: cy.getElementById("svc:west/shop/catalog").style("border-style"),
        notExported: cy.getElementById("svc:west/shop/reviews").style("outline-style"),
        crossing: parseFloat(cy.getElementById("edge:svc:east/shop/frontend->svc:west/shop/catalog").style("line-outline-width")),
        local: parseFloat(cy.getElementById("edge:svc:east/shop/frontend->svc:east/shop/catalog").style("line-outline-width")),
      };
    });
    expect(style).toEqual({ exported: "double", notExported: "dashed", crossing: 2.5, local: 0 });
    for (const id of ["legend-cross-cluster", "legend-exported", "legend-not-exported"]) expect(await page.getByTestId(id).isVisible()).toBe(true);

    await tap("svc:west/shop/catalog");
    expect(await page.getByTestId("side-panel").getByTestId("export-status").textContent()).toBe("exported to: east");
    await tap("edge:svc:east/shop/frontend->svc:west/shop/reviews");
    expect(await page.getByTestId("side-panel").getByTestId("edge-cross-cluster").textContent()).toBe("crosses clusters: east → west");
    await tap("svc:west/shop/reviews");
    expect(await page.getByTestId("side-panel").getByTestId("export-status").textContent()).toBe("not exported — called from east; those calls fail (503 UH)");
    await saveScreenshot(page, "topology-exports", { docs: true });
  });

  it("passes axe (WCAG 2 A and AA, contrast included) on the topology with its legend and an export side panel", { timeout: 400_000 }, async () => {
    await page.goto(`${webOrigin}/topology?range=1h`);
    await tap("svc:west/shop/reviews");
    await page.getByTestId("side-panel").getByTestId("export-status").waitFor();
    const results = await new AxeBuilder({ page: page as never }).withTags(["wcag2a", "wcag2aa"]).analyze();
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")})`)).toEqual([]);
  });

  it("had no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
