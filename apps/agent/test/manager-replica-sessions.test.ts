// A dashboard session outlives the replica it was opened on: two manager
// replicas on one PostgreSQL behind HAProxy; a user signs in through the load
// balancer, the replica that answered the sign-in is SIGKILLed, and the same
// cookies still work through the load balancer — for a read and for a
// mutation (whose CSRF token is checked against the session). Sessions are
// rows in the database and the CSRF token an HMAC of the session's secret, so
// no replica holds anything of them.
//
// Needs PostgreSQL (DATABASE_URL, as CI sets it), like manager-replicas.test.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@weft/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./free-port.ts";
import { haproxyConfig } from "./haproxy.ts";
import { adminClient, removeHome, startManager, type ManagerProcess } from "./manager-process.ts";
import { waitFor } from "./wait-for.ts";

describe.skipIf(!process.env.DATABASE_URL)("dashboard sessions across the loss of a manager replica", { timeout: 180_000 }, () => {
  let dir: string;
  let database: TestDatabase;
  const caKey = randomBytes(32).toString("base64");
  const replicas = new Map<string, ManagerProcess>();
  let haproxy: ChildProcess | undefined;
  let lbPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-replica-sessions-"));
    database = await createTestDatabase();
    // The first replica bootstraps the database (the first admin, whose password is in its home); the second joins it.
    replicas.set("a", await startManager({ databaseUrl: database.url, env: { WEFT_CA_KEY: caKey } }));
    replicas.set("b", await startManager({ databaseUrl: database.url, env: { WEFT_CA_KEY: caKey } }));
    lbPort = await freePort();
    const cfg = join(dir, "haproxy.cfg");
    await writeFile(cfg, haproxyConfig(lbPort, [...replicas].map(([name, m]) => ({ name, port: m.port }))));
    haproxy = spawn("haproxy", ["-f", cfg, "-db"], { stdio: ["ignore", "ignore", "pipe"] });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${lbPort}/healthz`)).ok, "HAProxy to forward to a replica", 20_000, 200);
  }, 180_000);

  afterAll(async () => {
    haproxy?.kill("SIGTERM");
    for (const m of replicas.values()) await m.stop();
    const home = replicas.get("a")?.home;
    for (const m of replicas.values()) if (m.home !== home) await rm(m.home, { recursive: true, force: true });
    if (home) await removeHome(home);
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("keeps a user signed in, for reads and mutations, after the replica that signed them in is SIGKILLed", async () => {
    // Which replica answered each call through the load balancer (HAProxy names it in a header).
    const answeredBy: string[] = [];
    const viaLb = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const res = await fetch(input, init);
      answeredBy.push(res.headers.get("x-weft-replica") ?? "?");
      return res;
    };
    const admin = await adminClient(`http://127.0.0.1:${lbPort}`, replicas.get("a")!.home, viaLb);
    const signedInBy = answeredBy.at(-1)!;
    expect(replicas.has(signedInBy)).toBe(true);
    expect((await admin.auth.me.query())?.user.username).toBe("admin");

    const doomed = replicas.get(signedInBy)!;
    const gone = new Promise((resolve) => doomed.process.once("exit", resolve));
    doomed.process.kill("SIGKILL");
    await gone;

    // The same cookies, through the load balancer, now reach the survivor.
    // Waits for the call to be answered at all (HAProxy notices the dead replica); whether it is still signed in is asserted after.
    const answer = await waitFor(async () => ({ me: await admin.auth.me.query() }), "a call through HAProxy after the kill", 20_000, 200);
    expect(answer.me?.user.username).toBe("admin");
    expect(answeredBy.at(-1)).not.toBe(signedInBy);
    expect(replicas.has(answeredBy.at(-1)!)).toBe(true);
    // A mutation too: the CSRF token from the sign-in is accepted by the replica that did not issue it.
    const created = await admin.tokens.create.mutate({ name: "after-failover", role: "VIEWER" });
    expect(created.token).toMatch(/^weft_/);
    expect(answeredBy.at(-1)).not.toBe(signedInBy);
  });
});
