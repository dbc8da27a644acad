// A staged root rotation walked end to end with two simulated agents (real
// CSRs, intermediates and SVIDs through the agent procedures), the controller
// ticked directly; pause/resume, reverse, one rotation at a time, and viewers refused.
import { createTrustBundle, generateMeshRoot, parseCertificate, validateSvidChain } from "@weft/identity";
import type { ClusterTrust } from "@weft/mesh-model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedAgent, sessionClient, startTestManager, tokenClient, type ApiClient, type TestManager } from "../src/testing.ts";
import { identitySettings, refusal, SimulatedAgent } from "./identity-support.ts";
import { userWithToken } from "./support.ts";

describe("staged root rotation", () => {
  let m: TestManager;
  let admin: ApiClient;
  let viewer: ApiClient;
  let east: SimulatedAgent;
  let west: SimulatedAgent;

  const trust = async (): Promise<ClusterTrust> => (await admin.identity.trustBundle.query()) as ClusterTrust;
  const tick = async () => {
    const result = await m.services.controllers.rotation.tick();
    expect(result.leader).toBe(true);
    return result.rotation;
  };
  const states = async () => Object.fromEntries((await admin.identity.authorities.query()).authorities.map((a) => [a.anchorFingerprint, a.state]));

  /** An SVID validates against the bundle the cluster trusts now. */
  const validates = async (agent: SimulatedAgent, bundle: ClusterTrust) => {
    const svid = agent.svids[0]!.svid;
    return validateSvidChain(svid.certificatePem, svid.chainPem, createTrustBundle("weft.local", bundle.rootsPem)).ok;
  };

  beforeAll(async () => {
    m = await startTestManager({ settings: identitySettings() });
    admin = (await sessionClient(m.url, "admin", m.adminPassword)).client;
    viewer = tokenClient(m.url, (await userWithToken(admin, m.url, sessionClient, "vera", "VIEWER")).token);
    east = new SimulatedAgent("east", (await joinedAgent(admin, m.url, "east")).client);
    west = new SimulatedAgent("west", (await joinedAgent(admin, m.url, "west")).client);
    const initial = await trust();
    await east.sync(initial);
    await west.sync(initial);
  });
  afterAll(async () => {
    await m?.stop();
  });

  it("walks every step as the clusters catch up, and pauses when told", async () => {
    const old = await trust();
    const oldRoot = old.issuingRootFingerprint;
    expect(await refusal(viewer.identity.rotation.start.mutate({}))).toMatchObject({ code: "FORBIDDEN" });

    // 1. ADD_ROOT: the new root joins every bundle; the old one still signs.
    const started = await admin.identity.rotation.start.mutate({});
    expect(started).toMatchObject({ step: "ADD_ROOT", paused: false, from: { anchorFingerprint: oldRoot } });
    const newRoot = started.to.anchorFingerprint;
    expect(await refusal(admin.identity.rotation.start.mutate({}))).toMatchObject({ code: "CONFLICT" });
    const staged = await trust();
    expect(staged.rootsPem).toHaveLength(2);
    expect(staged.issuingRootFingerprint).toBe(oldRoot);
    expect(BigInt(staged.bundleVersion)).toBeGreaterThan(BigInt(old.bundleVersion));
    expect(await states()).toEqual({ [oldRoot]: "ACTIVE", [newRoot]: "STAGED" });
    expect((await tick())?.progress.waitingFor).toEqual(["east", "west"]);

    // Paused: every cluster acknowledges, but the rotation stays where it is.
    expect(await refusal(viewer.identity.rotation.pause.mutate({ id: started.id }))).toMatchObject({ code: "FORBIDDEN" });
    expect((await admin.identity.rotation.pause.mutate({ id: started.id })).paused).toBe(true);
    await east.sync(staged);
    await west.sync(staged);
    const paused = await tick();
    expect(paused).toMatchObject({ step: "ADD_ROOT", paused: true });
    expect(paused?.progress.waitingFor).toEqual([]);
    expect((await admin.identity.rotation.resume.mutate({ id: started.id })).paused).toBe(false);

    // 2. ISSUE_INTERMEDIATES: the new CA signs; the agents see issuingRootFingerprint change and re-issue.
    expect(await tick()).toMatchObject({ step: "ISSUE_INTERMEDIATES" });
    const issuing = await trust();
    expect(issuing.issuingRootFingerprint).toBe(newRoot);
    expect(issuing.rootsPem).toHaveLength(2);
    expect(await states()).toEqual({ [oldRoot]: "DRAINING", [newRoot]: "ACTIVE" });
    expect((await tick())?.progress.waitingFor).toEqual(["east", "west"]);
    await east.sync(issuing);
    expect(east.intermediateRoot).toBe(newRoot);
    expect((await tick())?.progress).toMatchObject({ waitingFor: ["west"] });
    // West gets its intermediate but has re-issued only one of its two workloads so far.
    await west.ack(issuing);
    await west.renewIntermediate();
    await west.reissue(1);
    await west.report();

    // 3. MIGRATE_WORKLOADS: progress per cluster as a percentage.
    const migrating = await tick();
    expect(migrating?.step).toBe("MIGRATE_WORKLOADS");
    expect(migrating?.progress.waitingFor).toEqual(["west"]);
    expect(migrating?.progress.clusters.map((c) => [c.cluster, c.certificates.percent])).toEqual([
      ["east", 100],
      ["west", 50],
    ]);
    // Both roots are trusted meanwhile: old and new SVIDs validate.
    expect(await validates(east, issuing)).toBe(true);
    expect(west.svids.map((s) => s.rootFingerprint).sort()).toEqual([newRoot, oldRoot].sort());
    await west.reissue();
    await west.report();

    // 4. REMOVE_OLD_ROOT: the old root leaves every bundle; not reversible any more.
    const removing = await tick();
    expect(removing?.step).toBe("REMOVE_OLD_ROOT");
    expect(await refusal(admin.identity.rotation.reverse.mutate({ id: started.id }))).toMatchObject({ code: "CONFLICT" });
    const final = await trust();
    expect(final.rootsPem).toHaveLength(1);
    expect(final.issuingRootFingerprint).toBe(newRoot);
    expect(await states()).toEqual({ [oldRoot]: "RETIRED", [newRoot]: "ACTIVE" });
    expect(await validates(west, final)).toBe(true);
    expect((await tick())?.progress.waitingFor).toEqual(["east", "west"]);
    await east.sync(final);
    await west.sync(final);

    // COMPLETED once every cluster runs the bundle without the old root.
    expect(await tick()).toMatchObject({ step: "COMPLETED" });
    const done = await admin.identity.rotation.get.query({ id: started.id });
    expect(done?.completedAt).not.toBeNull();
    expect(done?.history.map((h) => `${h.step}:${h.action}`)).toEqual([
      "ADD_ROOT:start",
      "ADD_ROOT:pause",
      "ADD_ROOT:resume",
      "ISSUE_INTERMEDIATES:advance",
      "MIGRATE_WORKLOADS:advance",
      "REMOVE_OLD_ROOT:advance",
      "COMPLETED:advance",
    ]);
    expect(await tick()).toBeNull();
    expect((await viewer.identity.rotation.list.query()).map((r) => r.step)).toEqual(["COMPLETED"]);
  });

  it("rotates to an operator's own root, imported as PEM; bad input names the field and stores nothing", async () => {
    const operator = await generateMeshRoot({ trustDomain: "weft.local" });
    const bad = await refusal(admin.identity.rotation.start.mutate({ import: { certificatePem: operator.certificatePem, keyPem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" } }));
    expect(bad).toMatchObject({ code: "BAD_REQUEST", fieldErrors: [expect.objectContaining({ path: "import.keyPem" })] });
    expect(JSON.stringify(bad)).not.toContain("AAAA");
    expect(await admin.identity.rotation.list.query()).not.toContainEqual(expect.objectContaining({ completedAt: null }));

    const rotation = await admin.identity.rotation.start.mutate({ import: { certificatePem: operator.certificatePem, keyPem: operator.key.exportPem() } });
    expect(rotation.to.anchorFingerprint).toBe(parseCertificate(operator.certificatePem).fingerprintSha256);
    const views = JSON.stringify([rotation, await admin.identity.authorities.query()]);
    expect(views).not.toContain("PRIVATE KEY");
    // Walked to the end, the clusters' SVIDs chain to the operator's root.
    for (let step = 0; step < 8 && (await admin.identity.rotation.get.query({ id: rotation.id }))?.completedAt == null; step++) {
      const current = await trust();
      await east.sync(current);
      await west.sync(current);
      await tick();
    }
    expect(await admin.identity.rotation.get.query({ id: rotation.id })).toMatchObject({ step: "COMPLETED" });
    const final = await trust();
    expect(final.rootsPem.map((pem) => parseCertificate(pem).fingerprintSha256)).toEqual([rotation.to.anchorFingerprint]);
    expect(east.intermediateRoot).toBe(rotation.to.anchorFingerprint);
    expect(await validates(east, final)).toBe(true);
  });

  it("reverses from ADD_ROOT at once: the new root never signed, so it just leaves the bundles", async () => {
    const before = await trust();
    const rotation = await admin.identity.rotation.start.mutate({});
    expect((await trust()).rootsPem).toHaveLength(2);
    const reversed = await admin.identity.rotation.reverse.mutate({ id: rotation.id });
    expect(reversed).toMatchObject({ step: "REVERSED", completedAt: expect.any(Date) });
    const after = await trust();
    expect(after.rootsPem).toEqual(before.rootsPem);
    expect(after.issuingRootFingerprint).toBe(before.issuingRootFingerprint);
    expect(await states()).toMatchObject({ [before.issuingRootFingerprint]: "ACTIVE", [rotation.to.anchorFingerprint]: "RETIRED" });
    expect(await refusal(admin.identity.rotation.pause.mutate({ id: rotation.id }))).toMatchObject({ code: "CONFLICT" });
    await east.sync(after);
    await west.sync(after);
  });

  it("reverses after the new CA signed: the new root stays trusted until every cluster is back on the old one", async () => {
    const before = await trust();
    const oldRoot = before.issuingRootFingerprint;
    const rotation = await admin.identity.rotation.start.mutate({});
    const newRoot = rotation.to.anchorFingerprint;
    await east.sync(await trust());
    await west.sync(await trust());
    expect(await tick()).toMatchObject({ step: "ISSUE_INTERMEDIATES" });
    // East moves to the new root; west has not yet.
    await east.sync(await trust());
    expect(east.intermediateRoot).toBe(newRoot);

    expect(await refusal(viewer.identity.rotation.reverse.mutate({ id: rotation.id }))).toMatchObject({ code: "FORBIDDEN" });
    // Asked from a view still at "Add new root" (a dialog opened before the controller moved on): refused, nothing done.
    const stale = await refusal(admin.identity.rotation.reverse.mutate({ id: rotation.id, step: "ADD_ROOT" }));
    expect(stale).toMatchObject({ code: "CONFLICT", fieldErrors: [expect.objectContaining({ path: "step" })] });
    const unchanged = await admin.identity.rotation.get.query({ id: rotation.id });
    expect(unchanged?.step).toBe("ISSUE_INTERMEDIATES");
    expect(unchanged?.history.map((h) => h.action)).not.toContain("reverse");
    const reversed = await admin.identity.rotation.reverse.mutate({ id: rotation.id, step: "ISSUE_INTERMEDIATES" });
    expect(reversed).toMatchObject({ step: "ISSUE_INTERMEDIATES", completedAt: null, from: { anchorFingerprint: newRoot }, to: { anchorFingerprint: oldRoot } });
    expect(await refusal(admin.identity.rotation.reverse.mutate({ id: rotation.id }))).toMatchObject({ code: "CONFLICT" });
    // The old CA signs again, and east's certificates from the new root are still trusted meanwhile.
    const back = await trust();
    expect(back.issuingRootFingerprint).toBe(oldRoot);
    expect(back.rootsPem).toHaveLength(2);
    expect(await states()).toMatchObject({ [oldRoot]: "ACTIVE", [newRoot]: "DRAINING" });
    expect(await validates(east, back)).toBe(true);

    // The same steps carry every cluster back; the new root leaves the bundles last.
    await east.sync(back);
    await west.sync(back);
    expect(east.intermediateRoot).toBe(oldRoot);
    expect(await tick()).toMatchObject({ step: "MIGRATE_WORKLOADS" });
    expect(await tick()).toMatchObject({ step: "REMOVE_OLD_ROOT" });
    const final = await trust();
    expect(final.rootsPem).toEqual(before.rootsPem);
    expect(await states()).toMatchObject({ [oldRoot]: "ACTIVE", [newRoot]: "RETIRED" });
    await east.sync(final);
    await west.sync(final);
    expect(await tick()).toMatchObject({ step: "REVERSED", completedAt: expect.any(Date) });
    expect(await tick()).toBeNull();
    const audit = await admin.audit.list.query({ action: "identity.rotation." });
    expect(audit.events.map((e) => e.action)).toEqual(expect.arrayContaining(["identity.rotation.start", "identity.rotation.reverse", "identity.rotation.advance"]));
  });
});
