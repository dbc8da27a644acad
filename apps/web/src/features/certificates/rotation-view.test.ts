import { describe, expect, it } from "vitest";
import { canReverse, clusterProgress, describeHistory, overallMigration, reverseConsequences, staleReverse, startFormFieldOf, stepper, validateStartForm, waitingFor, type RotationLike, type RotationStep } from "./rotation-view.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----";

function rotation(patch: Partial<RotationLike> = {}): RotationLike {
  return {
    step: "ADD_ROOT",
    paused: false,
    completedAt: null,
    awaitBundleVersion: "5",
    history: [{ step: "ADD_ROOT", at: "2026-01-01T00:00:00Z", by: "admin", action: "start" }],
    progress: {
      computedAt: "2026-01-01T00:00:05Z",
      waitingFor: ["west"],
      clusters: [
        { cluster: "west", done: false, bundleVersion: "4", hasNewIntermediate: false, certificates: { total: 4, migrated: 1, percent: 25 } },
        { cluster: "east", done: true, bundleVersion: "5", hasNewIntermediate: true, certificates: { total: 2, migrated: 2, percent: 100 } },
        { cluster: "central", done: true, bundleVersion: "6", hasNewIntermediate: false, certificates: { total: 0, migrated: 0, percent: 100 } },
      ],
    },
    ...patch,
  };
}

describe("stepper", () => {
  it.each<[RotationStep, string]>([
    ["ADD_ROOT", "current upcoming upcoming upcoming upcoming"],
    ["MIGRATE_WORKLOADS", "done done current upcoming upcoming"],
    ["COMPLETED", "done done done done done"],
    ["REVERSED", "done done done done current"],
  ])("at %s shows %s", (step, statuses) => {
    const steps = stepper({ step, completedAt: step === "COMPLETED" || step === "REVERSED" ? new Date() : null });
    expect(steps.map((s) => s.status).join(" ")).toBe(statuses);
    if (step === "REVERSED") expect(steps.at(-1)?.label).toBe("Reversed");
  });
});

describe("clusterProgress", () => {
  it("puts waiting clusters first and compares bundle versions as numbers", () => {
    const rows = clusterProgress(rotation());
    expect(rows.map((r) => [r.cluster, r.waiting, r.bundleAcknowledged, r.percent])).toEqual([
      ["west", true, false, 25],
      ["central", false, true, 100],
      ["east", false, true, 100],
    ]);
  });

  it("counts the mesh-wide migration share", () => {
    expect(overallMigration(rotation())).toBe(50);
    expect(overallMigration(rotation({ progress: { computedAt: null, waitingFor: [], clusters: [] } }))).toBe(100);
  });
});

describe("waitingFor", () => {
  it.each<[string, Partial<RotationLike>, RegExp]>([
    ["the bundle at ADD_ROOT", {}, /^Waiting for west to run trust bundle v5 \(both roots\)/],
    ["intermediates", { step: "ISSUE_INTERMEDIATES" }, /hold an intermediate signed by the new authority/],
    ["workloads", { step: "MIGRATE_WORKLOADS" }, /re-issue every workload certificate/],
    ["nobody", { progress: { computedAt: "x", waitingFor: [], clusters: [] } }, /next pass/],
    ["a paused rotation", { paused: true }, /^Paused: .*still waiting for west/],
    ["a fresh rotation", { progress: { computedAt: null, waitingFor: [], clusters: [] } }, /not looked at the clusters yet/],
    ["a finished one", { step: "COMPLETED", completedAt: new Date() }, /complete/],
  ])("describes %s", (_, patch, expected) => {
    expect(waitingFor(rotation(patch))).toMatch(expected);
  });
});

