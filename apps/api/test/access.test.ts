// Every mutation of the app router refuses callers without the rights it
// declares. Procedures are enumerated from the router itself, so a new one is
// covered the day it is added; one that declares no access rule fails here.
import { createIntermediateCsr } from "@weft/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentClient, apiClient, joinedAgent, sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { discoverySnapshot, openConfigStream } from "./agent-support.ts";
import { call, procedures } from "./http-calls.ts";
import { identitySettings, SimulatedAgent } from "./identity-support.ts";
import { seedDiscovery, trafficPolicyYaml, userWithToken } from "./support.ts";

const mutations = procedures.filter((p) => p.type === "mutation");
const agentProcedures = procedures.filter((p) => p.access?.kind === "agent");
const userProcedures = procedures.filter((p) => p.access?.kind !== "agent");

/** Mutations anyone may call: signing in, and an agent exchanging its join token. */
const PUBLIC_MUTATIONS = ["agent.join", "auth.login"];
/** Mutations on the caller's own account, open to every signed-in user (a viewer needs a token for the CLI). */
const SELF_MUTATIONS = ["auth.changePassword", "auth.logout", "tap.stop", "tokens.create", "tokens.revoke"];

/**
 * For mutations whose rights depend on the namespaces in their input: an input
 * acting on namespace `payments`, where the scoped operator has no rights.
 * A new namespace-scoped mutation without an entry here fails the test.
 */
const OPENSLO_IN_PAYMENTS = `apiVersion: openslo/v1
kind: SLO
metadata: { name: ledger-availability, annotations: { weft.io/namespace: payments, weft.io/error-classes: "5xx" } }
spec:
  service: ledger
  budgetingMethod: Occurrences
  objectives: [{ target: 0.999 }]
`;

const OUTSIDE_SCOPE: Record<string, (fixtures: { changeRequestId: string; ticketId: string }) => unknown> = {
  "resources.applyDocuments": () => ({ text: trafficPolicyYaml({ namespace: "payments", name: "ledger", service: "ledger" }) }),
  "resources.delete": () => ({ kind: "TrafficPolicy", namespace: "payments", name: "ledger" }),
  "resources.rollback": () => ({ kind: "TrafficPolicy", namespace: "payments", name: "ledger", toRevision: 1 }),
  "changeRequests.approve": ({ changeRequestId }) => ({ id: changeRequestId }),
  "changeRequests.reject": ({ changeRequestId }) => ({ id: changeRequestId }),
  "tap.start": () => ({ namespace: "payments", service: "ledger" }),
  "slos.importOpenSlo": () => ({ text: OPENSLO_IN_PAYMENTS }),
  "tickets.acknowledge": ({ ticketId }) => ({ id: ticketId }),
  "tickets.assign": ({ ticketId }) => ({ id: ticketId, assignee: "sam" }),
  "tickets.comment": ({ ticketId }) => ({ id: ticketId, body: "mine now" }),
  "tickets.close": ({ ticketId }) => ({ id: ticketId }),
  "rollouts.start": () => ({ text: "apiVersion: weft.io/v1alpha1\nkind: Rollout\nmetadata: { name: ledger, namespace: payments }\nspec:\n  service: { name: ledger }\n  stable: { version: v1 }\n  canary: { version: v2 }\n  strategy: { canary: { stepWeight: 50 } }\n" }),
  ...Object.fromEntries(["pause", "resume", "promote", "approve", "abort", "retry"].map((op) => [`rollouts.${op}`, () => ({ namespace: "payments", name: "ledger" })])),
};

