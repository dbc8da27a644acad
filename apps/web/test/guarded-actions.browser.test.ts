// The dashboard's guarded actions (issue 17), in Chromium against a real
// manager: a root rotation's "Reverse…" dialog holds the rotation it was
// opened for while the rotation moves on and completes underneath it; a role
// change is confirmed naming both roles (and warns about a namespace binding
// it makes pointless); a change by an operator in a protected namespace is
// submitted for approval and shows in the admin's pending badge until
// approved; a new API token is copied to the clipboard; the open resilience
// wizard's button looks pressed; a replay marker of a deleted resource opens
// its history. Needs a prior `next build` of apps/web; it builds nothing itself.
import { randomBytes } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { createIntermediateCsr } from "@weft/identity";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, apiClient, BrowserHarness, checkPrerequisites, joinCluster, logIn, openPage, saveScreenshot, signIn } from "./browser-harness.ts";

/** The controller's step constants: the dialog says steps in words instead. */
const STEP_CONSTANTS = /\b(ADD_ROOT|ISSUE_INTERMEDIATES|MIGRATE_WORKLOADS|REMOVE_OLD_ROOT|COMPLETED|REVERSED)\b/;

const route = (name: string, weights: [number, number]) => ({
  apiVersion: "weft.io/v1alpha1",
  kind: "HTTPRoute",
  metadata: { name, namespace: "shop" },
  spec: { parentRefs: [{ kind: "Service", name: "checkout" }], rules: [{ backendRefs: [{ kind: "Service", name: "checkout", version: "v1", weight: weights[0] }, { kind: "Service", name: "checkout", version: "v2", weight: weights[1] }] }] },
});

