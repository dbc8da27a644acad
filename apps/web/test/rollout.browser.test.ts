// A canary rollout driven from the dashboard in Chromium against a real
// manager: shop/catalog runs v1 (an hour of traffic at 99.8 % success, p99
// around 40 ms) and v2 (just deployed, no traffic) in clusters east and
// west. From the service page an operator walks the wizard: the versions
// per cluster with their live traffic, the weight preview, thresholds
// pre-filled from v1's last hour, the review with the Rollout document and
// the route diff; starts it, and lands on the rollout page, which shows the
// first step's weight per cluster; then aborts it there. The list page puts
// it first. Screenshots docs/screenshots/canary-wizard.png and rollout.png.
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, BrowserHarness, checkPrerequisites, joinCluster, latencySketch, logIn, openPage, saveScreenshot, signIn } from "./browser-harness.ts";

const MINUTE = 60_000;
type Edge = Parameters<Api["agent"]["reportTelemetry"]["mutate"]>[0]["edges"][number];

/** One minute of frontend → catalog `version` traffic in `cluster`: `requests` with `errors` 5xx, latencies 8–40 ms with a tail at ~`tailMs`. */
function minuteOf(cluster: string, version: string, minute: number, requests: number, errors: number, tailMs: number): Edge[] {
  const end = (service: string, v: string) => ({ cluster, namespace: "shop", service, version: v });
  const samples = (n: number) => Array.from({ length: n }, (_, i) => (i % 100 === 99 ? tailMs : 8 + (i % 33)));
  const edges: Edge[] = [{ minute, source: end("frontend", "v1"), destination: end("catalog", version), codeClass: "2xx", requests: requests - errors, errors: 0, latency: latencySketch(samples(requests - errors)) }];
  if (errors > 0) edges.push({ minute, source: end("frontend", "v1"), destination: end("catalog", version), codeClass: "5xx", requests: errors, errors, latency: latencySketch(samples(errors)) });
  return edges;
}

