// The test harness's manager is the same mesh on both databases. On an
// external PostgreSQL (DATABASE_URL) the manager has no CA unless WEFT_CA_KEY
// is set (the embedded default makes WEFT_HOME/ca.key itself); without one,
// proxies get no SVIDs and every path through an east-west gateway is left
// out (gateway_needs_mtls), which made the netns multi-cluster test answer
// 503 UH on PostgreSQL only. CI runs this file on both databases.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, removeHome, startManager, type AdminClient, type ManagerProcess } from "./manager-process.ts";
import { waitFor } from "./wait-for.ts";

describe(`startManager (${process.env.DATABASE_URL ? "external PostgreSQL" : "embedded database"})`, () => {
  const managers: ManagerProcess[] = [];
  let admin: AdminClient;

  beforeAll(async () => {
    managers.push(await startManager());
    admin = await adminClient(managers[0]!.url, managers[0]!.home);
  }, 120_000);

  afterAll(async () => {
    for (const m of managers) {
      await m.stop();
      await removeHome(m.home);
    }
  }, 60_000);

  it("starts a manager whose mesh has a CA, so agents get trust and SVIDs", async () => {
    expect((await admin.identity.authorities.query()).caKeyConfigured).toBe(true);
    const trust = await waitFor(async () => (await admin.identity.trustBundle.query()) ?? false, "the mesh's trust bundle", 30_000, 200);
    expect(trust.rootsPem.length).toBeGreaterThan(0);
  });

  it("fails at once, with the manager's own words, when the manager exits during start-up (not after 90 s of polling)", async () => {
    const failed = await startManager({ env: { WEFT_LOG_LEVEL: "loud" } }).then(
      () => "started",
      (err: Error) => err.message,
    );
    expect(failed).toMatch(/^manager exited \(\S+\) before answering \/healthz/);
    expect(failed).toContain("WEFT_LOG_LEVEL");
  }, 60_000);

  it("restarts a manager on the same home with the same CA key (its sealed CA still opens)", async () => {
    const first = managers[0]!;
    const before = (await admin.identity.authorities.query()).authorities.map((a) => a.anchorFingerprint);
    await first.stop();
    const again = await startManager({ home: first.home, port: first.port });
    managers[0] = again;
    admin = await adminClient(again.url, again.home);
    const view = await admin.identity.authorities.query();
    expect(view.caKeyConfigured).toBe(true);
    expect(view.authorities.map((a) => a.anchorFingerprint)).toEqual(before);
    expect(await admin.identity.trustBundle.query()).not.toBeNull();
  }, 120_000);
});
