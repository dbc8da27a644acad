// Topology replay with who-changed-what (issue 17, item 4), in Chromium
// against a real manager: an agent reports frontend → checkout minute by
// minute, the test adds a backend to checkout's route (with a message), and
// the agent reports the new frontend → checkout-canary edge in the minute
// after. Moving the slider across the change's marker shows the edge after
// the marker and never before; the marker names the author and message and
// links to the revision's diff; the graph keeps its layout across frames.
// Needs a prior `next build`.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, BrowserHarness, checkPrerequisites, joinCluster, latencySketch, logIn, openPage, saveScreenshot, signIn } from "./browser-harness.ts";

const MINUTE = 60_000;
const end = (service: string) => ({ cluster: "east", namespace: "shop", service, version: "v1" });
const OUTSIDE = { cluster: "", namespace: "", service: "unknown", version: "" };
const route = (backends: [string, number][]) => ({
  apiVersion: "weft.io/v1alpha1",
  kind: "HTTPRoute",
  metadata: { name: "checkout", namespace: "shop" },
  spec: { parentRefs: [{ kind: "Service", name: "checkout" }], rules: [{ backendRefs: backends.map(([name, weight]) => ({ kind: "Service", name, weight })) }] },
});
const CANARY_EDGE = "edge:svc:east/shop/frontend->svc:east/shop/checkout-canary";
const MARKER = "revision:HTTPRoute/shop/checkout@2";

type Cy = {
  getElementById: (id: string) => { nonempty: () => boolean; visible: () => boolean; pstyle: (name: string) => { value: unknown }; data: (key: string) => unknown };
  nodes: () => { filter: (f: (n: { isChildless: () => boolean }) => boolean) => { map: <T>(f: (n: { id: () => string; position: () => { x: number; y: number } }) => T) => T[] } };
};