describe("reverse", () => {
  it.each<[Partial<RotationLike>, boolean]>([
    [{}, true],
    [{ step: "MIGRATE_WORKLOADS" }, true],
    [{ step: "REMOVE_OLD_ROOT" }, false],
    [{ step: "REVERSED", completedAt: new Date() }, false],
    [{ step: "ISSUE_INTERMEDIATES", history: [{ step: "ISSUE_INTERMEDIATES", at: "", by: "admin", action: "reverse" }] }, false],
  ])("canReverse(%o) = %s", (patch, expected) => {
    expect(canReverse(rotation(patch))).toBe(expected);
  });

  it("explains that a reverse from ADD_ROOT affects no workload and a later one re-issues", () => {
    expect(reverseConsequences("ADD_ROOT").join(" ")).toMatch(/no workload is affected/);
    expect(reverseConsequences("MIGRATE_WORKLOADS").join(" ")).toMatch(/re-issues its workload certificates/);
    // In words, never the controller's constants.
    for (const step of ["ADD_ROOT", "ISSUE_INTERMEDIATES", "MIGRATE_WORKLOADS"] as const) expect(reverseConsequences(step).join(" ")).not.toMatch(/\b[A-Z]+_[A-Z_]+\b|\bREVERSED\b|\bCOMPLETED\b/);
  });

  it("describes history entries", () => {
    expect(describeHistory({ step: "ISSUE_INTERMEDIATES", by: "controller", action: "advance" })).toBe("controller advanced to “Issue intermediates”");
    expect(describeHistory({ step: "ADD_ROOT", by: "admin", action: "pause" })).toBe("admin paused it at “Add new root”");
  });
});

describe("validateStartForm", () => {
  it("generates a new root when every field is empty", () => {
    expect(validateStartForm({ certificatePem: " ", keyPem: "", chainPem: "" })).toEqual({ ok: true, input: {} });
  });

  it("sends an import with the chain split into certificates", () => {
    expect(validateStartForm({ certificatePem: CERT, keyPem: KEY, chainPem: `${CERT}\n${CERT}` })).toEqual({ ok: true, input: { import: { certificatePem: CERT, keyPem: KEY, chainPem: [CERT, CERT] } } });
  });

  it.each<[string, { certificatePem: string; keyPem: string; chainPem: string }, string[]]>([
    ["a key without a certificate", { certificatePem: "", keyPem: KEY, chainPem: "" }, ["certificatePem"]],
    ["a certificate without a key", { certificatePem: CERT, keyPem: "", chainPem: "" }, ["keyPem"]],
    ["two certificates in the certificate field", { certificatePem: `${CERT}\n${CERT}`, keyPem: KEY, chainPem: "" }, ["certificatePem"]],
    ["an encrypted key", { certificatePem: CERT, keyPem: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n-----END ENCRYPTED PRIVATE KEY-----", chainPem: "" }, ["keyPem"]],
    ["a chain that is no PEM", { certificatePem: CERT, keyPem: KEY, chainPem: "hello" }, ["chainPem"]],
  ])("names the field for %s", (_, form, fields) => {
    const result = validateStartForm(form);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors)).toEqual(fields);
  });

  it.each([
    ["import.keyPem", "keyPem"],
    ["import.chainPem[2]", "chainPem"],
    ["import.certificatePem", "certificatePem"],
    ["id", null],
  ])("maps the manager's path %s to the field %s", (path, field) => {
    expect(startFormFieldOf(path)).toBe(field);
  });
});

describe("staleReverse: the reverse dialog holds the rotation it was opened for", () => {
  const held = { id: "r1", step: "ISSUE_INTERMEDIATES" as RotationStep };
  it.each<[string, ({ id: string } & RotationLike) | null, string | null]>([
    ["same rotation, same step", { id: "r1", ...rotation({ step: "ISSUE_INTERMEDIATES" }) }, null],
    ["moved on to the next step", { id: "r1", ...rotation({ step: "MIGRATE_WORKLOADS" }) }, "The rotation moved on from “Issue intermediates” to “Migrate workloads” since this dialog opened: close it and look again."],
    ["past the point of no return", { id: "r1", ...rotation({ step: "REMOVE_OLD_ROOT" }) }, "The rotation can no longer be reversed: it is now at “Remove old root”."],
    ["another rotation is current", { id: "r2", ...rotation({ step: "ADD_ROOT" }) }, "This rotation is no longer the current one: close this dialog and look again."],
    ["no rotation", null, "This rotation is no longer the current one: close this dialog and look again."],
  ])("%s", (_name, live, want) => {
    expect(staleReverse(held, live)).toBe(want);
  });
});
