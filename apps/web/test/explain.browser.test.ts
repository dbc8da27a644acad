// The dashboard explains itself (issue 17), in Chromium against a real
// manager: an unhealthy edge says why in words and links its failed traces
// (opened in a drawer), rates agree between overview, topology panel and
// chart when the data covers less than the window, a rollback is confirmed
// with its diff and a message, a refusal says so, the Mesh link opens, the
// YAML editor underlines errors at their field, and axe-core finds no
// serious or critical violation on the main pages. Needs a prior `next build`.
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, BrowserHarness, checkPrerequisites, joinCluster, latencySketch, logIn, openPage, saveScreenshot, signIn, tapOnTopology } from "./browser-harness.ts";

const MINUTE = 60_000;
const end = (service: string, version = "v1", namespace = "shop") => ({ cluster: "east", namespace, service, version });
const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

const ROUTE = {
  apiVersion: "weft.io/v1alpha1",
  kind: "HTTPRoute",
  metadata: { name: "checkout", namespace: "shop" },
  spec: { parentRefs: [{ kind: "Service", name: "checkout" }], rules: [{ backendRefs: [{ kind: "Service", name: "checkout", version: "v1", weight: 90 }, { kind: "Service", name: "checkout", version: "v2", weight: 10 }] }] },
};
const MESH = { apiVersion: "weft.io/v1alpha1", kind: "Mesh", metadata: { name: "default" }, spec: { trustDomain: "weft.local", mtls: { mode: "STRICT" } } };

