// Drives the real dashboard in Chromium against a real manager: both run as
// child processes (web may reach the API package only as types). Needs a prior
// `next build` of apps/web; it builds nothing itself.
import { setTimeout as delay } from "node:timers/promises";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, BrowserHarness, checkPrerequisites, joinCluster, latencySketch, logIn, openPage, saveScreenshot, signIn, tapOnTopology } from "./browser-harness.ts";

const end = (cluster: string, namespace: string, service: string, version = "") => ({ cluster, namespace, service, version });

function delta(source: ReturnType<typeof end>, destination: ReturnType<typeof end>, requests: number, errors: number, latencyMs: number, minutesAgo: number) {
  const minute = Math.floor((Date.now() - minutesAgo * 60_000) / 60_000) * 60_000;
  const samples = Array.from({ length: Math.min(requests, 200) }, (_, i) => latencyMs * (0.5 + (i % 10) / 10));
  return [
    { minute, source, destination, codeClass: "2xx" as const, requests: requests - errors, errors: 0, latency: latencySketch(samples.slice(0, Math.max(0, samples.length - errors))) },
    ...(errors > 0 ? [{ minute, source, destination, codeClass: "5xx" as const, requests: errors, errors, latency: latencySketch(samples.slice(0, errors)) }] : []),
  ];
}

const ROUTE = {
  apiVersion: "weft.io/v1alpha1",
  kind: "HTTPRoute",
  metadata: { name: "checkout", namespace: "shop" },
  spec: {
    parentRefs: [{ kind: "Service", name: "checkout" }],
    rules: [{ backendRefs: [{ kind: "Service", name: "checkout", version: "v1", weight: 90 }, { kind: "Service", name: "checkout", version: "v2", weight: 10 }] }],
  },
};

const WEIGHT_0 = '[data-path="spec.rules[0].backendRefs[0].weight"]';
const WEIGHT_1 = '[data-path="spec.rules[0].backendRefs[1].weight"]';

