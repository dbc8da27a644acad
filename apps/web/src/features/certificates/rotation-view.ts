// Pure view logic of the root rotation panel: the stepper, per-cluster
// progress, what the current step waits for, and the start form's checks.

export type RotationStep = "ADD_ROOT" | "ISSUE_INTERMEDIATES" | "MIGRATE_WORKLOADS" | "REMOVE_OLD_ROOT" | "COMPLETED" | "REVERSED";

/** The steps a rotation walks, in order (the stepper's columns). */
export const STEPS: readonly { step: RotationStep; label: string }[] = [
  { step: "ADD_ROOT", label: "Add new root" },
  { step: "ISSUE_INTERMEDIATES", label: "Issue intermediates" },
  { step: "MIGRATE_WORKLOADS", label: "Migrate workloads" },
  { step: "REMOVE_OLD_ROOT", label: "Remove old root" },
  { step: "COMPLETED", label: "Completed" },
];

/** Steps from which a reverse is still possible (the old root is in every bundle). */
export const REVERSIBLE: readonly RotationStep[] = ["ADD_ROOT", "ISSUE_INTERMEDIATES", "MIGRATE_WORKLOADS"];

export interface RotationLike {
  step: RotationStep;
  paused: boolean;
  completedAt: Date | null;
  awaitBundleVersion: string | null;
  history: readonly { step: RotationStep; at: string; by: string; action: string }[];
  progress: {
    computedAt: string | null;
    waitingFor: readonly string[];
    clusters: readonly {
      cluster: string;
      done: boolean;
      bundleVersion: string | null;
      hasNewIntermediate: boolean;
      certificates: { total: number; migrated: number; percent: number };
    }[];
  };
}

export type StepStatus = "done" | "current" | "upcoming";

/** True while the rotation still runs (not COMPLETED or REVERSED). */
export function isOpen(r: Pick<RotationLike, "completedAt" | "step">): boolean {
  return r.completedAt === null && r.step !== "COMPLETED" && r.step !== "REVERSED";
}

/** True once an operator reversed it: the steps run again from the new root back to the old one. */
export function isReversing(r: Pick<RotationLike, "history">): boolean {
  return r.history.some((h) => h.action === "reverse");
}

/** May an admin still reverse it (open, not already reversing, before REMOVE_OLD_ROOT)? */
export function canReverse(r: RotationLike): boolean {
  return isOpen(r) && !isReversing(r) && REVERSIBLE.includes(r.step);
}

/** The stepper: each step done, current or upcoming. A finished rotation has every step done; REVERSED marks the last one current. */
export function stepper(r: Pick<RotationLike, "step" | "completedAt">): { step: RotationStep; label: string; status: StepStatus }[] {
  if (r.step === "REVERSED") {
    // Ended by a reverse: the real outcome is the last column, relabelled.
    return STEPS.map((s) => (s.step === "COMPLETED" ? { step: "REVERSED" as const, label: "Reversed", status: "current" as const } : { ...s, status: "done" as const }));
  }
  const at = STEPS.findIndex((s) => s.step === r.step);
  return STEPS.map((s, i) => ({ ...s, status: i < at || (r.step === "COMPLETED" && i === at) ? "done" : i === at ? "current" : "upcoming" }));
}

function atLeast(version: string | null, wanted: string | null): boolean {
  if (wanted === null) return true;
  if (version === null) return false;
  return BigInt(version) >= BigInt(wanted);
}

/** One row of the per-cluster progress table. */
export interface ClusterProgressRow {
  cluster: string;
  /** Runs the bundle the step waits for (true when the step waits for none). */
  bundleAcknowledged: boolean;
  bundleVersion: string | null;
  hasNewIntermediate: boolean;
  migrated: number;
  total: number;
  percent: number;
  waiting: boolean;
}

/** Per-cluster progress, clusters the step waits for first, then by name. */
export function clusterProgress(r: RotationLike): ClusterProgressRow[] {
  const waiting = new Set(r.progress.waitingFor);
  return r.progress.clusters
    .map((c) => ({
      cluster: c.cluster,
      bundleAcknowledged: atLeast(c.bundleVersion, r.awaitBundleVersion),
      bundleVersion: c.bundleVersion,
      hasNewIntermediate: c.hasNewIntermediate,
      migrated: c.certificates.migrated,
      total: c.certificates.total,
      percent: c.certificates.percent,
      waiting: waiting.has(c.cluster),
    }))
    .sort((a, b) => Number(b.waiting) - Number(a.waiting) || a.cluster.localeCompare(b.cluster));
}

/** Mesh-wide share of workload certificates on the new root (100 with none). */
export function overallMigration(r: RotationLike): number {
  let total = 0;
  let migrated = 0;
  for (const c of r.progress.clusters) {
    total += c.certificates.total;
    migrated += c.certificates.migrated;
  }
  return total === 0 ? 100 : Math.floor((migrated / total) * 1000) / 10;
}

/** What the current step waits for, in a sentence. */
export function waitingFor(r: RotationLike): string {
  if (!isOpen(r)) return r.step === "REVERSED" ? "Nothing: the rotation was reversed." : "Nothing: the rotation is complete.";
  const who = r.progress.waitingFor;
  const names = who.length === 0 ? null : who.join(", ");
  if (r.paused) return `Paused: the controller does not advance it until it is resumed${names ? ` (still waiting for ${names})` : ""}.`;
  if (r.progress.computedAt === null) return "The controller has not looked at the clusters yet.";
  if (!names) return "Nothing: the controller moves to the next step on its next pass.";
  const bundle = r.awaitBundleVersion ? `trust bundle v${r.awaitBundleVersion}` : "the current trust bundle";
  const reason: Record<RotationStep, string> = {
    ADD_ROOT: `to run ${bundle} (both roots) on every proxy`,
    ISSUE_INTERMEDIATES: `to run ${bundle} and hold an intermediate signed by the new authority`,
    MIGRATE_WORKLOADS: "to re-issue every workload certificate under the new root",
    REMOVE_OLD_ROOT: `to run ${bundle} (without the old root) on every proxy`,
    COMPLETED: "",
    REVERSED: "",
  };
  return `Waiting for ${names} ${reason[r.step]}.`;
}

