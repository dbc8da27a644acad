// Alertmanager's webhook into tickets, by HTTP as Alertmanager posts it:
// authenticated by an operator's API token, a payload with missing fields
// refused with every path and nothing stored, firing opens a ticket (a
// re-fire comments), resolved resolves it. Real Alertmanager delivers into
// the same endpoint in prometheus-interop.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_BODY_BYTES } from "../src/server.ts";
import { sessionClient, startTestManager, type ApiClient, type TestManager } from "../src/testing.ts";
import { userWithToken } from "./support.ts";

const alert = (status: "firing" | "resolved", extra: Record<string, unknown> = {}) => ({
  status,
  labels: { alertname: "HighLatency", severity: "ticket", namespace: "shop" },
  annotations: { summary: "checkout p99 over 500 ms", description: "p99 is 730 ms" },
  startsAt: "2026-12-06T10:00:00.123456789Z",
  endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : "2026-12-06T10:20:00Z",
  generatorURL: "http://prometheus.test/graph?g0.expr=x",
  fingerprint: "c0ffee1234567890",
  ...extra,
});
const payload = (alerts: unknown[], extra: Record<string, unknown> = {}) => ({
  version: "4",
  groupKey: '{}:{alertname="HighLatency"}',
  truncatedAlerts: 0,
  status: "firing",
  receiver: "weft",
  groupLabels: { alertname: "HighLatency" },
  commonLabels: {},
  commonAnnotations: {},
  externalURL: "http://alertmanager.test",
  alerts,
  ...extra,
});

describe("Alertmanager webhook", () => {
  let m: TestManager;
  let admin: ApiClient;
  let operatorToken = "";
  let viewerToken = "";
  const post = (body: unknown, token?: string) =>
    fetch(`${m.url}/alertmanager/webhook`, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: typeof body === "string" ? body : JSON.stringify(body) });

  beforeAll(async () => {
    m = await startTestManager();
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    operatorToken = (await userWithToken(admin, m.url, sessionClient, "alertmanager", "OPERATOR")).token;
    viewerToken = (await userWithToken(admin, m.url, sessionClient, "watcher", "VIEWER")).token;
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("answers 413 to a payload over the limit, whether it declares its length or not", async () => {
    const over = "x".repeat(DEFAULT_MAX_BODY_BYTES + 1);
    const declared = await post(over, operatorToken);
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toMatch(/over \d+ bytes/);
    // Chunked, four times the limit: the limit is found while the client still sends; the answer still reaches it (the rest is drained, not the socket destroyed).
    const chunk = new TextEncoder().encode("y".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 4 * DEFAULT_MAX_BODY_BYTES) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await fetch(`${m.url}/alertmanager/webhook`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${operatorToken}` }, body, duplex: "half" } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await admin.tickets.list.query({})).toEqual([]);
  });

  it("needs an operator's API token", async () => {
    expect((await post(payload([alert("firing")]))).status).toBe(401);
    expect((await post(payload([alert("firing")]), viewerToken)).status).toBe(403);
    expect(await admin.tickets.list.query({})).toEqual([]);
  });

  it("refuses a payload with missing or wrong fields, naming each, and stores nothing", async () => {
    const { fingerprint: _f, startsAt: _s, ...partial } = alert("firing");
    const res = await post(payload([partial, alert("firing", { labels: { severity: "page" } })], { version: "3" }), operatorToken);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: string; code: string }[] };
    expect(body.issues.map((i) => i.path).sort()).toEqual(["alerts[0].fingerprint", "alerts[0].startsAt", "alerts[1].labels.alertname", "version"]);
    expect((await post("{not json", operatorToken)).status).toBe(400);
    expect(await admin.tickets.list.query({})).toEqual([]);
  });

  it("opens a ticket on firing, ignores Alertmanager's repeats of that firing, comments on a re-fire, resolves it on resolved", async () => {
    let res = await post(payload([alert("firing")]), operatorToken);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ opened: 1, refired: 0, resolved: 0, ignored: 0 });
    // Alertmanager sends a still-firing alert again (repeat_interval, a change in its group): the same startsAt is the same firing.
    for (let i = 0; i < 2; i++) {
      res = await post(payload([alert("firing")]), operatorToken);
      expect(await res.json()).toEqual({ opened: 0, refired: 0, resolved: 0, ignored: 1 });
    }
    // A new firing of the same alert (a new startsAt) is a re-fire, and its own repeats are ignored again.
    res = await post(payload([alert("firing", { startsAt: "2026-12-06T10:07:00Z" })]), operatorToken);
    expect(await res.json()).toEqual({ opened: 0, refired: 1, resolved: 0, ignored: 0 });
    res = await post(payload([alert("firing", { startsAt: "2026-12-06T10:07:00Z" })]), operatorToken);
    expect(await res.json()).toEqual({ opened: 0, refired: 0, resolved: 0, ignored: 1 });
    const [ticket] = await admin.tickets.list.query({});
    expect(ticket).toMatchObject({ source: "alertmanager", title: "checkout p99 over 500 ms", severity: "ticket", status: "OPEN", fireCount: 2, namespace: "shop" });
    res = await post(payload([alert("resolved")], { status: "resolved" }), operatorToken);
    expect(await res.json()).toEqual({ opened: 0, refired: 0, resolved: 1, ignored: 0 });
    const detail = await admin.tickets.get.query({ id: ticket!.id });
    expect(detail.status).toBe("RESOLVED");
    expect(detail.comments.map((c) => c.kind)).toEqual(["fired", "fired", "resolved"]);
    expect((detail.context as { alertmanager?: { labels: Record<string, string> } }).alertmanager?.labels.alertname).toBe("HighLatency");
    const audit = await admin.audit.list.query({});
    expect(audit.events.filter((e) => e.action === "tickets.alertmanagerWebhook").map((e) => e.outcome)).toEqual(expect.arrayContaining(["SUCCESS", "FAILURE", "DENIED"]));
  });
});
