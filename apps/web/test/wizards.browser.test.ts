// Task wizards (issue 17, item 2 and 3), in Chromium against a real manager:
// fault injection, timeouts and retries, circuit breaking — each opened from
// the topology panel or the service page, bad input refused at its field
// with the message the manager gives for the same document, reviewed in the
// ordinary editor (diff, dry run; for the fault the requests it would have
// failed, checked against the rollups), applied, and reopened with the
// applied values. Needs a prior `next build`.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, BrowserHarness, checkPrerequisites, joinCluster, latencySketch, logIn, openPage, saveScreenshot, signIn, tapOnTopology } from "./browser-harness.ts";

const MINUTE = 60_000;
/** Each flow below is a dozen page loads and a few dry runs: on two loaded cores that takes minutes, not seconds. */
const LONG = 300_000;
const end = (service: string, version = "v1") => ({ cluster: "east", namespace: "shop", service, version });

const ROUTE = {
  apiVersion: "weft.io/v1alpha1",
  kind: "HTTPRoute",
  metadata: { name: "checkout", namespace: "shop" },
  spec: { parentRefs: [{ kind: "Service", name: "checkout" }], rules: [{ backendRefs: [{ kind: "Service", name: "checkout", version: "v1", weight: 90 }, { kind: "Service", name: "checkout", version: "v2", weight: 10 }] }] },
};