describe("a dashboard that explains itself", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let apiOrigin: string;
  let browser: Browser;
  let page: Page;
  let admin: Api;
  const pageErrors: string[] = [];
  /** Requests per minute seeded on each edge, over the last three whole minutes only. */
  const PER_MINUTE = { entry: 600, toCheckout: 300 };
  let firstMinute: number;

  beforeAll(async () => {
    await checkPrerequisites({ docsScreenshots: true });
    let adminPassword: string;
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({ homePrefix: "weft-web-explain-" }));
    admin = await signIn(apiOrigin, "admin", adminPassword);
    const east = await joinCluster(admin, apiOrigin, "east");
    const list = [["frontend", "v1"], ["checkout", "v1"], ["checkout", "v2"]] as const;
    await east.agent.resyncDiscovery.mutate({
      seq: 1,
      services: [{ namespace: "shop", name: "frontend", ports: [{ port: 8080, protocol: "http" as const }] }, { namespace: "shop", name: "checkout", ports: [{ port: 8080, protocol: "http" as const }] }],
      workloads: list.map(([svc, version]) => ({ namespace: "shop", name: `${svc}-${version}-0`, serviceAccount: svc, version })),
      endpoints: list.map(([svc, version], i) => ({ namespace: "shop", service: svc, address: `10.0.1.${i + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${svc}-${version}-0` })),
    });
    await admin.resources.applyDocuments.mutate({ documents: [ROUTE, MESH], message: "seed" });
    // Traffic in the last three whole minutes only: every request from frontend to checkout failed.
    firstMinute = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
    for (let i = 0; i < 3; i++) {
      const minute = firstMinute + i * MINUTE;
      await east.agent.reportTelemetry.mutate({
        edges: [
          { minute, source: { cluster: "", namespace: "", service: "unknown", version: "" }, destination: end("frontend"), codeClass: "2xx", requests: PER_MINUTE.entry, errors: 0, latency: latencySketch([5, 6, 7]) },
          { minute, source: end("frontend"), destination: end("checkout"), codeClass: "5xx", requests: PER_MINUTE.toCheckout, errors: PER_MINUTE.toCheckout, latency: latencySketch([2, 3]) },
        ],
      });
    }
    // The traces behind it: the caller got 503, east's east-west gateway could not connect (UF).
    const t0 = Date.now() - 90_000;
    await east.agent.reportSpans.mutate({
      spans: Array.from({ length: 4 }, (_, i) => [
        { traceId: `e${hex(i, 31)}`, spanId: `1${hex(i, 15)}`, namespace: "shop", service: "frontend", version: "v1", kind: "CLIENT" as const, name: "GET checkout", startTime: t0 + i * 1000, durationMs: 4, statusCode: 503, peerService: "shop/checkout" },
        { traceId: `e${hex(i, 31)}`, spanId: `2${hex(i, 15)}`, parentSpanId: `1${hex(i, 15)}`, namespace: "weft-system", service: "east-west-gateway", kind: "CLIENT" as const, name: "connect checkout", startTime: t0 + i * 1000 + 1, durationMs: 2, statusCode: 503, responseFlags: "UF", peerService: "shop/checkout" },
      ]).flat(),
    });
    browser = await harness.launchChromium();
    page = await openPage(browser, { pageErrors });
    await logIn(page, webOrigin, "admin", adminPassword);
  });

  afterAll(() => harness.stop());

  const tapInTopology = (id: string) => tapOnTopology(page, id);

  it("says in words why an unhealthy edge fails and opens its failed traces in a drawer", async () => {
    await page.goto(`${webOrigin}/topology`);
    await tapInTopology("edge:svc:east/shop/frontend->svc:east/shop/checkout");
    const why = page.getByTestId("side-panel").getByTestId("why-unhealthy");
    await why.getByTestId("failure-cause").first().waitFor();
    expect(await why.getByTestId("threshold-reasons").textContent()).toContain("errors 100% ≥ 5 % (failing)");
    expect(await why.getByTestId("failure-cause").first().textContent()).toContain("100 % 503 UF: upstream connection failed via east's gateway");
    expect(await why.getByTestId("failed-trace-link").count()).toBe(4);
    await saveScreenshot(page, "topology-why");

    const href = (await why.getByTestId("failed-trace-link").first().getAttribute("href"))!;
    expect(href).toMatch(/^\/services\/detail\?.*service=shop%2Fcheckout.*&trace=e[0-9a-f]{31}$/);
    await why.getByTestId("failed-trace-link").first().click();
    await page.waitForFunction(() => window.location.search.includes("trace=e"));
    const drawer = page.getByTestId("trace-drawer");
    await drawer.getByTestId("trace-waterfall").waitFor();
    expect(await drawer.getAttribute("open")).not.toBeNull();
    await drawer.getByText("east-west-gateway").first().waitFor();
    await page.getByTestId("traces-paused").waitFor();
    // Escape closes the drawer and the list refreshes again.
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => !window.location.search.includes("trace="));
    await page.getByTestId("traces-paused").waitFor({ state: "detached" });
  });

  it("gives the same rate in the overview, the topology panel and under the chart, over the minutes the data covers", async () => {
    // What the manager says for the hour, read next to each number the page shows.
    const apiRates = async () => {
      const api = await admin.telemetry.edges.query({ from: new Date(Date.now() - 60 * MINUTE), to: new Date() });
      // Only the seeded minutes count as covered: rates are not diluted by the hour.
      expect(api.coveredFrom.getTime()).toBe(firstMinute);
      const rates = Object.fromEntries(api.edges.map((e) => [e.destination.service, e.rate]));
      for (const e of api.edges) expect(e.rate * api.coveredSeconds).toBeCloseTo(e.requests, 6);
      return { total: api.edges.reduce((n, e) => n + e.rate, 0), checkout: rates["checkout"] ?? 0 };
    };
    const near = (a: number, b: number) => Math.abs(a - b) / b < 0.1;

    // The overview reads the same total for the last hour and the last 15 minutes: both cover the same three minutes of data.
    const overviewRate = async (range: string) => {
      await page.goto(`${webOrigin}/?range=${range}`);
      const total = page.getByTestId("overview-tile").first();
      await page.getByTestId("rate-cover").filter({ hasText: "the data covers" }).waitFor();
      // The short default window stays out of the URL.
      expect(await total.getAttribute("href")).toBe(range === "15m" ? "/topology" : `/topology?range=${range}`);
      return Number.parseFloat((await total.textContent()) ?? "");
    };
    const hourTotal = await overviewRate("1h");
    expect(near(hourTotal, (await apiRates()).total), `overview ${hourTotal}/s`).toBe(true);
    const quarterTotal = await overviewRate("15m");
    expect(near(quarterTotal, hourTotal), `last hour ${hourTotal}/s, last 15 minutes ${quarterTotal}/s`).toBe(true);

    await page.goto(`${webOrigin}/topology?range=1h`);
    await tapInTopology("svc:east/shop/checkout");
    const panel = page.getByTestId("side-panel");
    const inboundCell = panel.locator("dt:text-is('Inbound') + dd");
    await inboundCell.waitFor();
    await panel.getByTestId("chart-average-rate").waitFor();
    const inbound = Number.parseFloat((await inboundCell.textContent())!);
    const chart = Number.parseFloat((await panel.getByTestId("chart-average-rate").textContent())!);
    // Queries a few seconds apart over data that has stopped: within a tenth of each other, not a factor of 20.
    expect(near(chart, inbound), `panel ${inbound}/s, chart ${chart}/s`).toBe(true);
    expect(near(inbound, (await apiRates()).checkout), `panel ${inbound}/s`).toBe(true);
    await saveScreenshot(page, "topology-rates");
  });

  it("asks for a message before applying, and confirms a rollback with its diff", async () => {
    await page.goto(`${webOrigin}/policies/edit?kind=HTTPRoute&namespace=shop&name=checkout`);
    const weight = page.locator('[data-path="spec.rules[0].backendRefs[1].weight"]');
    await weight.fill("20");
    await page.locator('[data-path="spec.rules[0].backendRefs[0].weight"]').fill("80");
    expect(await page.getByTestId("apply").isDisabled()).toBe(true);
    await page.getByTestId("change-message").fill("80/20");
    await page.getByTestId("apply").click();
    await page.locator('[data-testid="history-row"][data-revision="2"]').waitFor();

    await page.locator('[data-testid="history-row"][data-revision="1"]').getByTestId("rollback").click();
    const dialog = page.getByTestId("rollback-confirm");
    await dialog.getByTestId("text-diff").waitFor();
    const diff = (await dialog.getByTestId("text-diff").textContent())!;
    expect(diff).toMatch(/-\s+weight: 80/);
    expect(diff).toMatch(/\+\s+weight: 90/);
    // Nothing happened yet; without a message it cannot go.
    expect((await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" })).revision).toBe(2);
    await dialog.getByTestId("rollback-message").fill("");
    expect(await page.getByRole("button", { name: "Roll back", exact: true }).isDisabled()).toBe(true);
    await dialog.getByTestId("rollback-message").fill("back to 90/10: v2 errors");
    await saveScreenshot(page, "rollback-confirm");
    await page.getByRole("button", { name: "Roll back", exact: true }).click();
    const rev3 = page.locator('[data-testid="history-row"][data-revision="3"]');
    await rev3.waitFor();
    expect(await rev3.textContent()).toContain("back to 90/10: v2 errors");
  });

  it("predicts the impact of a shift from the workloads that called the service in the last hour", async () => {
    await page.goto(`${webOrigin}/policies/edit?kind=HTTPRoute&namespace=shop&name=checkout`);
    await page.locator('[data-path="spec.rules[0].backendRefs[0].weight"]').fill("50");
    await page.locator('[data-path="spec.rules[0].backendRefs[1].weight"]').fill("50");
    await page.getByTestId("dry-run").click();
    const impact = page.getByTestId("predicted-impact");
    await impact.getByTestId("impact-callers").waitFor();
    // Only frontend called checkout: no other workload of the namespace is listed.
    const rows = impact.getByTestId("impact-callers").locator("tbody tr");
    expect(await rows.count()).toBe(1);
    const moves = (await rows.first().getByTestId("impact-moves").textContent())!;
    expect(moves).toMatch(/^≈ [\d.]+ req\/min from east\/shop\/frontend would move to v2$/);
    // 90/10 → 50/50: 40 % of frontend's requests per minute, as the rollups have them for the hour.
    const api = await admin.telemetry.edges.query({ from: new Date(Date.now() - 60 * MINUTE), to: new Date() });
    const perMinute = api.edges.filter((e) => e.source.service === "frontend" && e.destination.service === "checkout").reduce((n, e) => n + e.rate * 60, 0);
    const shown = Number.parseFloat(moves.slice(2));
    expect(Math.abs(shown - perMinute * 0.4) / (perMinute * 0.4), `shown ${shown}, rollups ${perMinute * 0.4}`).toBeLessThan(0.1);
    await impact.scrollIntoViewIfNeeded();
    await saveScreenshot(page, "predicted-impact", { docs: true });
  });

  it("shifts traffic with the wizard on the service page, through the review step, and reopens it with the new weights", async () => {
    await page.goto(`${webOrigin}/services/detail?service=shop/checkout`);
    const wizard = page.getByTestId("traffic-shift-wizard");
    await wizard.waitFor();
    // It starts from the route's weights.
    expect(await wizard.getByTestId("shift-weight-v2").inputValue()).toBe("10");
    await wizard.getByTestId("shift-weight-v2").fill("30");
    // The other slider follows: always 100 together.
    await page.waitForFunction(() => (document.querySelector('[data-testid="shift-weight-v1"]') as HTMLInputElement | null)?.value === "70");
    expect(await wizard.getByTestId("shift-slider-v1").inputValue()).toBe("70");
    await wizard.scrollIntoViewIfNeeded();
    await saveScreenshot(page, "wizard-traffic-shift", { docs: true });

    await wizard.getByTestId("shift-review").click();
    await page.waitForURL(/\/policies\/edit\?.*name=checkout.*draft=/);
    await page.locator('[data-path="spec.rules[0].backendRefs[1].weight"]').waitFor();
    expect(await page.locator('[data-path="spec.rules[0].backendRefs[0].weight"]').inputValue()).toBe("70");
    expect(await page.locator('[data-path="spec.rules[0].backendRefs[1].weight"]').inputValue()).toBe("30");
    await page.getByTestId("dry-run").click();
    await page.getByTestId("predicted-impact").getByTestId("impact-moves").first().waitFor();
    expect(await page.getByTestId("structured-diff").textContent()).toContain("spec.rules[0].backendRefs[1].weight");
    await page.getByTestId("change-message").fill("shift 30 % to v2");
    await page.getByTestId("apply").click();
    await page.getByTestId("change-status").filter({ hasText: "Applied" }).waitFor();
    const stored = await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(JSON.stringify(stored.document)).toContain('"version":"v2","weight":30');

    await page.goto(`${webOrigin}/services/detail?service=shop/checkout`);
    await page.getByTestId("traffic-shift-wizard").waitFor();
    expect(await page.getByTestId("shift-weight-v2").inputValue()).toBe("30");
  });

  it("underlines a bad value in the YAML editor at its field and completes keys from the schema", async () => {
    await page.goto(`${webOrigin}/policies/edit?kind=HTTPRoute&namespace=shop&name=checkout`);
    await page.locator('[data-path="spec.rules[0].backendRefs[1].weight"]').fill("-5");
    await page.getByRole("tab", { name: "YAML" }).click();
    const editor = page.getByTestId("yaml-editor");
    await editor.locator(".cm-content").waitFor();
    expect(await editor.locator(".cm-content").innerText()).toContain("weight: -5");
    const marked = editor.locator(".cm-lintRange-error");
    await marked.first().waitFor();
    expect(await marked.first().textContent()).toBe("-5");
    // Completion: a new key in metadata offers the keys the schema has and the document lacks.
    await editor.locator(".cm-line", { hasText: "name: checkout" }).first().click();
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("la");
    await page.locator(".cm-tooltip-autocomplete .cm-completionLabel").getByText("labels", { exact: true }).waitFor();
    await saveScreenshot(page, "yaml-editor");
  });

  it("opens the Mesh default resource from the policies list", async () => {
    await page.goto(`${webOrigin}/policies?kind=Mesh`);
    await page.getByTestId("policies-table").getByRole("link", { name: "default" }).click();
    await page.getByRole("heading", { level: 1, name: "Mesh default" }).waitFor();
    await page.locator('[data-testid="history-row"][data-revision="1"]').waitFor();
    expect(await page.getByTestId("state-error").count()).toBe(0);
  });

  it("says a change was refused for lack of permission, not that the manager is unreachable", async () => {
    const otto = await admin.users.create.mutate({ username: "otto", password: "operator-password-1", role: "OPERATOR" });
    const other = await openPage(browser);
    try {
      await logIn(other, webOrigin, "otto", "operator-password-1", "/policies/edit?kind=HTTPRoute&namespace=shop&name=checkout");
      await other.getByTestId("change-message").fill("try");
      // Demoted while the page is open: the next apply is refused.
      await admin.users.update.mutate({ id: otto.id, role: "VIEWER" });
      await other.getByTestId("apply").click();
      const error = other.getByTestId("apply-error");
      await error.waitFor();
      expect(await error.textContent()).toContain("Refused: you do not have permission");
      expect(await error.textContent()).not.toContain("Cannot reach");
    } finally {
      await other.context().close();
    }
  });

  it.each(["/", "/topology", "/services", "/services/detail?service=shop/checkout", "/policies", "/policies/edit?kind=HTTPRoute&namespace=shop&name=checkout", "/users", "/audit", "/change-requests", "/clusters"])(
    "axe-core finds no serious or critical violation on %s",
    async (path) => {
      await page.goto(`${webOrigin}${path}`);
      await page.getByRole("main").getByRole("heading", { level: 1 }).first().waitFor();
      await page.waitForLoadState("networkidle");
      const results = await new AxeBuilder({ page: page as never }).withTags(["wcag2a", "wcag2aa"]).analyze();
      const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")})`)).toEqual([]);
    },
  );

  it("had no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
