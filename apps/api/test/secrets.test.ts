// Passwords, session tokens and API tokens never show up in the logs or in API
// responses (apart from the one response that hands out a new API token).
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.ts";
import { apiClient, cookieClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";

describe("secrets stay out of logs and responses", () => {
  let m: TestManager;
  const logLines: string[] = [];
  const bodies: { path: string; body: string }[] = [];
  const setCookies: string[] = [];
  const pending: Promise<void>[] = [];

  /** A session client (not signed in yet) that records every response body and Set-Cookie header. */
  function recordingClient(): { client: ApiClient; cookies: Map<string, string> } {
    return cookieClient(m.url, (res) => {
      setCookies.push(...res.headers.getSetCookie());
      pending.push(res.clone().text().then((body) => void bodies.push({ path: new URL(res.url).pathname, body })));
    });
  }

  beforeAll(async () => {
    const sink = new Writable({ write: (chunk, _e, done) => (logLines.push(String(chunk)), done()) });
    m = await startTestManager({ log: createLogger("trace", sink) });
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("never echoes them", async () => {
    const userPassword = "user-Pa55word-SECRET-1";
    const newPassword = "user-Pa55word-SECRET-2";
    const wrongPassword = "wrong-Pa55word-SECRET-3";

    const admin = recordingClient();
    await admin.client.auth.login.mutate({ username: "admin", password: m.adminPassword });
    const adminSession = admin.cookies.get("weft_session") as string;
    const created = await admin.client.users.create.mutate({ username: "uma", password: userPassword, role: "OPERATOR" });
    await admin.client.users.resetPassword.mutate({ id: created.id, password: userPassword });

    const uma = recordingClient();
    await uma.client.auth.login.mutate({ username: "uma", password: wrongPassword }).catch(() => undefined);
    await uma.client.auth.login.mutate({ username: "uma", password: userPassword });
    const umaSession = uma.cookies.get("weft_session") as string;
    const { token } = await uma.client.tokens.create.mutate({ name: "ci" });
    await uma.client.tokens.list.query();
    await uma.client.auth.me.query();
    await uma.client.auth.changePassword.mutate({ currentPassword: wrongPassword, newPassword }).catch(() => undefined);

    const bearer = apiClient(m.url, () => ({ authorization: `Bearer ${token}` }), (res) => void pending.push(res.clone().text().then((body) => void bodies.push({ path: new URL(res.url).pathname, body }))));
    await bearer.auth.me.query();
    await bearer.auth.changePassword.mutate({ currentPassword: userPassword, newPassword });
    await admin.client.users.list.query();
    await admin.client.audit.list.query({});
    await admin.client.auth.me.query();
    await Promise.all(pending);

    const secrets = { adminPassword: m.adminPassword, userPassword, newPassword, wrongPassword, adminSession, umaSession, token };
    // The logs saw the requests (at debug level) but none of the secrets.
    expect(logLines.some((l) => l.includes('"msg":"request"'))).toBe(true);
    expect(logLines.some((l) => l.includes("auth.login"))).toBe(true);
    for (const [name, secret] of Object.entries(secrets)) {
      expect(secret.length, name).toBeGreaterThan(10);
      expect(logLines.filter((l) => l.includes(secret)), `${name} in the logs`).toEqual([]);
      const leaking = bodies.filter((b) => b.body.includes(secret) && !(name === "token" && b.path.endsWith("/tokens.create")));
      expect(leaking.map((b) => b.path), `${name} in a response`).toEqual([]);
    }
    // The token is handed out exactly once; session tokens travel only in Set-Cookie.
    expect(bodies.filter((b) => b.body.includes(token)).map((b) => b.path)).toEqual(["/trpc/tokens.create"]);
    expect(setCookies.some((c) => c.includes(encodeURIComponent(umaSession)))).toBe(true);
    expect(bodies.length).toBeGreaterThan(10);
  });
});
