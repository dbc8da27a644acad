// The certificates page in Chromium against a real manager (a database and
// a generated CA of its own): two clusters get intermediates through
// the real CSR flow and report real workload SVIDs, one of them close to
// expiry. An admin walks the rotation workflow (start, pause, resume,
// reverse); a viewer sees the same page without any action.
// Needs a prior `next build` of apps/web; it builds nothing itself.
import { randomBytes } from "node:crypto";
import { clusterAuthority, createIntermediateCsr, describeCertificate, HOUR, issueWorkloadSvid } from "@weft/identity";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, BrowserHarness, checkPrerequisites, joinCluster, latencySketch, logIn, openPage, saveScreenshot, signIn } from "./browser-harness.ts";

const TRUST_DOMAIN = "weft.local";

/** What a cluster's agent does for identity: a CSR-signed intermediate, SVIDs for its workloads, the inventory report. */
async function seedClusterIdentity(agent: Api, cluster: string, workloads: { serviceAccount: string; issuedHoursAgo?: number }[]): Promise<void> {
  const csr = await createIntermediateCsr({ cluster, trustDomain: TRUST_DOMAIN });
  const signed = await agent.agent.signIntermediate.mutate({ csrPem: csr.csrPem });
  const intermediate = clusterAuthority({ issued: { certificatePem: signed.certificatePem, chainPem: signed.chainPem }, key: csr.key, trustDomain: TRUST_DOMAIN });
  const certificates = [];
  for (const w of workloads) {
    // A 24 h SVID issued 22 h ago: renewal (at half-life) is long overdue, so it carries an expiry warning.
    const now = new Date(Date.now() - (w.issuedHoursAgo ?? 0) * HOUR);
    const svid = await issueWorkloadSvid({ intermediate, spiffeId: `spiffe://${TRUST_DOMAIN}/ns/shop/sa/${w.serviceAccount}`, ttl: 24 * HOUR, now });
    const d = describeCertificate(svid.certificatePem);
    certificates.push({ spiffeId: svid.spiffeId, subject: d.subject, issuer: d.issuer, serial: d.serial, notBefore: d.notBefore.toISOString(), notAfter: d.notAfter.toISOString(), rootFingerprint: signed.rootFingerprint });
  }
  await agent.agent.reportCertificates.mutate({ certificates });
}