/** Polls `read` until `done` holds for its value (the controller works on its own tick). */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("guarded actions in Chromium against a real manager", () => {
  const harness = new BrowserHarness();
  let webOrigin: string;
  let apiOrigin: string;
  let adminPassword: string;
  let browser: Browser;
  let admin: Api;
  let east: Api;
  const pageErrors: string[] = [];

  async function signedInPage(username: string, password: string, path: string, context?: BrowserContext): Promise<Page> {
    const page = context ? await context.newPage() : await openPage(browser, { height: 1000, pageErrors });
    if (context) page.on("pageerror", (err) => pageErrors.push(err.message));
    await logIn(page, webOrigin, username, password, path);
    return page;
  }

  beforeAll(async () => {
    await checkPrerequisites();
    // A CA key of its own (the manager generates a mesh root) and a fast rotation controller.
    ({ webOrigin, apiOrigin, adminPassword } = await harness.startManagerAndDashboard({
      homePrefix: "weft-web-guarded-",
      managerEnv: { WEFT_CA_KEY: randomBytes(32).toString("base64"), WEFT_ROTATION_TICK: "300ms" },
    }));
    admin = await signIn(apiOrigin, "admin", adminPassword);
    east = await joinCluster(admin, apiOrigin, "east");
    // east holds an intermediate of the current root, as its agent does after joining.
    await east.agent.signIntermediate.mutate({ csrPem: (await createIntermediateCsr({ cluster: "east", trustDomain: "weft.local" })).csrPem });
    const list = [["frontend", "v1"], ["checkout", "v1"], ["checkout", "v2"]] as const;
    await east.agent.resyncDiscovery.mutate({
      seq: 1,
      services: [{ namespace: "shop", name: "frontend", ports: [{ port: 8080, protocol: "http" as const }] }, { namespace: "shop", name: "checkout", ports: [{ port: 8080, protocol: "http" as const }] }],
      workloads: list.map(([svc, version]) => ({ namespace: "shop", name: `${svc}-${version}-0`, serviceAccount: svc, version })),
      endpoints: list.map(([svc, version], i) => ({ namespace: "shop", service: svc, address: `10.0.1.${i + 1}`, port: 8080, protocol: "http" as const, ready: true, workload: `${svc}-${version}-0` })),
    });
    await admin.resources.applyDocuments.mutate({ documents: [route("checkout", [90, 10])], message: "seed" });
    browser = await harness.launchChromium();
  });

  afterAll(() => harness.stop());

  /** What east's agent does when the manager bumps the trust bundle: runs it and says so. */
  async function ackBundle() {
    const trust = await admin.identity.trustBundle.query();
    await east.agent.ackTrustBundle.mutate({ bundleVersion: trust!.bundleVersion, proxies: { total: 1, current: 1 } });
  }
  const rotationNow = () => admin.identity.rotation.get.query({});

  it("holds the rotation a Reverse… dialog was opened for while it moves on and completes, and reverses nothing else", async () => {
    const first = await admin.identity.rotation.start.mutate({});
    const page = await openPage(browser, { height: 1000, pageErrors });
    await logIn(page, webOrigin, "admin", adminPassword, "/certificates");
    // The page's own clock from here on, so its refreshes can be held while the rotation moves on (a slow refresh, a busy tab).
    await page.clock.install();
    await page.reload();
    try {
      const current = page.getByTestId("current-rotation");
      await current.and(page.locator('[data-step="ADD_ROOT"]')).waitFor();
      await page.getByTestId("rotation-waiting").filter({ hasText: "Waiting for east" }).waitFor({ timeout: 30_000 });

      // Paused reads "paused" everywhere, never "in progress".
      await page.getByRole("button", { name: "Pause" }).click();
      await page.getByTestId("rotation-paused").waitFor();
      const header = page.locator(".page-header [role=status]");
      await header.filter({ hasText: "Rotation paused" }).waitFor();
      expect(await page.getByRole("main").textContent()).not.toContain("in progress");
      const step = await page.getByTestId("rotation-stepper").locator('[aria-current="step"]').textContent();
      expect(step).toContain("Add new root");
      expect(step).toContain("paused");
      await page.getByRole("button", { name: "Resume" }).click();
      await header.filter({ hasText: "Rotation in progress" }).waitFor();

      // The dialog names the step as people say it.
      await page.getByRole("button", { name: "Reverse…" }).click();
      const dialog = page.getByRole("dialog", { name: "Reverse this rotation?" });
      await dialog.waitFor();
      const held = dialog.getByTestId("reverse-dialog");
      expect(await held.getAttribute("data-rotation")).toBe(first.id);
      expect(await held.textContent()).toContain("from the step “Add new root”");
      expect(await held.textContent()).not.toMatch(STEP_CONSTANTS);

      // The page stops refreshing (its timers held), so it still shows "Add new root"
      // while east runs the new bundle and the controller moves on to issuing intermediates.
      await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_000);
      await ackBundle();
      await until("the rotation's step", rotationNow, (r) => r?.step === "ISSUE_INTERMEDIATES");
      expect(await held.getAttribute("data-step")).toBe("ADD_ROOT");
      expect(await page.getByTestId("reverse-stale").count()).toBe(0);

      // Confirmed from the stale view: the manager refuses, and the dialog says the rotation changed.
      await dialog.getByRole("button", { name: "Reverse rotation" }).click();
      await page.clock.resume();
      const refused = dialog.getByTestId("reverse-refused");
      await refused.waitFor();
      expect(await refused.textContent()).toContain("The manager reversed nothing: the rotation changed since this dialog opened");
      let live = await rotationNow();
      expect(live).toMatchObject({ id: first.id, step: "ISSUE_INTERMEDIATES" });
      expect(live!.history.map((h) => h.action)).not.toContain("reverse");

      // The page reads the rotation again: the dialog says how it moved on, in words, and will not confirm.
      const stale = dialog.getByTestId("reverse-stale");
      await stale.filter({ hasText: "moved on from “Add new root” to “Issue intermediates”" }).waitFor({ timeout: 30_000 });
      expect(await dialog.getByRole("button", { name: "Reverse rotation" }).isDisabled()).toBe(true);
      expect(await dialog.textContent()).not.toMatch(STEP_CONSTANTS);
      await saveScreenshot(page, "reverse-dialog-stale");

      // The rotation completes under the open dialog, and the next one starts.
      await east.agent.signIntermediate.mutate({ csrPem: (await createIntermediateCsr({ cluster: "east", trustDomain: "weft.local" })).csrPem });
      await until("the rotation's step", rotationNow, (r) => r?.step === "REMOVE_OLD_ROOT");
      await ackBundle();
      await until("the rotation's step", rotationNow, (r) => r?.step === "COMPLETED");
      await stale.filter({ hasText: "The rotation can no longer be reversed: it is now at “Completed”." }).waitFor({ timeout: 30_000 });
      const second = await admin.identity.rotation.start.mutate({});
      // With no rotation open the page refreshes every 30 s.
      await stale.filter({ hasText: "This rotation is no longer the current one" }).waitFor({ timeout: 60_000 });
      // Still the first rotation's dialog; it cannot be turned into a reverse of the second.
      expect(await held.getAttribute("data-rotation")).toBe(first.id);
      expect(await dialog.getByRole("button", { name: "Reverse rotation" }).isDisabled()).toBe(true);
      await dialog.getByRole("button", { name: "Reverse rotation" }).click({ force: true });
      live = await rotationNow();
      expect(live).toMatchObject({ id: second.id, step: "ADD_ROOT" });
      expect(live!.history.map((h) => h.action)).toEqual(["start"]);
      expect((await admin.identity.rotation.get.query({ id: first.id }))?.step).toBe("COMPLETED");

      // Closed, the page offers the current rotation's own Reverse….
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      await current.and(page.locator(`[data-step="ADD_ROOT"]`)).waitFor();
      await page.getByRole("button", { name: "Reverse…" }).click();
      expect(await held.getAttribute("data-rotation")).toBe(second.id);
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await admin.identity.rotation.reverse.mutate({ id: second.id });
    } finally {
      await page.context().close();
    }
  });

  it("confirms a role change naming the old and new role, and warns about a binding it makes pointless", async () => {
    const olga = await admin.users.create.mutate({ username: "olga", password: "operator-password-1", role: "VIEWER" });
    await admin.users.addRoleBinding.mutate({ userId: olga.id, role: "OPERATOR", namespace: "shop" });
    const page = await signedInPage("admin", adminPassword, "/users");
    try {
      const select = page.getByLabel("Role of olga");
      await select.waitFor();
      const roleOf = async () => (await admin.users.list.query()).find((u) => u.username === "olga")!.role;

      // Cancelled: nothing changes, and the select shows the role again.
      await select.selectOption("OPERATOR");
      const dialog = page.getByRole("dialog", { name: "Change olga's role from viewer to operator?" });
      await dialog.waitFor();
      const confirm = dialog.getByTestId("role-change-confirm");
      expect(await confirm.textContent()).toContain("olga also holds operator in shop: as a mesh-wide operator they get that role in every namespace, so the binding adds nothing.");
      await saveScreenshot(page, "role-change-confirm");
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await dialog.waitFor({ state: "hidden" });
      expect(await select.inputValue()).toBe("VIEWER");
      expect(await roleOf()).toBe("VIEWER");

      // Confirmed: it changes.
      await select.selectOption("OPERATOR");
      await dialog.waitFor();
      await dialog.getByRole("button", { name: "Change role" }).click();
      await dialog.waitFor({ state: "hidden" });
      await until("olga's role", roleOf, (role) => role === "OPERATOR");
      await until("the select's value", () => select.inputValue(), (value) => value === "OPERATOR");

      // A change to a role below the binding's has no such warning.
      await select.selectOption("VIEWER");
      const back = page.getByRole("dialog", { name: "Change olga's role from operator to viewer?" });
      await back.waitFor();
      expect(await back.getByTestId("role-change-confirm").textContent()).not.toContain("adds nothing");
      await back.getByRole("button", { name: "Cancel" }).click();
      expect(await roleOf()).toBe("OPERATOR");
    } finally {
      await page.context().close();
    }
  });

  it("shows a replay marker of a deleted resource with a link to its history, not to an editor that cannot load it", async () => {
    await admin.resources.applyDocuments.mutate({ documents: [route("legacy", [50, 50])], message: "legacy split" });
    await admin.resources.delete.mutate({ kind: "HTTPRoute", namespace: "shop", name: "legacy", message: "legacy route retired" });
    const page = await signedInPage("admin", adminPassword, "/topology/replay");
    try {
      const marker = page.locator('[data-testid="replay-marker"][data-marker-id="revision:HTTPRoute/shop/legacy@2"]');
      await marker.waitFor();
      await marker.click();
      const detail = page.getByTestId("replay-marker-detail");
      expect(await detail.getByTestId("replay-marker-message").textContent()).toBe("legacy route retired");
      await detail.getByTestId("replay-marker-link").click();
      await page.waitForURL(/\/policies\/history\?.*name=legacy.*revision=2/);
      await page.getByRole("heading", { level: 1, name: "History of HTTPRoute shop/legacy" }).waitFor();
      const deleted = page.getByTestId("resource-deleted");
      await deleted.waitFor();
      expect(await deleted.textContent()).toContain("Deleted by admin");
      expect(await deleted.textContent()).toContain("legacy route retired");
      // The deletion's diff is open: what the route held.
      const row = page.locator('[data-testid="history-row"][data-revision="2"]');
      expect(await row.textContent()).toContain("delete");
      expect(await row.getByRole("button", { name: "Hide diff" }).count()).toBe(1);
      expect(await page.getByTestId("history").getByTestId("structured-diff").textContent()).toContain("backendRefs");
      expect(await page.getByTestId("state-error").count()).toBe(0);
      expect(await page.getByTestId("open-editor").count()).toBe(0);
      await saveScreenshot(page, "deleted-resource-history");

      // An old link to the editor says it cannot load it and leads to the same history.
      await page.goto(`${webOrigin}/policies/edit?kind=HTTPRoute&namespace=shop&name=legacy&revision=2`);
      await page.getByTestId("open-history").click();
      await page.waitForURL(/\/policies\/history\?.*name=legacy/);
      await page.getByTestId("resource-deleted").waitFor();
      // A live resource's history links to its editor.
      await page.goto(`${webOrigin}/policies/history?kind=HTTPRoute&namespace=shop&name=checkout`);
      await page.getByTestId("open-editor").click();
      await page.waitForURL(/\/policies\/edit\?.*name=checkout/);
      await page.locator('[data-path="spec.rules[0].backendRefs[0].weight"]').waitFor();
    } finally {
      await page.context().close();
    }
  });

  it("submits an operator's change in a protected namespace for approval, and the admin's pending badge counts it until approved", async () => {
    await admin.namespaces.protect.mutate({ namespace: "shop" });
    await admin.users.create.mutate({ username: "eddie", password: "operator-password-2", role: "OPERATOR" });
    const adminPage = await signedInPage("admin", adminPassword, "/services");
    const editor = await signedInPage("eddie", "operator-password-2", "/policies/edit?kind=HTTPRoute&namespace=shop&name=checkout");
    try {
      const badge = adminPage.getByTestId("pending-requests");
      await adminPage.getByRole("heading", { level: 1 }).first().waitFor();
      expect(await badge.count()).toBe(0);

      await editor.locator('[data-path="spec.rules[0].backendRefs[0].weight"]').fill("80");
      await editor.locator('[data-path="spec.rules[0].backendRefs[1].weight"]').fill("20");
      await editor.getByTestId("change-message").fill("80/20 for the v2 test");
      // Said before submitting, on the button itself.
      // (once the editor knows the namespace is protected: until then the button waits, disabled).
      await editor.getByTestId("apply").filter({ hasText: /^Submit for approval$/ }).waitFor();
      expect(await editor.getByTestId("apply").isEnabled()).toBe(true);
      await editor.getByTestId("apply").click();
      await editor.getByTestId("change-status").filter({ hasText: "Pending approval" }).waitFor();
      expect((await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" })).revision).toBe(1);

      // The admin's header counts it (on the next page they open).
      await adminPage.goto(`${webOrigin}/policies`);
      await badge.waitFor();
      expect(await badge.textContent()).toBe("1 pending");
      expect(await badge.getAttribute("aria-label")).toBe("1 change request waiting for approval");
      await saveScreenshot(adminPage, "pending-requests-badge");
      await badge.click();
      await adminPage.waitForURL(/\/change-requests/);
      await adminPage.getByTestId("change-requests").getByRole("button", { name: "HTTPRoute shop/checkout" }).click();
      await adminPage.getByRole("button", { name: "Approve and apply" }).click();
      // Approving clears the badge without a reload.
      await badge.waitFor({ state: "detached" });
      await until("the route's revision", async () => (await admin.resources.get.query({ kind: "HTTPRoute", namespace: "shop", name: "checkout" })).revision, (rev) => rev === 2);
      // Only admins' headers show it.
      expect(await editor.getByTestId("pending-requests").count()).toBe(0);
    } finally {
      await adminPage.context().close();
      await editor.context().close();
    }
  });

  it("lists a namespace protected while the page's list was still loading (the list is fetched again, not its first answer kept)", async () => {
    // The page's first fetch of the list is answered as the manager answered it before the change, and held
    // until the change is saved (as a slower call in the same batch holds it up). React Query's invalidation
    // alone would keep that answer (TanStack/query#8530); a clean-clone npm test failed this way.
    const page = await signedInPage("admin", adminPassword, "/services");
    let release!: () => void;
    const held = new Promise<void>((done) => (release = done));
    let first = true;
    await page.route(/\/trpc\/[^?]*namespaces\.protected/, async (route) => {
      if (!first) return route.continue();
      first = false;
      const before = await route.fetch();
      await held;
      await route.fulfill({ response: before }).catch(() => undefined); // the page may have cancelled it
    });
    try {
      await page.goto(`${webOrigin}/change-requests`);
      await page.getByTestId("protect-namespace-input").fill("ledger");
      await page.getByTestId("protect-namespace").click();
      // Saved, and the page has asked for the list again: the form clears itself just before it asks.
      await page.waitForFunction(() => (document.querySelector('[data-testid="protect-namespace-input"]') as HTMLInputElement | null)?.value === "");
      expect((await admin.namespaces.protected.query()).map((p) => p.namespace)).toContain("ledger");
      expect(first).toBe(false);
      release();
      await page.getByTestId("protected-namespaces").getByRole("cell", { name: "ledger", exact: true }).waitFor();
    } finally {
      release();
      await page.context().close();
      await admin.namespaces.unprotect.mutate({ namespace: "ledger" });
    }
  });

  it("shows a new API token once, with a Copy button that puts it on the clipboard", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, permissions: ["clipboard-read", "clipboard-write"] });
    const page = await signedInPage("admin", adminPassword, "/users", context);
    try {
      await page.getByLabel("Token name").fill("ci");
      await page.getByRole("button", { name: "Create token" }).click();
      const shown = page.getByTestId("new-token");
      await shown.waitFor();
      const secret = (await shown.getByTestId("token-secret").textContent())!.trim();
      expect(secret.length).toBeGreaterThan(20);
      expect(await shown.textContent()).toContain("it is shown only once");
      await shown.getByRole("button", { name: "Copy token" }).click();
      await shown.getByText("Copied.").waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      // The token works, and is not shown again.
      const me = await apiClient(apiOrigin, { authorization: `Bearer ${secret}` }).auth.me.query();
      expect(me?.user.username).toBe("admin");
      await page.reload();
      await page.getByTestId("tokens-table").waitFor();
      expect(await page.getByTestId("new-token").count()).toBe(0);
      expect(await page.getByRole("main").textContent()).not.toContain(secret);
    } finally {
      await context.close();
    }
  });

  it("shows which resilience wizard is open on its button, not only to screen readers, and axe stays clean", async () => {
    const page = await signedInPage("admin", adminPassword, "/services/detail?service=shop/checkout");
    try {
      const fault = page.getByTestId("open-fault-wizard");
      const retries = page.getByTestId("open-retries-wizard");
      await fault.waitFor();
      const look = (button: typeof fault) => button.evaluate((b) => ({ background: getComputedStyle(b).backgroundColor, shadow: getComputedStyle(b).boxShadow, weight: getComputedStyle(b).fontWeight, text: b.textContent }));
      const closed = await look(fault);
      await fault.click();
      await page.locator("#fault-heading").waitFor();
      expect(await fault.getAttribute("aria-pressed")).toBe("true");
      const open = await look(fault);
      // Tinted, underlined by a bar, bold, and its chevron points down; the others stay as they were.
      expect(open.background).not.toBe(closed.background);
      expect(open.shadow).not.toBe("none");
      expect(Number(open.weight)).toBeGreaterThan(Number(closed.weight));
      expect(open.text).toMatch(/^▾/);
      expect((await look(retries)).text).toMatch(/^▸/);
      expect(await look(retries)).toMatchObject({ background: closed.background, shadow: closed.shadow });
      // The chevron is decoration: the button's name is still the task's.
      expect(await page.getByRole("button", { name: "Inject a fault…", exact: true }).count()).toBe(1);
      await page.getByRole("group", { name: "Resilience tasks" }).scrollIntoViewIfNeeded();
      await saveScreenshot(page, "resilience-open-wizard");
      await page.waitForLoadState("networkidle");
      const results = await new AxeBuilder({ page: page as never }).withTags(["wcag2a", "wcag2aa"]).analyze();
      const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")})`)).toEqual([]);
    } finally {
      await page.context().close();
    }
  });

  it("had no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
