import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { TRPCClientError } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFirstAdmin, INITIAL_ADMIN_PASSWORD_FILE } from "../src/features/auth/first-admin.ts";
import { hashPassword, verifyPassword } from "../src/features/auth/password-hash.ts";
import { hashSecret } from "../src/features/auth/secret-tokens.ts";
import { createLogger } from "../src/logger.ts";
import { DEFAULT_SERVICE_SETTINGS } from "../src/services.ts";
import { sessionClient, startTestManager, tokenClient, TEST_SERVICE_SETTINGS, type ApiClient, type TestManager } from "../src/testing.ts";

const codeOf = (e: unknown) => (e instanceof TRPCClientError ? (e.data as { code: string }).code : String(e));

describe("password hashing", () => {
  it("uses scrypt with N=2^15, r=8, p=1 in production and verifies only the right password", async () => {
    expect(DEFAULT_SERVICE_SETTINGS.auth.passwordCost).toBe(15);
    const hash = await hashPassword("correct horse battery");
    expect(hash).toMatch(/^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await hashPassword("correct horse battery")).not.toBe(hash);
  });
});

describe("first start", () => {
  let m: TestManager;
  beforeAll(async () => {
    m = await startTestManager();
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("creates admin once, with the password stored 0600 in the state folder", async () => {
    const file = join(m.home, INITIAL_ADMIN_PASSWORD_FILE);
    expect((await readFile(file, "utf8")).trim()).toBe(m.adminPassword);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const printed: string[] = [];
    const again = await ensureFirstAdmin({ users: m.services.usersRepository, hashPassword: (p) => m.services.auth.hashPassword(p), home: m.home, log: createLogger("silent"), print: (t) => printed.push(t) });
    expect(again).toBeNull();
    expect(printed).toEqual([]);
    const { client } = await sessionClient(m.url, "admin", m.adminPassword);
    expect((await client.auth.me.query())?.user).toMatchObject({ username: "admin", role: "ADMIN" });
  });
});

describe("sessions, tokens and sign-in limits", () => {
  let m: TestManager;
  let admin: ApiClient;
  beforeAll(async () => {
    m = await startTestManager({ settings: { auth: { ...TEST_SERVICE_SETTINGS.auth, loginPolicy: { maxFailuresPerClient: 3, windowMs: 60_000, lockoutThreshold: 5, lockoutMs: 60_000 } } } });
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    await admin.users.create.mutate({ username: "olga", password: "olga-password-1", role: "OPERATOR" });
    await admin.users.create.mutate({ username: "lena", password: "lena-password-1", role: "VIEWER" });
  });
  afterAll(async () => {
    await m?.stop();
  });

  const login = (username: string, password: string, headers: Record<string, string> = {}) =>
    fetch(`${m.url}/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ json: { username, password } }) });

  it("sets an httpOnly SameSite session cookie (Secure behind https) and stores only its hash", async () => {
    const res = await login("olga", "olga-password-1");
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith("weft_session="));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).not.toMatch(/Secure/);
    expect(cookies.find((c) => c.startsWith("weft_csrf="))).not.toMatch(/HttpOnly/);
    const value = decodeURIComponent(/^weft_session=([^;]+)/.exec(session ?? "")?.[1] ?? "");
    const rows = await m.db.prisma.session.findMany({ select: { tokenHash: true } });
    expect(rows.map((r) => r.tokenHash)).toContain(hashSecret(value));
    expect(JSON.stringify(rows)).not.toContain(value);

    const secure = await login("olga", "olga-password-1", { "x-forwarded-proto": "https" });
    expect(secure.headers.getSetCookie().every((c) => /; Secure/.test(c))).toBe(true);
  });

  it("ends the session at logout", async () => {
    const { client } = await sessionClient(m.url, "olga", "olga-password-1");
    expect(await client.auth.me.query()).not.toBeNull();
    await client.auth.logout.mutate();
    expect(await client.auth.me.query()).toBeNull();
  });

  it("API tokens are shown once, stored hashed, and stop working when revoked", async () => {
    const { client } = await sessionClient(m.url, "lena", "lena-password-1");
    const created = await client.tokens.create.mutate({ name: "cli" });
    expect(created.token).toMatch(/^weft_[\w-]{43}$/);
    const stored = await m.db.prisma.apiToken.findFirstOrThrow({ where: { name: "cli" } });
    expect(stored.tokenHash).toBe(hashSecret(created.token));
    expect(JSON.stringify(await client.tokens.list.query())).not.toContain(created.token);
    const bearer = tokenClient(m.url, created.token);
    expect((await bearer.auth.me.query())?.user.username).toBe("lena");
    await client.tokens.revoke.mutate({ id: created.info.id });
    expect(await bearer.auth.me.query()).toBeNull();
    expect(codeOf(await tokenClient(m.url, "weft_not-a-token").mesh.status.query().catch((e: unknown) => e))).toBe("UNAUTHORIZED");
  });

  it("rate-limits a username from one address, then locks the account after repeated failures", async () => {
    await admin.users.create.mutate({ username: "target", password: "target-password-1", role: "VIEWER" });
    for (let i = 0; i < 3; i++) expect((await login("target", "wrong")).status).toBe(401);
    // Even the right password is refused while the client is limited.
    expect((await login("target", "target-password-1")).status).toBe(429);
    // From other addresses the per-client limit does not apply, but the account lockout counts every failure (3 so far; the threshold is 5).
    for (const ip of ["10.9.9.1", "10.9.9.2"]) await m.services.auth.login("target", "wrong", { ip, secure: false, setCookie: () => {} }).catch(() => undefined);
    const row = await m.db.prisma.user.findUniqueOrThrow({ where: { username: "target" } });
    expect(row.lockedUntil?.getTime()).toBeGreaterThan(Date.now());
    const err = await m.services.auth.login("target", "target-password-1", { ip: "10.9.9.10", secure: false, setCookie: () => {} }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("RATE_LIMITED");
  });

  it("gives one answer for unknown users and wrong passwords", async () => {
    const unknown = await (await login("nobody", "whatever")).json();
    const wrong = await (await login("lena", "whatever")).json();
    expect(JSON.stringify(unknown)).toBe(JSON.stringify(wrong));
  });
});