describe("a canary rollout from the dashboard", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let apiOrigin: string;
  let adminPassword: string;
  let browser: Browser;
  let admin: Api;
  const agents: Api[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await checkPrerequisites({ docsScreenshots: true });
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({ homePrefix: "weft-web-rollout-", managerEnv: { WEFT_CA_KEY: randomBytes(32).toString("base64"), WEFT_ROLLOUT_TICK: "1s" } }));
    admin = await signIn(apiOrigin, "admin", adminPassword);
    await admin.users.create.mutate({ username: "olga", password: "operator-password-1", role: "OPERATOR" });
    await admin.users.create.mutate({ username: "vera", password: "viewer-password-1", role: "VIEWER" });
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    for (const [i, cluster] of ["east", "west"].entries()) {
      const agent = await joinCluster(admin, apiOrigin, cluster);
      agents.push(agent);
      const workloads = [
        { namespace: "shop", name: "frontend-0", serviceAccount: "frontend", version: "v1" },
        { namespace: "shop", name: "catalog-v1", serviceAccount: "catalog", version: "v1" },
        { namespace: "shop", name: "catalog-v2", serviceAccount: "catalog", version: "v2" },
      ];
      await agent.agent.resyncDiscovery.mutate({
        seq: 1,
        services: ["frontend", "catalog"].map((name) => ({ namespace: "shop", name, ports: [{ port: 8080, protocol: "http" as const }] })),
        workloads,
        endpoints: workloads.map((w, n) => ({ namespace: "shop", service: w.serviceAccount, address: `10.0.${i + 1}.${n + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: w.name })),
      });
      // The last hour of v1: 600 requests a minute in east, 300 in west, 0.2 % errors.
      const edges: Edge[] = [];
      for (let m = now - 59 * MINUTE; m <= now; m += MINUTE) edges.push(...minuteOf(cluster, "v1", m, i === 0 ? 600 : 300, i === 0 ? 1 : 1, 40));
      for (let k = 0; k < edges.length; k += 200) await agent.agent.reportTelemetry.mutate({ edges: edges.slice(k, k + 200) });
    }
    browser = await harness.launchChromium();
  });

  afterAll(() => harness.stop());

  /** Reports the current minute's traffic to catalog v1 and v2 in both clusters every second until stopped. */
  function startTraffic(): { stop: () => Promise<void> } {
    let running = true;
    const loop = (async () => {
      while (running) {
        const minute = Math.floor(Date.now() / MINUTE) * MINUTE;
        for (const [i, agent] of agents.entries()) {
          const cluster = i === 0 ? "east" : "west";
          await agent.agent.reportTelemetry.mutate({ edges: [...minuteOf(cluster, "v1", minute, 40, 0, 40), ...minuteOf(cluster, "v2", minute, 20, 0, 40)] });
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  async function signedInPage(path: string, [user, password] = ["olga", "operator-password-1"]): Promise<Page> {
    const page = await openPage(browser, { height: 1000, pageErrors });
    await logIn(page, webOrigin, user, password, path);
    return page;
  }

  it("walks the wizard from the service page to a running rollout, and aborts it from the rollout page", async () => {
    const page = await signedInPage("/services/detail?service=shop%2Fcatalog");
    try {
      await page.getByTestId("start-rollout").click();
      await page.waitForURL(/\/rollouts\/new\?/);
      // Versions per cluster with their live traffic; v1 guessed as stable (it takes the traffic), v2 as the canary.
      const versions = page.getByTestId("wizard-versions");
      await versions.locator('tr[data-cluster="west"][data-version="v2"]').waitFor();
      expect(await versions.locator('tr[data-cluster="east"][data-version="v1"] td').nth(3).textContent()).toMatch(/^(\d\.\d\d|\d\d)\/s$/);
      expect(await versions.locator('tr[data-cluster="east"][data-version="v2"] td').nth(3).textContent()).toBe("0/s");
      await saveScreenshot(page, "canary-wizard-versions", { fullPage: true });
      expect(await page.getByLabel("Stable version").inputValue()).toBe("v1");
      expect(await page.getByLabel("Canary version").inputValue()).toBe("v2");
      await page.getByRole("button", { name: "Next: Strategy" }).click();

      // Strategy: canary steps and a gate before promotion; the preview follows (a mirror phase would come first).
      await page.getByLabel("Canary weights (%)").fill("20, 50");
      await page.getByRole("checkbox", { name: "Wait for an approval before promotion" }).check();
      const preview = page.getByTestId("weight-preview");
      const mirror = page.getByRole("checkbox", { name: /Before any live traffic/ });
      await mirror.check();
      expect(await preview.getByRole("img").getAttribute("aria-label")).toMatch(/^Canary weight: 0, 0, 0, 20, 20, 50, 50, 100, 100 percent/);
      await mirror.uncheck();
      expect(await preview.getByRole("img").getAttribute("aria-label")).toMatch(/^Canary weight: 0, 20, 20, 50, 50, 100, 100 percent/);
      expect(await preview.textContent()).toContain("approval (wave 1)");
      await saveScreenshot(page, "canary-wizard-strategy", { fullPage: true });
      // A weight outside 0–100 is named by the schema, next to the field.
      await page.getByLabel("Canary weights (%)").fill("20, 150");
      await page.getByText("must be between 0 and 100").waitFor();
      await page.getByLabel("Canary weights (%)").fill("20, 50");
      await page.getByRole("button", { name: "Next: Analysis" }).click();

      // Thresholds pre-filled from v1's last hour (east and west: 900 requests a minute, 0.22 % errors), labelled as such:
      // the canary may fail twice as often and at least half a point more: 99.2 %.
      const prefill = page.getByTestId("baseline-prefill");
      await prefill.getByText("pre-filled from the last 60 min of v1").waitFor();
      expect(await prefill.textContent()).toMatch(/\d{5} requests, 99\.8 % success, p99 \d+(\.\d)? ms/);
      expect(await page.getByLabel("Canary success rate at least (%)").inputValue()).toBe("99.2");
      expect(Number(await page.getByLabel("Canary p99 at most (ms)").inputValue())).toBeGreaterThanOrEqual(60);
      expect(await page.getByTestId("from-baseline").count()).toBe(2);
      await page.getByRole("textbox", { name: /^Interval/ }).fill("10s");
      await saveScreenshot(page, "canary-wizard-analysis", { fullPage: true });
      await page.getByRole("button", { name: "Next: Webhooks" }).click();
      await page.getByRole("button", { name: "Next: Review" }).click();

      // Review: the document, no findings, the route the first step writes, and who must act.
      const yaml = page.getByTestId("rollout-yaml");
      expect(await yaml.textContent()).toMatch(/kind: Rollout[\s\S]*canary:\s+version: v2/);
      await page.getByTestId("rollout-findings").waitFor();
      expect(await page.getByTestId("rollout-findings").textContent()).toContain("No findings");
      const diff = page.getByTestId("text-diff");
      await diff.waitFor();
      // The first step: 20 % of catalog's requests to v2 (the route is created: the service has none yet).
      expect(await diff.textContent()).toMatch(/version: v1\W*weight: 80[\s\S]*version: v2\W*weight: 20/);
      expect(await page.getByTestId("rollout-approvals").textContent()).toContain("You may start this rollout");
      expect(await page.getByTestId("review-analysis").textContent()).toMatch(/success ≥ 99\.2 %.*pre-filled from the last 60 min of v1/);
      await saveScreenshot(page, "canary-wizard", { docs: true, fullPage: true });
      await page.getByRole("button", { name: "Start rollout" }).click();
      await page.waitForURL(/\/rollouts\/detail\?/);

      // The rollout page: 20 % in both clusters right away.
      const clusters = page.getByTestId("rollout-clusters");
      await clusters.locator('tr[data-cluster="west"]').getByText("20 %").waitFor();
      expect(await clusters.locator('tr[data-cluster="east"] td').nth(2).textContent()).toBe("20 %");
      // Live traffic while it runs: v1 and v2 in both clusters, v2 as healthy as v1; the analysis judges each 10 s interval.
      const traffic = startTraffic();
      try {
        await page.getByTestId("rollout-verdicts").locator('tr[data-verdict="pass"]').first().waitFor({ timeout: 60_000 });
        // It passes 20 % and 50 %, then waits at the gate before promotion.
        await page.getByTestId("rollout-phase").getByText("waiting for approval").waitFor({ timeout: 60_000 });
      } finally {
        await traffic.stop();
      }
      const verdicts = page.getByTestId("rollout-verdicts");
      expect(await verdicts.locator('tr[data-verdict="pass"]').filter({ hasText: "success-rate" }).first().textContent()).toMatch(/success-rate.*\d+(\.\d+)? % \(≥ 99\.2 %.*n=\d+\/\d+\)/);
      expect(await clusters.locator('tr[data-cluster="east"] td').nth(2).textContent()).toBe("50 %");
      expect(await page.getByTestId("rollout-timeline").textContent()).toMatch(/step-entered/);
      await page.getByTestId("chart-success").locator("canvas").first().waitFor();
      // The canary's own series (telemetry filtered by version): 100 % success in the minutes it served.
      const canaryCells = await page.getByTestId("chart-success").locator("table tbody tr td:nth-child(3)").allTextContents();
      expect(canaryCells.filter((v) => v === "100").length).toBeGreaterThan(0);
      await page.getByRole("button", { name: "Approve" }).waitFor();
      await saveScreenshot(page, "rollout", { docs: true, fullPage: true });

      // The list puts it first, waiting for an approval.
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Rollouts" }).click();
      const first = page.getByTestId("rollout-row").first();
      await first.waitFor();
      expect(await first.textContent()).toMatch(/shop\/catalog.*v1 → v2.*waiting for approval/);
      await first.getByRole("link").click();
      await page.waitForURL(/\/rollouts\/detail\?/);

      // Abort, confirmed: back to v1 everywhere at once.
      await page.getByRole("button", { name: "Abort" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Abort" }).click();
      await page.getByTestId("rollout-phase").getByText("aborted").waitFor();
      await clusters.locator('tr[data-cluster="west"]').getByText("stable (0 %)").waitFor();
      expect(await page.getByTestId("rollout-timeline").textContent()).toMatch(/aborted by olga/);
      expect(await page.getByTestId("rollout-actions").getByRole("button").allTextContents()).toEqual(["Retry"]);
    } finally {
      await page.context().close();
    }
    // A viewer follows the rollout but gets no buttons, and no way into the wizard.
    const viewer = await signedInPage("/rollouts/detail?namespace=shop&name=catalog", ["vera", "viewer-password-1"]);
    try {
      await viewer.getByText("Viewers follow rollouts").waitFor();
      expect(await viewer.getByTestId("rollout-actions").count()).toBe(0);
      await viewer.goto(`${webOrigin}/services/detail?service=shop%2Fcatalog`);
      await viewer.getByTestId("edit-policy").waitFor();
      expect(await viewer.getByTestId("start-rollout").count()).toBe(0);
    } finally {
      await viewer.context().close();
    }
    expect(pageErrors).toEqual([]);
  });
});