/** What a reverse does from the current step: the confirmation dialog's text. */
export function reverseConsequences(step: RotationStep): string[] {
  if (step === "ADD_ROOT")
    return [
      "The new root leaves every trust bundle at once and is retired; the current root keeps signing.",
      "Nothing was issued under the new root yet, so no workload is affected.",
      "The rotation ends as “Reversed”; start a new one to try again.",
    ];
  return [
    "The old root signs again. The new root stays trusted (draining) until every cluster is back on the old one, so no certificate issued under it is refused meanwhile.",
    "Every cluster gets a new intermediate under the old root and re-issues its workload certificates: the same steps run again, backwards.",
    "The reverse cannot be undone; start a new rotation to try again.",
  ];
}

/** The start form's fields (import is optional: all empty generates a new root). */
export interface StartForm {
  certificatePem: string;
  keyPem: string;
  chainPem: string;
}

export type StartFormField = keyof StartForm;

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /^\s*-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+-----END (?:EC |RSA )?PRIVATE KEY-----\s*$/;

/** Splits pasted PEM text into certificate blocks. */
export function splitCertificates(text: string): string[] {
  return text.match(CERT_BLOCK) ?? [];
}

/**
 * Checks the start form the way the manager's schema does (PEM shape and
 * size) so mistakes show at the field before anything is sent. Empty means
 * "generate a new root"; a certificate without a key (or the reverse) is an error.
 */
export function validateStartForm(form: StartForm): { ok: true; input: { import?: { certificatePem: string; keyPem: string; chainPem: string[] } } } | { ok: false; errors: Partial<Record<StartFormField, string>> } {
  const cert = form.certificatePem.trim();
  const key = form.keyPem.trim();
  const chainText = form.chainPem.trim();
  if (!cert && !key && !chainText) return { ok: true, input: {} };
  const errors: Partial<Record<StartFormField, string>> = {};
  const certBlocks = splitCertificates(cert);
  if (!cert) errors.certificatePem = "Paste the CA certificate (PEM), or clear every field to generate a new root";
  else if (certBlocks.length !== 1 || certBlocks[0]!.length < cert.length - 2) errors.certificatePem = "Must be exactly one PEM certificate (-----BEGIN CERTIFICATE-----)";
  else if (cert.length > 65_536) errors.certificatePem = "Must be at most 65536 characters";
  if (!key) errors.keyPem = "Paste the CA's private key (PEM)";
  else if (!KEY_BLOCK.test(key)) errors.keyPem = "Must be an unencrypted PEM private key (PKCS#8, SEC1 or PKCS#1)";
  else if (key.length > 16_384) errors.keyPem = "Must be at most 16384 characters";
  const chain = splitCertificates(chainText);
  if (chainText && chain.length === 0) errors.chainPem = "Must be PEM certificates (-----BEGIN CERTIFICATE-----), nearest first";
  else if (chain.length > 8) errors.chainPem = "At most 8 certificates";
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, input: { import: { certificatePem: cert, keyPem: key, chainPem: chain } } };
}

/** The form field a manager field error names ("import.chainPem[1]" → chainPem); null when none. */
export function startFormFieldOf(path: string): StartFormField | null {
  const m = /^import\.(certificatePem|keyPem|chainPem)/.exec(path);
  return m ? (m[1] as StartFormField) : null;
}

/** A step as people say it ("Issue intermediates"), never the internal name. */
export function stepLabel(step: RotationStep): string {
  return step === "REVERSED" ? "Reversed" : (STEPS.find((s) => s.step === step)?.label ?? step);
}

/** Describes a history entry for people ("controller advanced to “Issue intermediates”"). */
export function describeHistory(h: { step: RotationStep; by: string; action: string }): string {
  const step = `“${stepLabel(h.step)}”`;
  switch (h.action) {
    case "start":
      return `${h.by} started the rotation`;
    case "advance":
      return `${h.by} advanced to ${step}`;
    case "pause":
      return `${h.by} paused it at ${step}`;
    case "resume":
      return `${h.by} resumed it at ${step}`;
    case "reverse":
      return `${h.by} reversed it (now ${step})`;
    default:
      return `${h.by}: ${h.action} (${step})`;
  }
}

/**
 * Whether a reverse confirmed in a dialog opened for `held` still means what
 * the dialog says, now that the rotation reads `live`: null when it does,
 * else why not (it moved on, ended, or another rotation is current).
 */
export function staleReverse(held: { id: string; step: RotationStep }, live: ({ id: string } & RotationLike) | null): string | null {
  if (!live || live.id !== held.id) return "This rotation is no longer the current one: close this dialog and look again.";
  if (!canReverse(live)) return `The rotation can no longer be reversed: it is now at “${stepLabel(live.step)}”.`;
  if (live.step !== held.step) return `The rotation moved on from “${stepLabel(held.step)}” to “${stepLabel(live.step)}” since this dialog opened: close it and look again.`;
  return null;
}
