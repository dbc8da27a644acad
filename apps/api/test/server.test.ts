import { Writable } from "node:stream";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { openDatabase, type Database } from "@weft/db";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createLogger } from "../src/logger.ts";
import type { AppRouter } from "../src/router.ts";
import { startManagerServer, type ManagerServer } from "../src/server.ts";
import { publicProcedure, router } from "../src/trpc.ts";

describe("manager API over HTTP", () => {
  let testDb: TestDatabase;
  let db: Database;
  let api: ManagerServer;
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await openDatabase({ databaseUrl: testDb.url, maxConnections: testDb.maxConnections, home: "/nonexistent", migrate: true });
    api = await startManagerServer({ db, log: createLogger("info", sink), host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await api?.close();
    await db?.close();
    await testDb?.drop();
  });

  it("GET /healthz tells an anonymous caller up or down, nothing more (no database location)", async () => {
    const res = await fetch(`${api.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers health.status through a typed tRPC client, and health.report only to signed-in users", async () => {
    const client = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${api.url}/trpc`, transformer: superjson })] });
    expect(await client.health.status.query()).toEqual({ status: "ok" });
    const refused = await client.health.report.query().catch((e: unknown) => e);
    expect((refused as TRPCClientError<AppRouter>).data?.code).toBe("UNAUTHORIZED");
  });

  it("caps tRPC batches: 32 calls in one request are answered, 33 are refused with 400", async () => {
    const batch = (n: number) => fetch(`${api.url}/trpc/${Array.from({ length: n }, () => "health.status").join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`);
    const allowed = await batch(32);
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as unknown[]).length).toBe(32);
    const refused = await batch(33);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/Batch call exceeds maximum size/);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });

  it("answers 404 for unknown paths and unknown procedures", async () => {
    expect((await fetch(`${api.url}/nope`)).status).toBe(404);
    expect((await fetch(`${api.url}/trpc/nothing.here`)).status).toBe(404);
  });

  it("reports /healthz as degraded (503) when the database is down", async () => {
    const brokenDb: Database = { ...db, health: async () => ({ status: "down", kind: "external", target: "x:1/y", error: "connection refused" }) };
    const degraded = await startManagerServer({ db: brokenDb, log: createLogger("silent"), host: "127.0.0.1", port: 0 });
    try {
      const res = await fetch(`${degraded.url}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: "degraded" });
    } finally {
      await degraded.close();
    }
  });
});

describe("error formatter", () => {
  const PRISMA_FAILURE = 'Invalid `prisma.user.create()` invocation in\n/srv/weft/users.repository.ts:61:7\n\n{ data: { username: "uma", passwordHash: "scrypt$15$8$1$c2FsdA$aGFzaA" } }\n\nUnique constraint failed on the fields: (`username`)';
  // A router built with the manager's own tRPC instance, served by the real server.
  const testRouter = router({
    applyRoute: publicProcedure
      .input(z.object({ spec: z.object({ rules: z.array(z.object({ backendRefs: z.array(z.object({ weight: z.number().int().min(0) })) })) }) }))
      .mutation(() => "applied"),
    crash: publicProcedure.query(() => {
      throw Object.assign(new Error(PRISMA_FAILURE), { name: "PrismaClientKnownRequestError", code: "P2002" });
    }),
  });
  let api: ManagerServer;
  const logLines: string[] = [];
  beforeAll(async () => {
    const noDb = { health: async () => ({ status: "up", kind: "embedded", target: "-" }) } as unknown as Database;
    const sink = new Writable({ write: (chunk, _e, done) => (logLines.push(String(chunk)), done()) });
    api = await startManagerServer({ db: noDb, log: createLogger("info", sink), host: "127.0.0.1", port: 0, router: testRouter });
  });
  afterAll(async () => {
    await api?.close();
  });

  it("returns the path of every invalid field", async () => {
    const client = createTRPCClient<typeof testRouter>({ links: [httpBatchLink({ url: `${api.url}/trpc`, transformer: superjson })] });
    const err = await client.applyRoute
      .mutate({ spec: { rules: [{ backendRefs: [{ weight: 1 }, { weight: -1 }] }, { backendRefs: [{ weight: "x" as unknown as number }] }] } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    const data = (err as TRPCClientError<typeof testRouter>).data as { code: string; httpStatus: number; fieldErrors: { path: string }[] };
    expect(data.code).toBe("BAD_REQUEST");
    expect(data.httpStatus).toBe(400);
    expect(data.fieldErrors.map((e) => e.path)).toEqual(["spec.rules[0].backendRefs[1].weight", "spec.rules[1].backendRefs[0].weight"]);
  });

  it("never sends a stack trace", async () => {
    for (const res of [
      await fetch(`${api.url}/trpc/applyRoute`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json: { spec: { rules: "x" } } }) }),
      await fetch(`${api.url}/trpc/crash`),
      await fetch(`${api.url}/trpc/nothing.here`),
    ]) {
      const body = await res.text();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(body).not.toMatch(/"stack"|\bat .*\.(ts|js):\d+/);
    }
  });

  it("masks unexpected errors as 'internal error (request id …)' and logs the detail, redacted", async () => {
    const res = await fetch(`${api.url}/trpc/crash`, { headers: { "x-request-id": "req-crash-1" } });
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(JSON.parse(body).error.json.message).toBe("internal error (request id req-crash-1)");
    expect(body).not.toMatch(/prisma|scrypt|Unique constraint|username/i);
    const logged = logLines.filter((l) => l.includes("req-crash-1"));
    expect(logged.join("")).toContain("Unique constraint failed on the fields");
    expect(logged.join("")).toContain("P2002");
    expect(logLines.join("")).not.toMatch(/scrypt\$|passwordHash/);
  });

  it("survives malformed request bodies", async () => {
    const res = await fetch(`${api.url}/trpc/applyRoute`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(res.status).toBe(400);
    const again = await fetch(`${api.url}/healthz`);
    expect(again.status).toBe(200);
  });
});