describe("the certificates page in Chromium against a real manager", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let apiOrigin: string;
  let browser: Browser;
  let admin: Api;
  let adminPassword: string;
  const pageErrors: string[] = [];

  async function signedInPage(username: string, password: string, path: string): Promise<Page> {
    const page = await openPage(browser, { height: 1000, pageErrors });
    await logIn(page, webOrigin, username, password, path);
    return page;
  }

  beforeAll(async () => {
    await checkPrerequisites({ docsScreenshots: true });
    // A CA key of its own, so the manager generates a fresh mesh root at start. Only the embedded
    // database (no DATABASE_URL) would create $WEFT_HOME/ca.key by itself; with a real one, no key means no CA.
    const caKey = randomBytes(32).toString("base64");
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({ homePrefix: "weft-web-certs-", managerEnv: { WEFT_CA_KEY: caKey } }));

    admin = await signIn(apiOrigin, "admin", adminPassword);
    const agents: Record<string, Api> = {};
    for (const name of ["east", "west"] as const) agents[name] = await joinCluster(admin, apiOrigin, name);
    await seedClusterIdentity(agents.east!, "east", [{ serviceAccount: "frontend" }, { serviceAccount: "checkout" }, { serviceAccount: "cart", issuedHoursAgo: 22 }]);
    await seedClusterIdentity(agents.west!, "west", [{ serviceAccount: "payments" }]);
    const trust = await admin.identity.trustBundle.query();
    for (const agent of Object.values(agents)) await agent.agent.ackTrustBundle.mutate({ bundleVersion: trust!.bundleVersion, proxies: { total: 2, current: 2 } });

    // frontend (service account "frontend") calls checkout: what the proposal is made of.
    await agents.east!.agent.resyncDiscovery.mutate({
      seq: 1,
      services: [
        { namespace: "shop", name: "frontend", ports: [{ port: 8080, protocol: "http" as const }] },
        { namespace: "shop", name: "checkout", ports: [{ port: 8080, protocol: "http" as const }] },
      ],
      workloads: [
        { namespace: "shop", name: "frontend-0", serviceAccount: "frontend", version: "v1" },
        { namespace: "shop", name: "checkout-0", serviceAccount: "checkout", version: "v1" },
      ],
      // Endpoints link workloads to their service: the proposal finds a caller's service accounts through them.
      endpoints: [
        { namespace: "shop", service: "frontend", address: "10.0.1.1", port: 8080, protocol: "http" as const, ready: true, workload: "frontend-0" },
        { namespace: "shop", service: "checkout", address: "10.0.1.2", port: 8080, protocol: "http" as const, ready: true, workload: "checkout-0" },
      ],
    });
    const minute = Math.floor((Date.now() - 60_000) / 60_000) * 60_000;
    await agents.east!.agent.reportTelemetry.mutate({
      edges: [
        {
          minute,
          source: { cluster: "east", namespace: "shop", service: "frontend", version: "v1" },
          destination: { cluster: "east", namespace: "shop", service: "checkout", version: "v1" },
          codeClass: "2xx" as const,
          requests: 120,
          errors: 0,
          latency: latencySketch([10, 20, 30]),
        },
      ],
    });
    await admin.users.create.mutate({ username: "vera", password: "viewer-password-1", role: "VIEWER" });

    browser = await harness.launchChromium();
  });

  afterAll(() => harness.stop());

  it("shows an admin the hierarchy, the timeline and the inventory, and the overview's expiry warnings", async () => {
    const page = await signedInPage("admin", adminPassword, "/");
    try {
      // Overview: one certificate is past its renewal point.
      const warnings = page.getByTestId("expiry-warnings");
      await warnings.waitFor();
      expect(await page.getByTestId("expiry-warning-count").textContent()).toBe("1");
      expect(await page.getByTestId("expiry-warnings-soonest").textContent()).toContain("spiffe://weft.local/ns/shop/sa/cart");
      await page.getByRole("link", { name: "All certificates" }).click();
      await page.waitForURL(/\/certificates\?expiring=1/);

      await page.getByRole("heading", { level: 1, name: "Certificates" }).waitFor();
      expect(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Certificates" }).getAttribute("aria-current")).toBe("page");
      // Hierarchy: the generated root (ACTIVE) → east (3 workload certificates, 1 expiring) and west.
      const root = page.getByTestId("authority").and(page.locator('[data-state="ACTIVE"]'));
      await root.waitFor();
      const east = root.locator('[data-cluster="east"]');
      expect(await east.textContent()).toMatch(/3 workload certificates/);
      expect(await east.textContent()).toMatch(/1 expiring/);
      expect(await root.locator('[data-cluster="west"]').textContent()).toMatch(/1 workload certificate(?!s)/);

      // Timeline: the expiring SVID (about 2 h left) highlighted in "1–6 h"; the 90-day intermediates far right.
      const timeline = page.getByTestId("expiry-timeline");
      expect(await timeline.getByTestId("timeline-warning").count()).toBe(1);
      expect(await timeline.locator('[data-bucket="6h"]').getAttribute("aria-label")).toBe("1–6 h: 1 certificate, 1 with an expiry warning");
      expect(await timeline.locator('[data-bucket="365d"]').getAttribute("aria-label")).toBe("30 d – 1 y: 2 certificates");

      // Inventory, opened with "expiring only" from the overview link; then every certificate, then only west's.
      const inventory = page.getByTestId("certificate-inventory");
      await inventory.waitFor();
      expect(await inventory.locator("tbody tr").count()).toBe(1);
      expect(await inventory.textContent()).toContain("spiffe://weft.local/ns/shop/sa/cart");
      await page.getByLabel("Expiring only").uncheck();
      // 4 SVIDs and 2 intermediates.
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="certificate-inventory"] tbody tr').length === 6);
      await page.getByLabel("Certificates of").selectOption("west");
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="certificate-inventory"] tbody tr').length === 2);
      expect(await inventory.textContent()).toContain("spiffe://weft.local/ns/shop/sa/payments");
      expect(await inventory.textContent()).not.toContain("sa/frontend");

      // Trust bundle: one root, issuing.
      expect(await page.getByTestId("bundle-roots").locator("li").count()).toBe(1);
      expect(await page.getByTestId("bundle-roots").textContent()).toContain("issuing");
    } finally {
      await page.context().close();
    }
  });

  it("lets an admin start a rotation, follow it at ADD_ROOT, pause, resume and reverse it", async () => {
    const page = await signedInPage("admin", adminPassword, "/certificates");
    try {
      await page.getByTestId("start-rotation").click();
      const form = page.getByTestId("start-rotation-form");
      // Validation at the field: a key without its certificate.
      await page.getByLabel("Private key (PEM)").fill("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----");
      await form.getByRole("button", { name: "Start rotation to this CA" }).click();
      const certError = form.locator('[data-error-field="certificatePem"]');
      await certError.waitFor();
      expect(await certError.textContent()).toContain("Paste the CA certificate");
      expect(await page.getByLabel("CA certificate (PEM)").getAttribute("aria-invalid")).toBe("true");
      // Cleared: the manager generates the new root.
      await page.getByLabel("Private key (PEM)").fill("");
      await form.getByRole("button", { name: "Generate a new root and start" }).click();

      const current = page.getByTestId("current-rotation");
      await current.and(page.locator('[data-step="ADD_ROOT"]')).waitFor();
      const stepper = page.getByTestId("rotation-stepper");
      expect(await stepper.locator('[aria-current="step"]').getAttribute("data-step")).toBe("ADD_ROOT");
      // The controller's first pass names the clusters that have not run the new bundle yet (live refresh, no reload).
      await page.getByTestId("rotation-waiting").filter({ hasText: "Waiting for east, west to run trust bundle" }).waitFor({ timeout: 30_000 });
      expect(await page.getByTestId("rotation-progress").locator('[data-waiting="true"]').count()).toBe(2);
      // Two roots in the bundle now; the old one still issues.
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="bundle-roots"] li').length === 2);
      await saveScreenshot(page, "certificates", { docs: true, fullPage: true });

      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByTestId("rotation-paused").waitFor();
      expect(await stepper.locator('[aria-current="step"]').getAttribute("data-paused")).toBe("true");
      expect(await page.getByTestId("rotation-waiting").textContent()).toMatch(/^Paused/);
      await page.getByRole("button", { name: "Resume" }).click();
      await page.getByTestId("rotation-paused").waitFor({ state: "detached" });

      // Reverse asks first and says what happens; cancelling changes nothing.
      await page.getByRole("button", { name: "Reverse…" }).click();
      const dialog = page.getByRole("dialog", { name: "Reverse this rotation?" });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain("no workload is affected");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      expect(await current.getAttribute("data-step")).toBe("ADD_ROOT");
      await page.getByRole("button", { name: "Reverse…" }).click();
      await dialog.getByRole("button", { name: "Reverse rotation" }).click();

      await current.and(page.locator('[data-step="REVERSED"]')).waitFor();
      expect(await stepper.locator('[aria-current="step"]').textContent()).toContain("Reversed");
      expect(await page.getByRole("button", { name: "Pause" }).count()).toBe(0);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="bundle-roots"] li').length === 1);
      const history = page.getByTestId("rotation-history");
      // People read step names, not the controller's constants.
      await history.getByText("Reversed", { exact: true }).waitFor();
      await history.getByText("4 entries").click();
      for (const line of ["admin started the rotation", "admin paused it at “Add new root”", "admin resumed it at “Add new root”", "admin reversed it (now “Reversed”)"]) expect(await history.textContent()).toContain(line);
      // A new rotation may start again.
      await page.getByTestId("start-rotation").waitFor();
    } finally {
      await page.context().close();
    }
  });

  it("sends a policy proposed from traffic into the policy editor's dry run", async () => {
    const page = await signedInPage("admin", adminPassword, "/services/detail?service=shop/checkout&range=1h");
    try {
      await page.getByRole("button", { name: "Propose authorization policy from traffic" }).click();
      const proposal = page.getByTestId("policy-proposal");
      await proposal.waitFor();
      expect(await page.getByTestId("proposal-callers").textContent()).toContain("spiffe://weft.local/ns/shop/sa/frontend");
      expect(await page.getByTestId("proposal-callers").textContent()).toContain("service account of a calling service");
      await page.getByTestId("proposal-open-editor").click();
      await page.waitForURL(/\/policies\/edit\?.*draft=/);
      await page.getByRole("heading", { level: 1, name: "Proposed AuthorizationPolicy" }).waitFor();
      await page.getByTestId("dry-run").click();
      await page.getByTestId("change-result").and(page.locator('[data-status="dry-run"]')).waitFor();
      expect(await page.getByTestId("text-diff").textContent()).toContain("spiffe://weft.local/ns/shop/sa/frontend");
    } finally {
      await page.context().close();
    }
  });

  it("scopes a service's egress to what it called: the suggested hosts, then the policy editor's dry run", async () => {
    const page = await signedInPage("admin", adminPassword, "/services/detail?service=shop/frontend");
    try {
      await page.getByRole("button", { name: "Scope egress…" }).click();
      const callees = page.getByTestId("egress-callees");
      await callees.waitFor();
      const row = callees.locator("tbody tr");
      expect(await row.count()).toBe(1);
      expect(await row.first().textContent()).toMatch(/shop\/checkout.*Service.*120/);
      expect(await page.getByTestId("egress-suggestion").textContent()).toContain("A new Sidecar shop/frontend-egress would scope shop/frontend to the 1 host it called");
      // The telemetry began a minute ago: the user is told a rarely called service could be missing.
      expect(await page.getByTestId("egress-notes").textContent()).toContain("weekly");
      await page.getByTestId("egress-open-editor").click();
      await page.waitForURL(/\/policies\/edit\?.*kind=Sidecar.*draft=/);
      await page.getByRole("heading", { level: 1, name: "Proposed Sidecar" }).waitFor();
      await page.getByTestId("dry-run").click();
      await page.getByTestId("change-result").and(page.locator('[data-status="dry-run"]')).waitFor();
      expect(await page.getByTestId("text-diff").textContent()).toContain("shop/checkout");
    } finally {
      await page.context().close();
    }
  });

  it("shows a viewer the page without any action, and the API refuses the viewer anyway", async () => {
    const page = await signedInPage("vera", "viewer-password-1", "/certificates");
    try {
      await page.getByTestId("current-rotation").and(page.locator('[data-step="REVERSED"]')).waitFor();
      await page.getByTestId("certificate-inventory").waitFor();
      await page.getByTestId("ca-hierarchy").waitFor();
      for (const name of ["Pause", "Resume", "Reverse…", "Start a root rotation…"]) expect(await page.getByRole("button", { name }).count()).toBe(0);
      expect(await page.getByTestId("start-rotation").count()).toBe(0);

      await page.goto(`${webOrigin}/services/detail?service=shop/checkout`);
      await page.getByRole("heading", { level: 1, name: "Service shop/checkout" }).waitFor();
      expect(await page.getByTestId("propose-policy").count()).toBe(0);
      expect(await page.getByTestId("scope-egress").count()).toBe(0);

      const api = await signIn(apiOrigin, "vera", "viewer-password-1");
      await expect(api.identity.rotation.start.mutate({})).rejects.toMatchObject({ data: { code: "FORBIDDEN" } });
      expect(pageErrors).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