describe("topology replay", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let browser: Browser;
  let page: Page;
  let admin: Api;
  const pageErrors: string[] = [];
  let changedAt: number;

  beforeAll(async () => {
    await checkPrerequisites({ docsScreenshots: true });
    let adminPassword: string;
    let apiOrigin: string;
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({ homePrefix: "weft-web-replay-" }));
    admin = await signIn(apiOrigin, "admin", adminPassword);
    const east = await joinCluster(admin, apiOrigin, "east");
    const services = ["frontend", "checkout", "checkout-canary", "payments"];
    await east.agent.resyncDiscovery.mutate({
      seq: 1,
      services: services.map((name) => ({ namespace: "shop", name, ports: [{ port: 8080, protocol: "http" as const }] })),
      workloads: services.map((name) => ({ namespace: "shop", name: `${name}-0`, serviceAccount: name, version: "v1" })),
      endpoints: services.map((name, i) => ({ namespace: "shop", service: name, address: `10.0.3.${i + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${name}-0` })),
    });
    await admin.resources.applyDocuments.mutate({ documents: [route([["checkout", 100]])], message: "checkout serves all of its traffic" });
    // The change, made by the test: the route gains a backend.
    await admin.resources.applyDocuments.mutate({ documents: [route([["checkout", 80], ["checkout-canary", 20]])], message: "Send 20 % of checkout to the canary" });
    changedAt = (await admin.resources.history.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" }))[0]!.createdAt.getTime();
    const changeMinute = Math.floor(changedAt / MINUTE) * MINUTE;
    // Eight minutes before the change's minute, and that minute itself: no caller of the canary yet.
    const before = (minute: number, wobble: number) => [
      { minute, source: OUTSIDE, destination: end("frontend"), codeClass: "2xx" as const, requests: 600 + wobble, errors: 0, latency: latencySketch([8, 9, 11, 14, 40]) },
      { minute, source: end("frontend"), destination: end("checkout"), codeClass: "2xx" as const, requests: 594 + wobble, errors: 0, latency: latencySketch([20, 22, 25, 31, 90]) },
      { minute, source: end("frontend"), destination: end("checkout"), codeClass: "5xx" as const, requests: 6, errors: 6, latency: latencySketch([120]) },
      { minute, source: end("checkout"), destination: end("payments"), codeClass: "2xx" as const, requests: 300, errors: 0, latency: latencySketch([5, 6, 7, 12]) },
    ];
    for (let i = 8; i >= 0; i--) await east.agent.reportTelemetry.mutate({ edges: before(changeMinute - i * MINUTE, (i * 7) % 20) });
    browser = await harness.launchChromium();
    page = await openPage(browser, { pageErrors });
    await logIn(page, webOrigin, "admin", adminPassword);
    // After the change: the canary is called from the next minute on, which the agent reports once it has begun.
    const nextMinute = changeMinute + MINUTE;
    while (Date.now() < nextMinute) await new Promise((done) => setTimeout(done, Math.min(1_000, nextMinute - Date.now())));
    await east.agent.reportTelemetry.mutate({
      edges: [
        { minute: nextMinute, source: OUTSIDE, destination: end("frontend"), codeClass: "2xx", requests: 600, errors: 0, latency: latencySketch([8, 9, 11, 14, 40]) },
        { minute: nextMinute, source: end("frontend"), destination: end("checkout"), codeClass: "2xx", requests: 480, errors: 0, latency: latencySketch([20, 22, 25, 31, 90]) },
        { minute: nextMinute, source: end("frontend"), destination: end("checkout-canary"), codeClass: "2xx", requests: 120, errors: 0, latency: latencySketch([30, 35, 41, 60, 150]) },
        { minute: nextMinute, source: end("checkout"), destination: end("payments"), codeClass: "2xx", requests: 240, errors: 0, latency: latencySketch([5, 6, 7, 12]) },
        { minute: nextMinute, source: end("checkout-canary"), destination: end("payments"), codeClass: "2xx", requests: 60, errors: 0, latency: latencySketch([5, 6, 9, 15]) },
      ],
    });
    // Besides starting a manager and a dashboard, this waits for the next minute to begin (up to 60 s).
  }, 300_000);

  afterAll(() => harness.stop());

  // cytoscape caches visible() per element and clears that cache only when it next applies the element's style
  // (lazily: on pstyle(), which its renderer calls on the next animation frame). Read right after the frame's data
  // changed, visible() could still answer for the frame before (seen once: absent, yet "visible"). Reading the
  // display style first applies the new style, as drawing does, so visible() answers for what is drawn.
  const canaryEdge = () => page.evaluate((id) => {
    const cy = (window as unknown as { __weftTopology?: Cy }).__weftTopology;
    const e = cy?.getElementById(id);
    if (!e || !e.nonempty()) return null;
    e.pstyle("display");
    return { visible: e.visible(), absent: e.data("absent") === true, label: String(e.data("label")) };
  }, CANARY_EDGE);
  const positions = () =>
    page.evaluate(() => {
      const cy = (window as unknown as { __weftTopology: Cy }).__weftTopology;
      return Object.fromEntries(cy.nodes().filter((n) => n.isChildless()).map((n) => [n.id(), n.position()]));
    });
  /** Moves the slider to `frame` and waits until the page shows it. */
  async function showFrame(frame: number) {
    await page.getByTestId("replay-slider").fill(String(frame));
    await page.waitForFunction((f) => document.querySelector('[data-testid="replay-frame-time"]')?.getAttribute("data-frame") === String(f), frame);
  }

  it("shows the new backend's edge after the change's marker and not before, with who changed what", async () => {
    await page.goto(`${webOrigin}/topology`);
    await page.getByTestId("open-replay").click();
    await page.waitForURL(/\/topology\/replay/);
    const marker = page.locator(`[data-testid="replay-marker"][data-marker-id="${MARKER}"]`);
    await marker.waitFor();
    expect(await marker.getAttribute("aria-label")).toContain("Change by admin");
    expect(await marker.getAttribute("aria-label")).toContain("Send 20 % of checkout to the canary");
    const markerFrame = Number(await marker.getAttribute("data-frame"));
    const last = Number(await page.getByTestId("replay-slider").getAttribute("max"));
    expect(last).toBeGreaterThanOrEqual(markerFrame + 1);
    // The graph is laid out once, for the whole range.
    await page.waitForFunction((id) => (window as unknown as { __weftTopology?: Cy }).__weftTopology?.getElementById(id).nonempty() === true, CANARY_EDGE);
    const layout = await positions();

    // Every frame up to and including the change's minute: the canary has no caller.
    for (const frame of [0, markerFrame - 4, markerFrame - 1, markerFrame]) {
      await showFrame(frame);
      expect(await canaryEdge(), `frame ${frame}`).toMatchObject({ visible: false, absent: true });
    }
    // After the marker it does, with the minute's rate.
    await showFrame(markerFrame + 1);
    // 120 requests in the minute: 2/s; the p99 of the reported latencies (30, 35, 41, 60, 150 ms) by the sketch's rank is 60 ms.
    expect(await canaryEdge()).toMatchObject({ visible: true, absent: false, label: expect.stringMatching(/^2\.00\/s · 0% · p99 (59|60|61)ms$/) });
    // The frame's own time is shown (as the browser formats it), and the services kept their places.
    const expected = await page.evaluate((t) => new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }), Math.floor(changedAt / MINUTE) * MINUTE + MINUTE);
    expect(await page.getByTestId("replay-frame-time").textContent()).toBe(expected);
    expect(await positions()).toEqual(layout);
  });

  it("opens a change to compare the graph just before and just after, with its author, message and diff", async () => {
    await page.locator(`[data-testid="replay-marker"][data-marker-id="${MARKER}"]`).click();
    const detail = page.getByTestId("replay-marker-detail");
    await detail.waitFor();
    expect(await detail.getByTestId("replay-marker-author").textContent()).toBe("admin");
    expect(await detail.getByTestId("replay-marker-message").textContent()).toBe("Send 20 % of checkout to the canary");
    // Opening the change shows the graph just before it.
    expect(await detail.getByTestId("replay-before").getAttribute("aria-pressed")).toBe("true");
    expect(await canaryEdge()).toMatchObject({ visible: false });
    await detail.getByTestId("replay-after").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="replay-after"]')?.getAttribute("aria-pressed") === "true");
    expect(await canaryEdge()).toMatchObject({ visible: true });
    await saveScreenshot(page, "topology-replay", { docs: true, fullPage: true });

    await detail.getByTestId("replay-before").click();
    await page.waitForFunction(() => document.querySelector('[data-testid="replay-before"]')?.getAttribute("aria-pressed") === "true");
    expect(await canaryEdge()).toMatchObject({ visible: false });

    // The diff link opens the route's history with that revision's diff shown.
    await detail.getByTestId("replay-marker-link").click();
    await page.waitForURL(/\/policies\/history\?.*revision=2/);
    const row = page.locator('[data-testid="history-row"][data-revision="2"]');
    await row.waitFor();
    expect(await row.textContent()).toContain("Send 20 % of checkout to the canary");
    expect(await row.getByRole("button", { name: "Hide diff" }).count()).toBe(1);
    expect(await page.getByTestId("history").getByTestId("structured-diff").textContent()).toContain("checkout-canary");
    expect(pageErrors).toEqual([]);
  });
});
