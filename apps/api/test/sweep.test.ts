// The generated sweep: every procedure of the router (enumerated at run time,
// so one added tomorrow is swept without anyone remembering to) is called over
// real HTTP anonymously, with the wrong role, and with a NUL character in each
// string field its input schema declares. Each call must get a clean 4xx, and
// no refused call may leave a row behind: the row count of every table (the
// audit log aside, which records refusals by design) is the same afterwards.
import { Writable } from "node:stream";
import { formatPath } from "@weft/mesh-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { joinedAgent, sessionClient, startTestManager, type TestManager } from "../src/testing.ts";
import { call, procedures, type CallAnswer, type ProcedureInfo } from "./http-calls.ts";
import { identitySettings } from "./identity-support.ts";
import { inputWith, stringFieldPaths } from "./string-fields.ts";
import { seedDiscovery, userWithToken } from "./support.ts";

const NUL_TEXT = "bad\u0000text";

describe("generated sweep of every procedure", () => {
  let m: TestManager;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  let admin: Record<string, string>;
  let viewer: Record<string, string>;
  let agent: Record<string, string>;

  /** Rows per table, the audit log aside (refused mutations are audited on purpose). */
  async function rowCounts(): Promise<Record<string, number>> {
    const tables = await m.db.prisma.$queryRawUnsafe<{ name: string }[]>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT IN ('AuditEvent', '_prisma_migrations') ORDER BY tablename`,
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables) counts[name] = Number((await m.db.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "${name}"`))[0]?.n ?? -1);
    return counts;
  }

  /** Callers that hold a credential, but the wrong kind or too low a role, for a procedure. */
  function wrongCallers(p: ProcedureInfo): [string, Record<string, string>][] {
    const rule = p.access;
    if (rule?.kind === "agent") return [["viewer", viewer], ["admin", admin]];
    const out: [string, Record<string, string>][] = [["agent", agent]];
    if (rule?.kind === "role" && rule.role !== "VIEWER") out.push(["viewer", viewer]);
    return out;
  }

  beforeAll(async () => {
    m = await startTestManager({ settings: identitySettings() });
    await seedDiscovery(m.db);
    const session = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    admin = bearer((await session.tokens.create.mutate({ name: "sweep" })).token);
    viewer = bearer((await userWithToken(session, m.url, sessionClient, "vera", "VIEWER")).token);
    agent = bearer((await joinedAgent(session, m.url, "north")).credential);
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("sweeps the whole router", () => {
    expect(procedures.length).toBeGreaterThanOrEqual(70);
    expect(procedures.filter((p) => p.access === undefined).map((p) => p.path)).toEqual([]);
  });

  it.each(procedures.map((p) => [p.path, p] as const))("%s: anonymous, wrong role and NUL in every string field get a clean 4xx; nothing is written", async (_path, p) => {
    const before = await rowCounts();
    const lastAudit = (await m.db.prisma.auditEvent.aggregate({ _max: { id: true } }))._max.id ?? 0n;
    const wrong: string[] = [];
    const expectAnswer = (what: string, answer: CallAnswer, status: number, check?: (a: CallAnswer) => boolean) => {
      if (answer.status !== status || (check && !check(answer))) wrong.push(`${what}: expected ${status}, got ${answer.status} ${answer.code ?? ""} ${JSON.stringify(answer.fieldErrors ?? null)}`);
    };

    if (p.access?.kind !== "public") expectAnswer("anonymous", await call(m.url, p.path, {}, {}, p.type), 401);
    for (const [who, headers] of wrongCallers(p)) expectAnswer(who, await call(m.url, p.path, {}, headers, p.type), 403);

    const rightCaller = p.access?.kind === "agent" ? agent : admin;
    // A procedure without a string field still has its raw input read: a stray field with a NUL is refused too.
    const fields = p.inputs.flatMap(stringFieldPaths);
    const paths = fields.length > 0 ? fields : [["probe"]];
    for (const path of paths) {
      const field = formatPath(path);
      const answer = await call(m.url, p.path, inputWith(path, NUL_TEXT), rightCaller, p.type);
      expectAnswer(`NUL in "${field}"`, answer, 400, (a) => (a.fieldErrors ?? []).some((f) => f.path === field && f.code === "nul_character"));
    }

    expect(wrong).toEqual([]);
    expect(await rowCounts()).toEqual(before);
    // Refused mutations are audited as refusals; none of them as a success.
    const audited = await m.db.prisma.auditEvent.findMany({ where: { id: { gt: lastAudit } }, select: { action: true, outcome: true } });
    expect(audited.filter((e) => e.outcome === "SUCCESS")).toEqual([]);
  });
});

