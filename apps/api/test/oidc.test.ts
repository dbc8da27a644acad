import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionClient, startTestManager, TEST_SERVICE_SETTINGS, apiClient, type TestManager } from "../src/testing.ts";
import { safeReturnTo } from "../src/features/auth/oidc.service.ts";
import { startFakeProvider, type FakeProvider } from "./oidc-provider.ts";

/** The cookies a response sets, as `name=value` pairs for a Cookie header. */
function cookiesOf(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(";")[0] ?? "";
    const eq = pair.indexOf("=");
    out.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return out;
}

describe("OIDC sign-in (authorization code + PKCE)", () => {
  let provider: FakeProvider;
  let m: TestManager;
  let redirectUrl: string;

  beforeAll(async () => {
    provider = await startFakeProvider();
    // The redirect URL names the manager's port, known only once it listens: point it at a placeholder and fix it below.
    const oidc = { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, redirectUrl: "http://127.0.0.1:1/auth/oidc/callback", defaultRole: "VIEWER" as const };
    m = await startTestManager({ settings: { ...TEST_SERVICE_SETTINGS, oidc } });
    redirectUrl = `${m.url}/auth/oidc/callback`;
    oidc.redirectUrl = redirectUrl;
  });
  afterAll(async () => {
    await m?.stop();
    await provider?.close();
  });

  /** Walks the browser's redirects: manager → provider → manager callback. */
  async function signIn(returnTo = "/mesh"): Promise<{ callback: Response; stateCookie: string }> {
    const start = await fetch(`${m.url}/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`, { redirect: "manual" });
    expect(start.status).toBe(302);
    const stateCookie = cookiesOf(start).get("weft_oidc_state") as string;
    const atProvider = await fetch(start.headers.get("location") as string, { redirect: "manual" });
    expect(atProvider.status).toBe(302);
    const callback = await fetch(atProvider.headers.get("location") as string, { redirect: "manual", headers: { cookie: `weft_oidc_state=${stateCookie}` } });
    return { callback, stateCookie };
  }

  it("advertises the method", async () => {
    expect(await apiClient(m.url).auth.methods.query()).toEqual({ password: true, oidcLoginUrl: "/auth/oidc/login" });
  });

  it("signs a new user in as a viewer with PKCE S256, opening a session", async () => {
    const { callback } = await signIn("/mesh");
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe("/mesh");
    const auth = provider.authorizations.at(-1) as URLSearchParams;
    expect(auth.get("code_challenge_method")).toBe("S256");
    expect(auth.get("redirect_uri")).toBe(redirectUrl);
    expect(auth.get("scope")).toBe("openid profile email");
    const cookies = cookiesOf(callback);
    expect(callback.headers.getSetCookie().find((c) => c.startsWith("weft_session="))).toMatch(/HttpOnly/);
    const me = await apiClient(m.url, () => ({ cookie: `weft_session=${cookies.get("weft_session")}` })).auth.me.query();
    expect(me?.user).toMatchObject({ username: "dana", role: "VIEWER", email: "dana@example.com", displayName: "Dana" });
  });

  it("signs the same identity in as the same user, and never takes over a local account by name", async () => {
    await signIn();
    const admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    expect((await admin.users.list.query()).filter((u) => u.username.startsWith("dana"))).toHaveLength(1);
    provider.user = { sub: "u-2", preferred_username: "admin" };
    const { callback } = await signIn();
    const me = await apiClient(m.url, () => ({ cookie: `weft_session=${cookiesOf(callback).get("weft_session")}` })).auth.me.query();
    expect(me?.user.username).toMatch(/^admin-[0-9a-f]{8}$/);
    expect(me?.user.role).toBe("VIEWER");
    const events = await admin.audit.list.query({ action: "auth.login" });
    expect(events.events.filter((e) => e.details.method === "oidc" && e.outcome === "SUCCESS").length).toBeGreaterThanOrEqual(3);
  });

  it("refuses a callback from another browser, a replayed state and an open redirect", async () => {
    const start = await fetch(`${m.url}/auth/oidc/login?returnTo=//evil.example/x`, { redirect: "manual" });
    const atProvider = await fetch(start.headers.get("location") as string, { redirect: "manual" });
    const callbackUrl = atProvider.headers.get("location") as string;
    const noCookie = await fetch(callbackUrl, { redirect: "manual" });
    expect(noCookie.status).toBe(400);
    expect(noCookie.headers.getSetCookie().some((c) => c.startsWith("weft_session="))).toBe(false);
    const state = cookiesOf(start).get("weft_oidc_state") as string;
    // The state is checked before the attempt is used, so the right browser still completes it, once.
    const withCookie = await fetch(callbackUrl, { redirect: "manual", headers: { cookie: `weft_oidc_state=${state}` } });
    expect(withCookie.status).toBe(302);
    expect(withCookie.headers.get("location")).toBe("/");
    const replay = await fetch(callbackUrl, { redirect: "manual", headers: { cookie: `weft_oidc_state=${state}` } });
    expect(replay.status).toBe(400);
  });
});

describe("safeReturnTo: where a finished sign-in may send the browser", () => {
  it.each([
    ["/mesh", "/mesh"],
    ["/", "/"],
    ["/changes?id=1#top", "/changes?id=1#top"],
    ["//evil.example/x", "/"],
    ["/\\evil.example", "/"],
    ["/\t/evil.example", "/"],
    ["/\n/evil.example", "/"],
    ["/\r\n/evil.example", "/"],
    ["/mesh\\..\\evil", "/"],
    ["/\u0000/evil.example", "/"],
    ["/\u007f/evil.example", "/"],
    ["https://evil.example/", "/"],
    ["evil.example", "/"],
    ["", "/"],
    [null, "/"],
  ])("%j → %j", (value, expected) => {
    expect(safeReturnTo(value)).toBe(expected);
  });
});
