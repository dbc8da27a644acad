// Every mutation of the app router refuses callers without the rights it
// declares. Procedures are enumerated from the router itself, so a new one is
// covered the day it is added; one that declares no access rule fails here.
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessRule, Meta } from "../src/trpc.ts";
import { appRouter } from "../src/router.ts";
import { sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { seedDiscovery, trafficPolicyYaml, userWithToken } from "./support.ts";

interface ProcedureInfo {
  path: string;
  type: "query" | "mutation" | "subscription";
  access: AccessRule | undefined;
}

const procedures: ProcedureInfo[] = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: ProcedureInfo["type"]; meta?: Meta } }>).map(([path, p]) => ({
  path,
  type: p._def.type,
  access: p._def.meta?.access,
}));
const mutations = procedures.filter((p) => p.type === "mutation");

/** Mutations anyone may call: only signing in. */
const PUBLIC_MUTATIONS = ["auth.login"];
/** Mutations on the caller's own account, open to every signed-in user (a viewer needs a token for the CLI). */
const SELF_MUTATIONS = ["auth.changePassword", "auth.logout", "tokens.create", "tokens.revoke"];

/**
 * For mutations whose rights depend on the namespaces in their input: an input
 * acting on namespace `payments`, where the scoped operator has no rights.
 * A new namespace-scoped mutation without an entry here fails the test.
 */
const OUTSIDE_SCOPE: Record<string, (fixtures: { changeRequestId: string }) => unknown> = {
  "resources.applyDocuments": () => ({ text: trafficPolicyYaml({ namespace: "payments", name: "ledger", service: "ledger" }) }),
  "resources.delete": () => ({ kind: "TrafficPolicy", namespace: "payments", name: "ledger" }),
  "resources.rollback": () => ({ kind: "TrafficPolicy", namespace: "payments", name: "ledger", toRevision: 1 }),
  "changeRequests.approve": ({ changeRequestId }) => ({ id: changeRequestId }),
  "changeRequests.reject": ({ changeRequestId }) => ({ id: changeRequestId }),
};

async function call(url: string, path: string, input: unknown, headers: Record<string, string>): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(`${url}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(superjson.serialize(input ?? {})) });
  const body = (await res.json()) as { error?: { json?: { data?: { code?: string } } } };
  return { status: res.status, code: body.error?.json?.data?.code };
}

describe("access to every procedure", () => {
  let m: TestManager;
  let admin: ApiClient;
  let viewer: { token: string };
  let scoped: { token: string };
  let changeRequestId: string;

  beforeAll(async () => {
    m = await startTestManager();
    await seedDiscovery(m.db);
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    viewer = await userWithToken(admin, m.url, sessionClient, "vera", "VIEWER");
    scoped = await userWithToken(admin, m.url, sessionClient, "sam", "VIEWER", [{ role: "OPERATOR", namespace: "shop" }]);
    const payer = await userWithToken(admin, m.url, sessionClient, "pat", "VIEWER", [{ role: "OPERATOR", namespace: "payments" }]);
    // A pending change request in `payments`, for the approve/reject samples.
    await admin.namespaces.protect.mutate({ namespace: "payments" });
    const pending = await tokenClient(m.url, payer.token).resources.applyDocuments.mutate({ text: trafficPolicyYaml({ namespace: "payments", name: "ledger", service: "ledger" }) });
    expect(pending.status).toBe("pending-approval");
    changeRequestId = pending.changeRequest?.id as string;
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("finds the router's mutations", () => {
    expect(mutations.length).toBeGreaterThanOrEqual(15);
    expect(mutations.map((p) => p.path)).toContain("resources.applyDocuments");
  });

  it("every procedure declares an access rule", () => {
    expect(procedures.filter((p) => p.access === undefined).map((p) => p.path)).toEqual([]);
  });

  it("only the known mutations are public or open to every signed-in user", () => {
    expect(mutations.filter((p) => p.access?.kind === "public").map((p) => p.path).sort()).toEqual(PUBLIC_MUTATIONS);
    expect(mutations.filter((p) => p.access?.kind === "self").map((p) => p.path).sort()).toEqual(SELF_MUTATIONS);
  });

  it.each(mutations.filter((p) => !PUBLIC_MUTATIONS.includes(p.path)).map((p) => [p.path]))("%s refuses an unauthenticated caller", async (path) => {
    expect(await call(m.url, path, {}, {})).toEqual({ status: 401, code: "UNAUTHORIZED" });
  });

  it.each(mutations.filter((p) => p.access?.kind === "role").map((p) => [p.path]))("%s refuses a viewer", async (path) => {
    expect(await call(m.url, path, OUTSIDE_SCOPE[path]?.({ changeRequestId }) ?? {}, { authorization: `Bearer ${viewer.token}` })).toEqual({ status: 403, code: "FORBIDDEN" });
  });

  it.each(mutations.filter((p) => p.access?.kind === "role").map((p) => [p.path]))("%s refuses an operator scoped to another namespace", async (path) => {
    const rule = procedures.find((p) => p.path === path)?.access;
    const scopedByInput = rule?.kind === "role" && rule.scopes !== undefined;
    const sample = OUTSIDE_SCOPE[path];
    if (scopedByInput) expect(sample, `add an input acting outside namespace "shop" for ${path} to OUTSIDE_SCOPE`).toBeDefined();
    expect(await call(m.url, path, sample?.({ changeRequestId }) ?? {}, { authorization: `Bearer ${scoped.token}` })).toEqual({ status: 403, code: "FORBIDDEN" });
  });

  it("lets the scoped operator act inside their namespace", async () => {
    const result = await tokenClient(m.url, scoped.token).resources.applyDocuments.mutate({ text: trafficPolicyYaml(), dryRun: true });
    expect(result.status).toBe("dry-run");
  });

  it("refuses a session mutation without the CSRF header", async () => {
    const { cookies } = await sessionClient(m.url, "admin", m.adminPassword);
    const cookie = [...cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
    const refused = await call(m.url, "namespaces.protect", { namespace: "ops" }, { cookie });
    expect(refused).toEqual({ status: 403, code: "FORBIDDEN" });
    const wrong = await call(m.url, "namespaces.protect", { namespace: "ops" }, { cookie, "x-weft-csrf": "forged" });
    expect(wrong).toEqual({ status: 403, code: "FORBIDDEN" });
    const allowed = await call(m.url, "namespaces.protect", { namespace: "ops" }, { cookie, "x-weft-csrf": cookies.get("weft_csrf") as string });
    expect(allowed.status).toBe(200);
  });

  it("keeps health public", async () => {
    expect((await fetch(`${m.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${m.url}/trpc/health.status`)).status).toBe(200);
  });
});