/**
 * The outside sweep's NUL findings, one by one: each answered 500 (PostgreSQL
 * refused the text) and logged a stack; each now answers 400 naming the field,
 * logs no error and stores nothing.
 */
describe("NUL findings of the outside sweep", () => {
  let m: TestManager;
  const lines: string[] = [];
  let admin: Record<string, string>;
  let agent: Record<string, string>;

  beforeAll(async () => {
    m = await startTestManager({ log: createLogger("info", new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) })) });
    const session = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    admin = { authorization: `Bearer ${(await session.tokens.create.mutate({ name: "findings" })).token}` };
    agent = { authorization: `Bearer ${(await joinedAgent(session, m.url, "east")).credential}` };
  });
  afterAll(async () => {
    await m?.stop();
  });

  const route = "apiVersion: weft.io/v1alpha1\nkind: HTTPRoute\nmetadata: { name: r, namespace: shop, annotations: { note: \"a\\u0000b\" } }\nspec:\n  parentRefs: [{ name: cart }]\n  rules: [{ backendRefs: [{ name: cart }] }]\n";
  const span = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", namespace: "shop", service: "web", kind: "CLIENT", name: "GET\u0000", startTime: Date.now(), durationMs: 1 };
  it.each<[string, string, "query" | "mutation", unknown, "admin" | "agent" | "anonymous", string]>([
    ["auth.login username", "auth.login", "mutation", { username: "ad\u0000min", password: "x" }, "anonymous", "username"],
    ["resources.applyDocuments message", "resources.applyDocuments", "mutation", { text: route.replace("\\u0000", ""), message: "why\u0000" }, "admin", "message"],
    ["resources.applyDocuments annotations (parsed documents)", "resources.applyDocuments", "mutation", { documents: [{ apiVersion: "weft.io/v1alpha1", kind: "HTTPRoute", metadata: { name: "r", namespace: "shop", annotations: { note: "a\u0000b" } }, spec: {} }] }, "admin", "documents[0].metadata.annotations.note"],
    ["users.create displayName", "users.create", "mutation", { username: "nul", password: "correct-horse-battery", role: "VIEWER", displayName: "N\u0000L" }, "admin", "displayName"],
    ["resources.get name", "resources.get", "query", { kind: "HTTPRoute", namespace: "shop", name: "r\u0000" }, "admin", "name"],
    ["audit.list actor", "audit.list", "query", { actor: "admin\u0000" }, "admin", "actor"],
    ["agent.heartbeat", "agent.heartbeat", "mutation", { agentVersion: "1\u0000" }, "agent", "agentVersion"],
    ["agent.ackConfig", "agent.ackConfig", "mutation", { configVersion: "0", status: "rejected", reason: "r\u0000", proxies: [] }, "agent", "reason"],
    ["agent.reportSpans", "agent.reportSpans", "mutation", { spans: [span] }, "agent", "spans[0].name"],
  ])("%s: 400 naming the field, no error logged, nothing stored", async (_name, path, type, input, who, field) => {
    const headers = who === "admin" ? admin : who === "agent" ? agent : {};
    const [users, revisions, spans] = [await m.db.prisma.user.count(), await m.db.prisma.resourceRevision.count(), await m.db.prisma.span.count()];
    lines.length = 0;
    const answer = await call(m.url, path, input, headers, type);
    expect(answer.status).toBe(400);
    expect(answer.fieldErrors).toEqual([expect.objectContaining({ path: field, code: "nul_character" })]);
    expect(lines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    expect([await m.db.prisma.user.count(), await m.db.prisma.resourceRevision.count(), await m.db.prisma.span.count()]).toEqual([users, revisions, spans]);
  });

  it("refuses a NUL inside YAML text as the text field (the YAML escape \\0 included)", async () => {
    const answer = await call(m.url, "resources.applyDocuments", { text: route.replace("\\u0000", "\u0000") }, admin);
    expect(answer).toMatchObject({ status: 400, fieldErrors: [expect.objectContaining({ path: "text" })] });
    const escaped = await call(m.url, "resources.applyDocuments", { text: route.replace("a\\u0000b", "a\\0b") }, admin);
    expect(escaped.status).toBe(400);
    expect(JSON.stringify(escaped.fieldErrors)).toMatch(/annotations/);
  });
});