describe("access to every procedure", () => {
  let m: TestManager;
  let admin: ApiClient;
  let viewer: { token: string };
  let scoped: { token: string };
  let changeRequestId: string;
  let ticketId: string;

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
    // A ticket about `payments`, for the tickets samples.
    ticketId = (await m.db.prisma.ticket.create({ data: { dedupKey: "access-test", openKey: "access-test", source: "alertmanager", severity: "ticket", title: "ledger is slow", namespace: "payments", openedAt: new Date(), lastFiredAt: new Date() } })).id;
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
    expect(await call(m.url, path, OUTSIDE_SCOPE[path]?.({ changeRequestId, ticketId }) ?? {}, { authorization: `Bearer ${viewer.token}` })).toEqual({ status: 403, code: "FORBIDDEN" });
  });

  it.each(mutations.filter((p) => p.access?.kind === "role").map((p) => [p.path]))("%s refuses an operator scoped to another namespace", async (path) => {
    const rule = procedures.find((p) => p.path === path)?.access;
    const scopedByInput = rule?.kind === "role" && rule.scopes !== undefined;
    const sample = OUTSIDE_SCOPE[path];
    if (scopedByInput) expect(sample, `add an input acting outside namespace "shop" for ${path} to OUTSIDE_SCOPE`).toBeDefined();
    expect(await call(m.url, path, sample?.({ changeRequestId, ticketId }) ?? {}, { authorization: `Bearer ${scoped.token}` })).toEqual({ status: 403, code: "FORBIDDEN" });
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

  it.each(agentProcedures.map((p) => [p.path, p.type] as const))("agent procedure %s refuses anonymous callers and users", async (path, type) => {
    expect(await call(m.url, path, {}, {}, type)).toEqual({ status: 401, code: "UNAUTHORIZED" });
    expect(await call(m.url, path, {}, { authorization: `Bearer ${viewer.token}` }, type)).toEqual({ status: 403, code: "FORBIDDEN" });
    const { cookies } = await sessionClient(m.url, "admin", m.adminPassword);
    const cookie = [...cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
    expect(await call(m.url, path, {}, { cookie, "x-weft-csrf": cookies.get("weft_csrf") as string }, type)).toEqual({ status: 403, code: "FORBIDDEN" });
  });

  it("keeps health public, with the detail (database location, version) for signed-in users only", async () => {
    const anonymous = await fetch(`${m.url}/healthz`);
    expect(anonymous.status).toBe(200);
    expect(await anonymous.json()).toEqual({ status: "ok" });
    expect(await call(m.url, "health.status", undefined, {}, "query")).toMatchObject({ status: 200 });
    expect(await call(m.url, "health.report", undefined, {}, "query")).toEqual({ status: 401, code: "UNAUTHORIZED" });

    const detailed = (await (await fetch(`${m.url}/healthz`, { headers: { authorization: `Bearer ${viewer.token}` } })).json()) as { database?: { status: string; target: string } };
    expect(detailed).toMatchObject({ status: "ok", version: expect.any(String), database: { status: "up" } });
    const { cookies } = await sessionClient(m.url, "admin", m.adminPassword);
    const cookie = [...cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
    expect(await (await fetch(`${m.url}/healthz`, { headers: { cookie } })).json()).toMatchObject({ database: { status: "up" } });
    // A made-up token is anonymous.
    expect(await (await fetch(`${m.url}/healthz`, { headers: { authorization: "Bearer weft_forged" } })).json()).toEqual({ status: "ok" });
  });

  /** A raw tRPC POST (no superjson client), as an attacker would send it. */
  async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; ms: number }> {
    const began = performance.now();
    const res = await fetch(`${m.url}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - began };
  }

  it("authenticates before reading the input: malformed bodies get 401 anonymously, 400 (never 500) when signed in", async () => {
    const documents = JSON.stringify({ json: { documents: "abc" } });
    expect((await post("resources.applyDocuments", documents)).status).toBe(401);
    const signedIn = await post("resources.applyDocuments", documents, { authorization: `Bearer ${scoped.token}` });
    expect(signedIn.status).toBe(400);
    expect(JSON.parse(signedIn.text).error.json.data.fieldErrors).toEqual([expect.objectContaining({ path: "documents" })]);

    const dashes = JSON.stringify({ json: { id: "-".repeat(36) } });
    expect((await post("changeRequests.approve", dashes)).status).toBe(401);
    for (const path of ["changeRequests.approve", "changeRequests.reject"]) {
      const refused = await post(path, dashes, { authorization: `Bearer ${scoped.token}` });
      expect(refused.status).toBe(400);
      expect(refused.text).not.toMatch(/prisma|uuid_in|invalid input syntax/i);
    }
  });

  it("answers an anonymous multi-megabyte body at once with 401, stays healthy, and caps signed-in bodies with 413", async () => {
    const big = JSON.stringify({ json: { text: `# padding\n${"#".repeat(4_900_000)}\n` } });
    const [anonymous, health] = await Promise.all([post("resources.applyDocuments", big), fetch(`${m.url}/healthz`)]);
    expect(anonymous.status).toBe(401);
    expect(anonymous.ms).toBeLessThan(2_000);
    expect(health.status).toBe(200);

    const tooLarge = await post("resources.applyDocuments", JSON.stringify({ json: { text: `# ${"#".repeat(2 * 1024 * 1024)}\n` } }), { authorization: `Bearer ${scoped.token}` });
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.text).error.json.data.code).toBe("PAYLOAD_TOO_LARGE");
  });

  describe("references into other namespaces", () => {
    const denyLedger = `apiVersion: weft.io/v1alpha1
kind: AuthorizationPolicy
metadata: { name: deny-ledger, namespace: shop }
spec:
  targetRef: { name: ledger, namespace: payments }
  action: DENY
`;
    const routeOnLedger = `apiVersion: weft.io/v1alpha1
kind: HTTPRoute
metadata: { name: hijack, namespace: shop }
spec:
  parentRefs: [{ name: ledger, namespace: payments }]
  rules:
    - backendRefs: [{ name: cart }]
`;
    const refusal = (promise: Promise<unknown>) => promise.then(() => "accepted", (e: unknown) => (e as { data?: { code?: string } }).data?.code);

    it("an operator scoped to shop cannot target, attach to or send traffic into payments from shop", async () => {
      const sam = tokenClient(m.url, scoped.token);
      expect(await refusal(sam.resources.applyDocuments.mutate({ text: denyLedger }))).toBe("FORBIDDEN");
      expect(await refusal(sam.resources.applyDocuments.mutate({ text: denyLedger, dryRun: true }))).toBe("FORBIDDEN");
      expect(await refusal(sam.resources.applyDocuments.mutate({ text: routeOnLedger }))).toBe("FORBIDDEN");
      expect(await refusal(sam.resources.applyDocuments.mutate({ text: trafficPolicyYaml({ name: "ledger-lb", service: "ledger" }).replace("name: ledger\n", "name: ledger\n    namespace: payments\n") }))).toBe("FORBIDDEN");
      expect(await admin.resources.list.query({ namespace: "shop", kind: "AuthorizationPolicy" })).toEqual([]);
    });

    it("nor delete or roll back a stored resource of shop that reaches into payments", async () => {
      expect((await admin.resources.applyDocuments.mutate({ text: denyLedger })).status).toBe("applied");
      const sam = tokenClient(m.url, scoped.token);
      expect(await refusal(sam.resources.delete.mutate({ kind: "AuthorizationPolicy", namespace: "shop", name: "deny-ledger" }))).toBe("FORBIDDEN");
      expect((await admin.resources.get.query({ kind: "AuthorizationPolicy", namespace: "shop", name: "deny-ledger" })).revision).toBe(1);
      expect((await admin.resources.delete.mutate({ kind: "AuthorizationPolicy", namespace: "shop", name: "deny-ledger" })).status).toBe("applied");
      expect(await refusal(sam.resources.rollback.mutate({ kind: "AuthorizationPolicy", namespace: "shop", name: "deny-ledger", toRevision: 1 }))).toBe("FORBIDDEN");
    });

    it("an operator scoped to shop cannot define an egress host that payments defines (egress capture)", async () => {
      const external = (namespace: string, name: string, host: string) =>
        `apiVersion: weft.io/v1alpha1\nkind: ExternalService\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n  hosts: ["${host}"]\n  ports: [{ number: 80, protocol: HTTP }]\n`;
      // payments is protected in this suite: the admin's own change applies at once.
      expect((await admin.resources.applyDocuments.mutate({ text: external("payments", "stripe", "api.stripe.com") })).status).toBe("applied");
      const sam = tokenClient(m.url, scoped.token);
      for (const host of ["api.stripe.com", "*.stripe.com", "ledger.payments.svc.cluster.local"]) {
        expect(await refusal(sam.resources.applyDocuments.mutate({ text: external("shop", "pay", host) })), host).toBe("FORBIDDEN");
        expect(await refusal(sam.resources.applyDocuments.mutate({ text: external("shop", "pay", host), dryRun: true })), host).toBe("FORBIDDEN");
      }
      expect(await admin.resources.list.query({ namespace: "shop", kind: "ExternalService" })).toEqual([]);
      // A host nobody else defines is shop's own business.
      expect((await sam.resources.applyDocuments.mutate({ text: external("shop", "mine", "shop-only.example.com"), dryRun: true })).status).toBe("dry-run");
      // An operator with rights everywhere waits for payments' approval.
      const olga = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "olga", "OPERATOR")).token);
      const held = await olga.resources.applyDocuments.mutate({ text: external("shop", "pay", "api.stripe.com") });
      expect(held.status).toBe("pending-approval");
      expect(held.changeRequest?.namespaces).toEqual(["payments"]);
    });

    it("a change in an unprotected namespace that touches a protected one waits for approval there", async () => {
      const oscar = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "oscar", "OPERATOR")).token);
      for (const text of [denyLedger, routeOnLedger]) {
        const result = await oscar.resources.applyDocuments.mutate({ text });
        expect(result.status).toBe("pending-approval");
        expect(result.changeRequest?.namespaces).toEqual(["payments"]);
        const request = await admin.changeRequests.byId.query({ id: result.changeRequest?.id as string });
        expect(request.namespaces).toEqual(["payments", "shop"]);
      }
      expect((await admin.resources.list.query({ namespace: "shop" })).map((r) => `${r.kind}/${r.name}`)).not.toContain("HTTPRoute/hijack");
    });
  });
});