describe("the dashboard in Chromium against a real manager", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let apiOrigin: string;
  let browser: Browser;
  let page: Page;
  let admin: Api;
  let adminPassword: string;
  const pageErrors: string[] = [];
  const apiRequests: string[] = [];

  beforeAll(async () => {
    await checkPrerequisites({ docsScreenshots: true });
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({ homePrefix: "weft-web-test-" }));

    // Seed through the API: an admin session, two clusters whose agents report discovery and traffic, a route.
    admin = await signIn(apiOrigin, "admin", adminPassword);
    const agents: Record<string, Api> = {};
    const discovered = {
      east: [["shop", "frontend", "v1"], ["shop", "checkout", "v1"], ["shop", "checkout", "v2"]],
      west: [["pay", "payments", "v1"], ["pay", "ledger", "v1"]],
    } as const;
    for (const name of ["east", "west"] as const) {
      const agent = await joinCluster(admin, apiOrigin, name);
      agents[name] = agent;
      const list = discovered[name];
      await agent.agent.resyncDiscovery.mutate({
        seq: 1,
        services: [...new Map(list.map(([ns, svc]) => [`${ns}/${svc}`, { namespace: ns, name: svc, ports: [{ port: 8080, protocol: "http" as const }] }])).values()],
        workloads: list.map(([ns, svc, version]) => ({ namespace: ns, name: `${svc}-${version}-0`, serviceAccount: svc, version })),
        endpoints: list.map(([ns, svc, version], i) => ({ namespace: ns, service: svc, address: `10.0.${name === "east" ? 1 : 2}.${i + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${svc}-${version}-0` })),
      });
    }
    await admin.resources.applyDocuments.mutate({ documents: [ROUTE], message: "seed" });
    const east = [end("east", "shop", "frontend", "v1"), end("east", "shop", "checkout", "v1"), end("east", "shop", "checkout", "v2")] as const;
    for (const minutesAgo of [1, 2, 3, 4, 5]) {
      await agents.east!.agent.reportTelemetry.mutate({
        edges: [
          ...delta(end("", "", "unknown"), east[0], 600, 0, 20, minutesAgo),
          ...delta(east[0], east[1], 540, 2, 60, minutesAgo),
          ...delta(east[0], east[2], 60, 6, 900, minutesAgo),
          ...delta(east[1], end("west", "pay", "payments", "v1"), 300, 0, 40, minutesAgo),
        ],
      });
      await agents.west!.agent.reportTelemetry.mutate({ edges: delta(end("west", "pay", "payments", "v1"), end("west", "pay", "ledger", "v1"), 300, 0, 8, minutesAgo) });
    }

    browser = await harness.launchChromium();
    page = await openPage(browser, { pageErrors });
    page.on("request", (request) => {
      if (request.url().includes("/trpc/")) apiRequests.push(request.url());
    });
  });

  afterAll(() => harness.stop());

  it("forwards /healthz to the manager on the dashboard's own origin", async () => {
    const response = await fetch(`${webOrigin}/healthz`);
    expect(response.status).toBe(200);
    // Anonymous: up or down only; the overview (signed in) shows the database through health.report.
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("serves pages with a nonce-based Content-Security-Policy that forbids framing, and the app runs under it", async () => {
    const [first, second] = [await fetch(`${webOrigin}/login`), await fetch(`${webOrigin}/login`)];
    const csp = first.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'(;|$)/);
    expect(csp).not.toContain("unsafe-eval");
    expect(first.headers.get("x-frame-options")).toBe("DENY");
    expect(first.headers.get("x-content-type-options")).toBe("nosniff");
    // A fresh nonce per response, and Next's own inline scripts carry it.
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1] as string;
    expect(second.headers.get("content-security-policy")).not.toContain(nonce);
    const html = await first.text();
    expect(html).toContain(`nonce="${nonce}"`);
    // Other sites cannot frame the dashboard: Chromium refuses to render it in a frame.
    const framing = await openPage(browser);
    try {
      await framing.setContent(`<iframe id="f" src="${webOrigin}/login"></iframe>`);
      const frame = await (await framing.waitForSelector("#f")).contentFrame();
      // Chromium replaces a refused frame with its error page.
      await expect.poll(() => frame?.url() ?? "", { timeout: 30_000 }).toMatch(/^chrome-error:/);
    } finally {
      await framing.context().close();
    }
  });

  it("sends a signed-out visitor to the login page and back after signing in", async () => {
    await page.goto(`${webOrigin}/topology?range=6h`);
    await page.waitForURL(/\/login\?next=%2Ftopology%3Frange%3D6h/);
    // Next streams the metadata: wait for the title rather than read it at once.
    await expect.poll(() => page.title(), { timeout: 30_000 }).toBe("Sign in · Weft");
    // No OIDC provider is configured: no OIDC button.
    expect(await page.getByTestId("oidc-login").count()).toBe(0);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("wrong-password-123");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("login-error").waitFor();
    await page.getByLabel("Password").fill(adminPassword);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${webOrigin}/topology?range=6h`);
    // The time range survives navigation: every nav link carries it.
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Services" }).getAttribute("href")).toBe("/services?range=6h");
  });

  it("shows the overview: clusters, mesh traffic, recent changes and the manager's health", async () => {
    await page.goto(webOrigin);
    await expect.poll(() => page.title(), { timeout: 30_000 }).toBe("Overview · Weft");
    expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).getAttribute("aria-current")).toBe("page");
    await page.getByRole("main").getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.getByTestId("overview-clusters").getByText("east").waitFor();
    await page.getByTestId("mesh-totals").waitFor();
    expect(await page.getByTestId("mesh-totals").textContent()).toMatch(/Request rate\d/);
    await page.getByTestId("recent-changes").getByText("seed").waitFor();
    await page.getByTestId("database-status").filter({ hasText: "Up" }).waitFor({ timeout: 30_000 });
    // The browser reached the API through the dashboard, not the manager's port.
    expect(apiRequests.length).toBeGreaterThan(0);
    for (const url of apiRequests) expect(url.startsWith(`${webOrigin}/trpc/`)).toBe(true);
    await saveScreenshot(page, "overview", { docs: true });
  });

  it("renders the topology from telemetry in cytoscape's model and opens a side panel", async () => {
    await page.goto(`${webOrigin}/topology`);
    await page.getByTestId("topology-canvas").waitFor();
    await page.waitForFunction(() => {
      const cy = (window as unknown as { __weftTopology?: { edges: () => { length: number } } }).__weftTopology;
      return cy !== undefined && cy.edges().length >= 4;
    });
    const model = await page.evaluate(() => {
      const cy = (window as unknown as { __weftTopology: { nodes: () => { map: <T>(f: (n: { id: () => string; data: (k: string) => unknown }) => T) => T[] }; edges: () => { map: <T>(f: (n: { id: () => string; data: (k: string) => unknown }) => T) => T[] } } }).__weftTopology;
      return {
        nodes: cy.nodes().map((n) => ({ id: n.id(), parent: n.data("parent") ?? null })),
        edges: cy.edges().map((e) => ({ id: e.id(), label: e.data("label"), health: e.data("health") })),
      };
    });
    expect(model.nodes).toEqual(
      expect.arrayContaining([
        { id: "cluster:east", parent: null },
        { id: "ns:east/shop", parent: "cluster:east" },
        { id: "svc:east/shop/checkout", parent: "ns:east/shop" },
        { id: "svc:west/pay/payments", parent: "ns:west/pay" },
        { id: "ext:unknown", parent: null },
      ]),
    );
    const toCheckout = model.edges.find((e) => e.id === "edge:svc:east/shop/frontend->svc:east/shop/checkout");
    expect(toCheckout?.label).toMatch(/\/s · [\d.]+% · p99 \d+ms/);
    // 8 errors of 600 (1.3%) and a slow v2: degraded at the default thresholds.
    expect(toCheckout?.health).toBe("degraded");

    // A refresh with the same data keeps positions (updates in place).
    const positions = () => page.evaluate(() => (window as unknown as { __weftTopology: { getElementById: (id: string) => { position: () => { x: number; y: number } } } }).__weftTopology.getElementById("svc:east/shop/checkout").position());
    const before = await positions();
    await page.waitForResponse((r) => r.url().includes("telemetry.edges"), { timeout: 20_000 });
    await delay(500);
    expect(await positions()).toEqual(before);

    await tapOnTopology(page, "svc:east/shop/checkout");
    await page.getByTestId("side-panel").getByRole("heading", { name: "checkout" }).waitFor();
    await page.getByTestId("side-panel").getByTestId("edit-policy").waitFor();
    await saveScreenshot(page, "topology", { docs: true });
  });

  it("shows a service page with charts, callers and the policies that apply", async () => {
    await page.goto(`${webOrigin}/services/detail?service=shop/checkout`);
    await page.getByTestId("chart-rate").waitFor();
    await page.getByTestId("callers").getByText("shop/frontend").first().waitFor();
    await page.getByTestId("instances").getByText("v2").waitFor();
    await page.getByTestId("service-policies").getByText("HTTPRoute shop/checkout").waitFor();
    await saveScreenshot(page, "service-page", { docs: true });
  });

  it("edits a route's weights: validation at the field, dry run diff, apply, history, rollback", async () => {
    await page.goto(`${webOrigin}/policies?service=shop/checkout`);
    await page.getByTestId("policies-table").getByRole("link", { name: "checkout" }).click();
    await page.waitForURL(/\/policies\/edit\?/);
    await page.locator(WEIGHT_1).waitFor();
    expect(await page.locator(WEIGHT_1).inputValue()).toBe("10");

    // Client-side validation with the mesh-model schema, shown next to the field it names.
    await page.locator(WEIGHT_1).fill("-5");
    const fieldError = page.locator('[data-error-path="spec.rules[0].backendRefs[1].weight"]');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain("must be between 0 and 1000000");
    expect(await page.locator(WEIGHT_1).getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByTestId("apply").isDisabled()).toBe(true);

    await page.locator(WEIGHT_0).fill("50");
    await page.locator(WEIGHT_1).fill("50");
    await fieldError.waitFor({ state: "detached" });

    // The YAML tab round-trips the form's value.
    await page.getByRole("tab", { name: "YAML" }).click();
    const yaml = await page.getByTestId("yaml-editor").locator(".cm-content").innerText();
    expect(yaml).toContain("weight: 50");
    expect(yaml).not.toContain("weight: 90");
    await page.getByRole("tab", { name: "Form" }).click();
    expect(await page.locator(WEIGHT_0).inputValue()).toBe("50");

    await page.getByTestId("dry-run").click();
    const result = page.getByTestId("change-result");
    await result.and(page.locator('[data-status="dry-run"]')).waitFor();
    const structured = await page.getByTestId("structured-diff").textContent();
    expect(structured).toContain("spec.rules[0].backendRefs[0].weight");
    expect(structured).toContain("spec.rules[0].backendRefs[1].weight");
    const textDiff = await page.getByTestId("text-diff").textContent();
    expect(textDiff).toMatch(/-\s+weight: 90/);
    expect(textDiff).toMatch(/\+\s+weight: 50/);
    await saveScreenshot(page, "policy-editor", { docs: true });

    await page.getByTestId("change-message").fill("50/50 canary");
    await page.getByTestId("apply").click();
    await page.getByTestId("change-status").filter({ hasText: "Applied" }).waitFor();
    const rev2 = page.locator('[data-testid="history-row"][data-revision="2"]');
    await rev2.waitFor();
    expect(await rev2.textContent()).toContain("50/50 canary");
    expect(await rev2.textContent()).toContain("admin");

    await page.locator('[data-testid="history-row"][data-revision="1"]').getByTestId("rollback").click();
    await page.getByTestId("rollback-confirm").getByTestId("text-diff").waitFor();
    await page.getByRole("button", { name: "Roll back", exact: true }).click();
    await page.locator('[data-testid="history-row"][data-revision="3"]').waitFor();
    expect(await page.locator('[data-testid="history-row"][data-revision="3"]').textContent()).toContain("Roll back to revision 1");
    await page.waitForFunction((sel) => (document.querySelector(sel) as HTMLInputElement | null)?.value === "10", WEIGHT_1);
    const stored = await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect(stored.revision).toBe(3);
    expect(JSON.stringify(stored.document)).toContain('"weight":90');
    await saveScreenshot(page, "policy-history");
  });

  it("shows a viewer no edit controls, and the API refuses the viewer anyway", async () => {
    await admin.users.create.mutate({ username: "vera", password: "viewer-password-1", role: "VIEWER" });
    const viewer = await openPage(browser);
    const viewerContext = viewer.context();
    try {
      await logIn(viewer, webOrigin, "vera", "viewer-password-1", "/policies/edit?kind=HTTPRoute&namespace=shop&name=checkout");
      await viewer.getByTestId("read-only").waitFor();
      await viewer.locator(WEIGHT_1).waitFor();
      expect(await viewer.locator(WEIGHT_1).isDisabled()).toBe(true);
      await viewer.locator('[data-testid="history-row"][data-revision="3"]').waitFor();
      for (const testId of ["apply", "dry-run", "rollback", "change-message"]) expect(await viewer.getByTestId(testId).count()).toBe(0);
      expect(await viewer.getByRole("button", { name: /^Add / }).count()).toBe(0);
      expect(await viewer.getByRole("button", { name: /^Remove/ }).count()).toBe(0);

      await viewer.goto(`${webOrigin}/policies`);
      await viewer.getByTestId("policies-table").waitFor();
      expect(await viewer.getByTestId("new-policy").count()).toBe(0);
      expect(await viewer.getByRole("link", { name: "Audit" }).count()).toBe(0);
      await viewer.goto(`${webOrigin}/users`);
      await viewer.getByRole("heading", { name: "Your API tokens" }).waitFor();
      expect(await viewer.getByTestId("users-table").count()).toBe(0);

      const api = await signIn(apiOrigin, "vera", "viewer-password-1");
      await expect(api.resources.applyDocuments.mutate({ documents: [ROUTE] })).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });

      // Session expiry: the cookies go, the next page load lands on the login page.
      await viewerContext.clearCookies();
      await viewer.goto(`${webOrigin}/services`);
      await viewer.waitForURL(/\/login\?next=%2Fservices/);
    } finally {
      await viewerContext.close();
    }
  });

  it("lets an admin filter the audit log", async () => {
    await page.goto(`${webOrigin}/audit?action=resources.*&range=24h`);
    const table = page.getByTestId("audit-table");
    await table.getByText("resources.applyDocuments").first().waitFor();
    expect(await table.getByText("users.create").count()).toBe(0);
    await saveScreenshot(page, "audit");
    expect(pageErrors).toEqual([]);
  });
});