describe("task wizards", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let browser: Browser;
  let page: Page;
  let admin: Api;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await checkPrerequisites({ docsScreenshots: true });
    let adminPassword: string;
    let apiOrigin: string;
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({ homePrefix: "weft-web-wizards-" }));
    admin = await signIn(apiOrigin, "admin", adminPassword);
    const east = await joinCluster(admin, apiOrigin, "east");
    const list = [["frontend", "v1"], ["checkout", "v1"], ["checkout", "v2"]] as const;
    await east.agent.resyncDiscovery.mutate({
      seq: 1,
      services: [{ namespace: "shop", name: "frontend", ports: [{ port: 8080, protocol: "http" as const }] }, { namespace: "shop", name: "checkout", ports: [{ port: 8080, protocol: "http" as const }] }],
      workloads: list.map(([svc, version]) => ({ namespace: "shop", name: `${svc}-${version}-0`, serviceAccount: svc, version })),
      endpoints: list.map(([svc, version], i) => ({ namespace: "shop", service: svc, address: `10.0.1.${i + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${svc}-${version}-0` })),
    });
    await admin.resources.applyDocuments.mutate({ documents: [ROUTE], message: "seed" });
    // frontend calls checkout (v1 and v2) in the last three whole minutes.
    const firstMinute = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
    for (let i = 0; i < 3; i++) {
      const minute = firstMinute + i * MINUTE;
      await east.agent.reportTelemetry.mutate({
        edges: [
          { minute, source: end("frontend"), destination: end("checkout", "v1"), codeClass: "2xx", requests: 270, errors: 0, latency: latencySketch([2, 3]) },
          { minute, source: end("frontend"), destination: end("checkout", "v2"), codeClass: "2xx", requests: 30, errors: 0, latency: latencySketch([2, 3]) },
        ],
      });
    }
    browser = await harness.launchChromium();
    page = await openPage(browser, { pageErrors });
    await logIn(page, webOrigin, "admin", adminPassword);
  }, LONG);

  afterAll(() => harness.stop());

  async function openFromTopology(link: string) {
    await page.goto(`${webOrigin}/topology?range=1h`);
    // Polled on a timer, not per animation frame: a renderer busy laying out the graph on loaded cores paints few frames.
    await tapOnTopology(page, "svc:east/shop/checkout", { polling: 500, timeout: 240_000 });
    await page.getByTestId("side-panel").getByTestId(link).click();
    await page.waitForURL(/\/services\/detail\?.*wizard=/);
  }

  /** The message under the wizard field labelled `label`. */
  const fieldError = (wizard: string, label: string) => page.getByTestId(wizard).locator("label.field", { hasText: label }).locator(".field-error");

  /** What the manager says about `document` at `path` in a dry run. */
  async function apiMessage(document: unknown, path: string): Promise<string | undefined> {
    const result = await admin.resources.applyDocuments.mutate({ documents: [document], dryRun: true, message: "" });
    expect(result.status).toBe("invalid");
    return result.validation.issues.find((i) => i.path === path)?.message;
  }

  /** Dry run, message, apply in the review step the wizard opened. */
  async function applyInReview(message: string) {
    await page.getByTestId("change-message").fill(message);
    await page.getByTestId("apply").click();
    await page.getByTestId("change-status").filter({ hasText: "Applied" }).waitFor();
  }

  it("injects a fault from the topology panel: bad input refused at the field, the dry run says which requests would have failed, applied, and reopened", async () => {
    await openFromTopology("wizard-fault");
    const wizard = page.getByTestId("fault-wizard");
    await wizard.waitFor();
    // A fresh fault: 10 % answered 503, no delay.
    expect(await wizard.getByLabel("Share of requests aborted (%)").inputValue()).toBe("10");
    await wizard.getByTestId("fault-delay-enabled").check();
    await wizard.getByTestId("fault-delay").fill("2 seconds");
    await wizard.getByLabel("Share of requests aborted (%)").fill("150");
    // Refused at each field with what the manager says for the same document.
    const fault = { type: "FaultInjection", faultInjection: { delay: { fixedDelay: "2 seconds", percentage: 10 }, abort: { httpStatus: 503, percentage: 150 } } };
    const bad = { ...ROUTE, spec: { ...ROUTE.spec, rules: [{ ...ROUTE.spec.rules[0], filters: [fault] }] } };
    const delayMessage = await apiMessage(bad, "spec.rules[0].filters[0].faultInjection.delay.fixedDelay");
    const shareMessage = await apiMessage(bad, "spec.rules[0].filters[0].faultInjection.abort.percentage");
    expect(delayMessage).toMatch(/^must be a duration like/);
    expect(shareMessage).toBe("must be between 0 and 100");
    expect(await fieldError("fault-wizard", "Delay by").textContent()).toBe(delayMessage);
    expect(await fieldError("fault-wizard", "Share of requests aborted").textContent()).toBe(shareMessage);
    expect(await wizard.getByTestId("fault-wizard-review").isDisabled()).toBe(true);

    await wizard.getByTestId("fault-delay").fill("1500ms");
    await wizard.getByLabel("Share of requests aborted (%)").fill("20");
    await wizard.getByTestId("fault-header-enabled").check();
    await wizard.getByLabel("Header name").fill("x-chaos");
    await wizard.getByLabel("Header value").fill("on");
    await fieldError("fault-wizard", "Delay by").waitFor({ state: "detached" });
    expect(await wizard.locator(".field-error").count()).toBe(0);
    expect(await wizard.getByTestId("fault-summary").textContent()).toBe("Requests to shop/checkout carrying header x-chaos = on: delay 10 % of requests by 1500ms, and answer 20 % with HTTP 503.");
    await wizard.scrollIntoViewIfNeeded();
    await saveScreenshot(page, "wizard-fault", { docs: true });

    await wizard.getByTestId("fault-wizard-review").click();
    await page.waitForURL(/\/policies\/edit\?.*name=checkout.*draft=/);
    await page.getByTestId("dry-run").click();
    const sentence = page.getByTestId("predicted-impact").getByTestId("impact-fault-sentence").first();
    await sentence.waitFor();
    const text = (await sentence.textContent())!;
    const m = /^at most ≈ 20 % of the last hour's requests from east\/shop\/frontend \(≈ ([\d.]+) req\/min\) would have failed with HTTP 503$/.exec(text);
    expect(m, text).not.toBeNull();
    // 20 % of frontend's requests per minute to checkout, as the rollups have them for the hour.
    const api = await admin.telemetry.edges.query({ from: new Date(Date.now() - 60 * MINUTE), to: new Date() });
    const perMinute = api.edges.filter((e) => e.source.service === "frontend" && e.destination.service === "checkout").reduce((n, e) => n + e.rate * 60, 0);
    expect(Math.abs(Number(m![1]) - perMinute * 0.2) / (perMinute * 0.2), `shown ${m![1]}, rollups ${perMinute * 0.2}`).toBeLessThan(0.1);
    expect(await page.getByTestId("structured-diff").textContent()).toContain("spec.rules[0].filters");
    await saveScreenshot(page, "wizard-fault-dry-run");
    await applyInReview("inject 20 % 503 and a 1.5 s delay for x-chaos: on");
    const stored = await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" });
    expect((stored.document as typeof bad).spec.rules[0]).toMatchObject({
      backendRefs: ROUTE.spec.rules[0]!.backendRefs,
      filters: [{ type: "FaultInjection", faultInjection: { delay: { fixedDelay: "1500ms", percentage: 10 }, abort: { httpStatus: 503, percentage: 20 }, headers: [{ type: "Exact", name: "x-chaos", value: "on" }] } }],
    });

    // Reopened from the service page: the applied values.
    await page.goto(`${webOrigin}/services/detail?service=shop/checkout`);
    await page.getByTestId("open-fault-wizard").click();
    await wizard.waitFor();
    expect(await wizard.getByTestId("fault-delay").inputValue()).toBe("1500ms");
    expect(await wizard.getByLabel("Share of requests aborted (%)").inputValue()).toBe("20");
    expect(await wizard.getByLabel("Header name").inputValue()).toBe("x-chaos");
    expect(await wizard.textContent()).toContain("Edits the fault of the catch-all rule of HTTPRoute shop/checkout");
  }, LONG);

  it("sets timeouts and retries from the service page with the retry budget in words, and reopens them", async () => {
    await page.goto(`${webOrigin}/services/detail?service=shop/checkout`);
    await page.getByTestId("open-retries-wizard").click();
    const wizard = page.getByTestId("retries-wizard");
    await wizard.waitFor();
    await wizard.getByTestId("retries-per-try").fill("soon");
    const bad = { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "checkout-traffic", namespace: "shop" }, spec: { targetRef: { name: "checkout" }, retries: { attempts: 2, perTryTimeout: "soon" } } };
    const message = await apiMessage(bad, "spec.retries.perTryTimeout");
    expect(message).toMatch(/^must be a duration like/);
    expect(await fieldError("retries-wizard", "Per-try timeout").textContent()).toBe(message);
    expect(await wizard.getByTestId("retries-wizard-review").isDisabled()).toBe(true);

    await wizard.getByTestId("retries-per-try").fill("1s");
    await wizard.getByTestId("retries-timeout").fill("2s");
    await wizard.getByLabel("Retries at most (% of requests)").fill("25");
    const effect = wizard.getByTestId("retries-effect");
    await effect.getByText("leaves room for only 2 attempts of 1s", { exact: false }).waitFor();
    expect(await effect.textContent()).toContain("Retry budget: retries may add at most 25 % to the requests, plus 10 retries per second");
    await wizard.scrollIntoViewIfNeeded();
    await saveScreenshot(page, "wizard-retries");

    await wizard.getByTestId("retries-wizard-review").click();
    await page.waitForURL(/\/policies\/edit\?.*kind=TrafficPolicy.*draft=/);
    await page.getByTestId("dry-run").click();
    await page.getByTestId("change-status").waitFor();
    await applyInReview("2 s in all, 2 retries of 1 s, budget 25 %");
    const stored = await admin.resources.get.query({ kind: "TrafficPolicy", namespace: "shop", name: "checkout-traffic" });
    expect((stored.document as { spec: unknown }).spec).toEqual({ targetRef: { name: "checkout" }, timeouts: { request: "2s" }, retries: { attempts: 2, perTryTimeout: "1s", budget: { percent: 25, minRetriesPerSecond: 10 } } });

    await page.goto(`${webOrigin}/services/detail?service=shop/checkout&wizard=retries`);
    await wizard.waitFor();
    expect(await wizard.getByTestId("retries-timeout").inputValue()).toBe("2s");
    expect(await wizard.getByTestId("retries-per-try").inputValue()).toBe("1s");
    expect(await wizard.getByLabel("Retries at most (% of requests)").inputValue()).toBe("25");
  }, LONG);

  it("sets circuit breaking and outlier detection from the topology panel in the same policy, and reopens them", async () => {
    await openFromTopology("wizard-breaker");
    const wizard = page.getByTestId("breaker-wizard");
    await wizard.waitFor();
    expect(await wizard.textContent()).toContain("Edits TrafficPolicy shop/checkout-traffic");
    await wizard.getByTestId("breaker-baseEjectionTime").fill("5m");
    await wizard.getByTestId("breaker-maxEjectionTime").fill("1m");
    const bad = { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name: "checkout-traffic", namespace: "shop" }, spec: { targetRef: { name: "checkout" }, outlierDetection: { baseEjectionTime: "5m", maxEjectionTime: "1m" } } };
    const message = await apiMessage(bad, "spec.outlierDetection.maxEjectionTime");
    expect(message).toBe("must not be shorter than baseEjectionTime");
    expect(await fieldError("breaker-wizard", "Eject for at most").textContent()).toBe(message);
    expect(await wizard.getByTestId("breaker-wizard-review").isDisabled()).toBe(true);

    await wizard.getByTestId("breaker-maxEjectionTime").fill("10m");
    await wizard.getByLabel("Requests in flight at most").fill("100");
    await fieldError("breaker-wizard", "Eject for at most").waitFor({ state: "detached" });
    expect(await wizard.getByTestId("breaker-effect").textContent()).toContain("100 requests in flight to shop/checkout");
    await wizard.getByTestId("breaker-wizard-review").click();
    await page.waitForURL(/\/policies\/edit\?.*name=checkout-traffic.*draft=/);
    await page.getByTestId("dry-run").click();
    expect(await page.getByTestId("structured-diff").textContent()).toContain("spec.circuitBreaker");
    await applyInReview("limit checkout to 100 requests in flight; eject 5xx endpoints");
    const stored = await admin.resources.get.query({ kind: "TrafficPolicy", namespace: "shop", name: "checkout-traffic" });
    const spec = (stored.document as { spec: Record<string, unknown> }).spec;
    expect(spec["circuitBreaker"]).toEqual({ maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 100, maxRetries: 3 });
    expect(spec["outlierDetection"]).toMatchObject({ consecutive5xx: 5, baseEjectionTime: "5m", maxEjectionTime: "10m" });
    // The retries set by the other wizard are kept.
    expect(spec["retries"]).toMatchObject({ attempts: 2, perTryTimeout: "1s" });

    // Reopened from the service page (the topology entry is the one above; its canvas takes minutes on loaded cores).
    await page.goto(`${webOrigin}/services/detail?service=shop/checkout&wizard=breaker`);
    await wizard.waitFor();
    expect(await wizard.getByLabel("Requests in flight at most").inputValue()).toBe("100");
    expect(await wizard.getByTestId("breaker-maxEjectionTime").inputValue()).toBe("10m");
  }, LONG);

  it("had no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