/**
 * The acceptance test: credentials of cluster `east` can neither read nor
 * write `west`, for every agent procedure (enumerated from the router; a new
 * one without a sample below fails). Each sample does its best to reach
 * west through east's credential; afterwards every row of west is unchanged
 * and nothing east received carries west's private state.
 *
 * The federated catalog (which services run in west, in which versions and
 * zones, behind which gateway) is by design part of every other cluster's
 * config; west's agent state, credentials, discovery rows and telemetry are not.
 */
describe("cluster isolation of agent credentials", () => {
  const WEST_SECRET = "west-private-rejection-reason";
  let m: TestManager;
  let east: ApiClient;
  let eastCredential: string;
  let westJoinToken: string;
  let westQueryId: string;
  let westTapId: string;
  let westClusterId: string;

  /** Everything of west, serialised: compared before and after each sample. */
  async function westState(): Promise<string> {
    const prisma = m.db.prisma;
    const [cluster, services, workloads, endpoints, credentials, edges, spans, intermediates, certificates, queries, taps] = await Promise.all([
      prisma.cluster.findUniqueOrThrow({ where: { id: westClusterId } }),
      prisma.service.findMany({ where: { clusterId: westClusterId }, orderBy: { name: "asc" } }),
      prisma.workload.findMany({ where: { clusterId: westClusterId }, orderBy: { name: "asc" } }),
      prisma.endpoint.findMany({ where: { service: { clusterId: westClusterId } }, orderBy: { address: "asc" } }),
      prisma.agentCredential.findMany({ where: { clusterId: westClusterId }, orderBy: { createdAt: "asc" } }),
      prisma.edgeMinute.findMany({ where: { OR: [{ sourceCluster: "west" }, { destCluster: "west", sourceCluster: "" }] }, orderBy: { id: "asc" } }),
      prisma.span.findMany({ where: { cluster: "west" }, orderBy: { id: "asc" } }),
      prisma.clusterIntermediate.findMany({ where: { clusterId: westClusterId }, orderBy: { createdAt: "asc" } }),
      prisma.workloadCertificate.findMany({ where: { clusterId: westClusterId }, orderBy: { serial: "asc" } }),
      prisma.agentQuery.findMany({ where: { clusterId: westClusterId }, orderBy: { id: "asc" } }),
      prisma.tapSession.findMany({ where: { cluster: "west" }, include: { events: true }, orderBy: { id: "asc" } }),
    ]);
    return JSON.stringify({ cluster, services, workloads, endpoints, credentials, edges, spans, intermediates, certificates, queries, taps }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }

  const minute = () => Math.floor(Date.now() / 60_000) * 60_000;
  const sketch = { relativeAccuracy: 0.01, offset: 100, counts: [1], zeroCount: 0, count: 1, sum: 2.7, min: 2.7, max: 2.7 };

  /** Per agent procedure: east's attempts on west. Each returns what east got back (checked for leaks). */
  const ATTEMPTS: Record<string, () => Promise<unknown[]>> = {
    "agent.join": async () => [
      // West's join token is used up; east's credential does not make it usable, nor does east's credential work here.
      await call(m.url, "agent.join", { joinToken: westJoinToken }, {}),
      await call(m.url, "agent.join", { joinToken: westJoinToken }, { authorization: `Bearer ${eastCredential}` }),
    ],
    "agent.cluster": async () => {
      const own = await east.agent.cluster.query();
      expect(own.name).toBe("east");
      return [own, await call(m.url, "agent.cluster", { id: westClusterId }, { authorization: `Bearer ${eastCredential}` }, "query")];
    },
    "agent.heartbeat": async () => [
      await east.agent.heartbeat.mutate({ agentVersion: "east-9" }),
      await call(m.url, "agent.heartbeat", { agentVersion: "evil", cluster: "west" }, { authorization: `Bearer ${eastCredential}` }),
    ],
    "agent.reportDiscovery": async () => {
      const seq = Number((await m.db.prisma.cluster.findFirstOrThrow({ where: { name: "east" } })).discoverySeq ?? 0);
      // Removing services and workloads by west's names removes east's, if any: never west's.
      const removal = { seq: seq + 1, baseSeq: seq, services: { removed: [{ namespace: "shop", name: "checkout" }] }, workloads: { removed: [{ namespace: "shop", name: "checkout-v1" }] } };
      return [await east.agent.reportDiscovery.mutate(removal), await call(m.url, "agent.reportDiscovery", { ...removal, seq: seq + 2, baseSeq: seq + 1, cluster: "west" }, { authorization: `Bearer ${eastCredential}` })];
    },
    "agent.resyncDiscovery": async () => [
      await east.agent.resyncDiscovery.mutate({ seq: 100, services: [], workloads: [], endpoints: [] }),
      await call(m.url, "agent.resyncDiscovery", { seq: 101, services: [], workloads: [], endpoints: [], cluster: "west" }, { authorization: `Bearer ${eastCredential}` }),
    ],
    "agent.configStream": async () => {
      const stream = openConfigStream(east);
      try {
        const first = await stream.next();
        expect(first.data.cluster).toBe("east");
        return [first, await call(m.url, "agent.configStream", { cluster: "west" }, { authorization: `Bearer ${eastCredential}` }, "subscription")];
      } finally {
        stream.close();
      }
    },
    "agent.ackConfig": async () => [
      await east.agent.ackConfig.mutate({ configVersion: "0", status: "rejected", reason: "east's own rejection", proxies: [{ proxy: "shop/x", status: "rejected" }] }),
      await call(m.url, "agent.ackConfig", { configVersion: "0", status: "applied", cluster: "west" }, { authorization: `Bearer ${eastCredential}` }),
    ],
    "agent.reportTelemetry": async () => {
      const edge = (source: string, destination: string) => ({ minute: minute(), source: { cluster: source, namespace: "shop", service: "web" }, destination: { cluster: destination, namespace: "shop", service: "api" }, codeClass: "2xx" as const, requests: 1, errors: 0, latency: sketch });
      const refused = await call(m.url, "agent.reportTelemetry", { edges: [edge("east", "west"), edge("west", "west")] }, { authorization: `Bearer ${eastCredential}` });
      expect(refused).toEqual({ status: 403, code: "FORBIDDEN" });
      const inbound = await call(m.url, "agent.reportTelemetry", { edges: [edge("", "west")] }, { authorization: `Bearer ${eastCredential}` });
      expect(inbound).toEqual({ status: 403, code: "FORBIDDEN" });
      // East's own outbound traffic to west is east's to report.
      return [refused, inbound, await east.agent.reportTelemetry.mutate({ edges: [edge("east", "west")] })];
    },
    "agent.reportSpans": async () => {
      const span = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", namespace: "shop", service: "web", kind: "CLIENT" as const, name: "GET api", startTime: Date.now(), durationMs: 1 };
      // A span naming west is refused outright; east's own span is stored as east's.
      const named = await call(m.url, "agent.reportSpans", { spans: [{ ...span, cluster: "west" }] }, { authorization: `Bearer ${eastCredential}` });
      const own = await east.agent.reportSpans.mutate({ spans: [span] });
      expect((await m.db.prisma.span.findMany({ where: { traceId: span.traceId } })).map((s) => s.cluster)).toEqual(["east"]);
      return [named, own];
    },
    "agent.signIntermediate": async () => {
      // A CSR naming west, sent with east's credential, is refused and stores nothing; east's own is signed for east.
      const forWest = await createIntermediateCsr({ cluster: "west", trustDomain: "weft.local" });
      const refused = await call(m.url, "agent.signIntermediate", { csrPem: forWest.csrPem }, { authorization: `Bearer ${eastCredential}` });
      expect(refused).toMatchObject({ status: 403, code: "FORBIDDEN" });
      const named = await call(m.url, "agent.signIntermediate", { csrPem: forWest.csrPem, cluster: "west" }, { authorization: `Bearer ${eastCredential}` });
      const own = await new SimulatedAgent("east", east).renewIntermediate();
      return [refused, named, own];
    },
    "agent.reportCertificates": async () => {
      const agent = new SimulatedAgent("east", east);
      await agent.renewIntermediate();
      await agent.reissue(1);
      const named = await call(m.url, "agent.reportCertificates", { certificates: [], cluster: "west" }, { authorization: `Bearer ${eastCredential}` });
      // East's report (even one naming west's workload) replaces east's inventory only.
      return [named, await agent.report()];
    },
    "agent.pending": async () => {
      const own = await east.agent.pending.query();
      // West's open question and its west-only tap are not east's to see.
      expect(own.queries.map((q) => q.id)).not.toContain(westQueryId);
      expect(own.taps.map((t) => t.id)).not.toContain(westTapId);
      return [own, await call(m.url, "agent.pending", { cluster: "west" }, { authorization: `Bearer ${eastCredential}` }, "query")];
    },
    "agent.answerQuery": async () => {
      // Answering west's question with east's credential changes nothing.
      const refused = await east.agent.answerQuery.mutate({ id: westQueryId, statuses: [] });
      expect(refused).toEqual({ ok: false });
      return [refused, await call(m.url, "agent.answerQuery", { id: westQueryId, statuses: [], cluster: "west" }, { authorization: `Bearer ${eastCredential}` })];
    },
    "agent.reportTap": async () => {
      const event = { proxy: "shop/web-1", time: new Date().toISOString(), direction: "outbound" as const, method: "GET", authority: "checkout", path: "/", status: 200, durationMs: 1, flags: "-", sourceService: "web", sourceIdentity: "unknown", destinationService: "checkout", destinationVersion: "v1", destinationCluster: "west", mtls: false, traceId: null };
      // A west-only tap takes nothing from east's proxies, and east cannot attach to it.
      const own = await east.agent.reportTap.mutate({ attached: [westTapId], events: [{ tap: westTapId, event }] });
      expect(own).toEqual({ accepted: 0 });
      return [own, await call(m.url, "agent.reportTap", { attached: [], events: [], cluster: "west" }, { authorization: `Bearer ${eastCredential}` })];
    },
    "agent.ackTrustBundle": async () => {
      const trust = await m.services.identity.trustBundle();
      const named = await call(m.url, "agent.ackTrustBundle", { bundleVersion: trust?.bundleVersion, proxies: { total: 1, current: 1 }, cluster: "west" }, { authorization: `Bearer ${eastCredential}` });
      return [named, await east.agent.ackTrustBundle.mutate({ bundleVersion: trust?.bundleVersion as string, proxies: { total: 1, current: 1 } })];
    },
  };

  beforeAll(async () => {
    // With a mesh CA, so the identity procedures act for real.
    m = await startTestManager({ settings: identitySettings() });
    const admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    const eastAgent = await joinedAgent(admin, m.url, "east");
    east = eastAgent.client;
    eastCredential = eastAgent.credential;
    const created = await admin.clusters.create.mutate({ name: "west" });
    westClusterId = created.cluster.id;
    westJoinToken = created.joinToken;
    const west = agentClient(m.url, (await apiClient(m.url).agent.join.mutate({ joinToken: westJoinToken })).credential);
    await west.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "checkout", versions: ["v1", "v2"] }], { address: "west-gw", port: 15443 }));
    await east.agent.resyncDiscovery.mutate(discoverySnapshot(1, [{ name: "cart", versions: ["v1"] }]));
    await west.agent.ackConfig.mutate({ configVersion: "0", status: "rejected", reason: WEST_SECRET });
    await west.agent.reportTelemetry.mutate({ edges: [{ minute: minute(), source: { cluster: "west", namespace: "shop", service: "checkout" }, destination: { cluster: "west", namespace: "shop", service: "cart" }, codeClass: "2xx", requests: 3, errors: 0, latency: { ...sketch, counts: [3], count: 3, sum: 8.1 } }] });
    // West's identity: an intermediate, its workload certificates and its acknowledged bundle.
    // An open question to west's agent, and a tap on west's proxies only.
    westQueryId = (await m.db.prisma.agentQuery.create({ data: { clusterId: westClusterId, kind: "proxy-status" } })).id;
    westTapId = (await m.db.prisma.tapSession.create({ data: { namespace: "shop", service: "checkout", cluster: "west", createdBy: "someone", expiresAt: new Date(Date.now() + 3_600_000) } })).id;
    const westIdentity = new SimulatedAgent("west", west);
    await westIdentity.sync((await m.services.identity.trustBundle()) as NonNullable<Awaited<ReturnType<typeof m.services.identity.trustBundle>>>);
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("has an attempt for every agent procedure", () => {
    expect(agentProcedures.length).toBeGreaterThanOrEqual(6);
    expect(Object.keys(ATTEMPTS).sort()).toEqual([...agentProcedures.map((p) => p.path), "agent.join"].sort());
  });

  it.each([...agentProcedures.map((p) => p.path), "agent.join"].map((path) => [path]))("east's credentials cannot read or write west through %s", async (path) => {
    const attempt = ATTEMPTS[path];
    expect(attempt, `add east's attempts on west for ${path} to ATTEMPTS`).toBeDefined();
    const before = await westState();
    const answers = await (attempt as () => Promise<unknown[]>)();
    expect(await westState()).toBe(before);
    const seen = JSON.stringify(answers, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    expect(seen).not.toContain(WEST_SECRET);
    expect(seen).not.toContain(westClusterId);
    // Inputs naming a cluster are refused outright: the cluster comes from the credential.
    for (const answer of answers) if (answer && typeof answer === "object" && "status" in answer && typeof answer.status === "number") expect(answer.status).toBeGreaterThanOrEqual(400);
  });

  it("refuses agent credentials on every user procedure", async () => {
    const refused = await Promise.all(userProcedures.map(async (p) => [p.path, await call(m.url, p.path, {}, { authorization: `Bearer ${eastCredential}` }, p.type)] as const));
    expect(refused.filter(([, r]) => r.status !== 403 || r.code !== "FORBIDDEN").map(([path]) => path)).toEqual([]);
  });
});
