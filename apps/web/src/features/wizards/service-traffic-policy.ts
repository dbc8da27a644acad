// The TrafficPolicy the timeout/retry and circuit-breaking wizards edit: the
// one policy that targets the whole service (no version, no port subset), or
// a new one named as the policy catalog names them (`<service>-traffic`).

/** The parts of a TrafficPolicy document the wizards read and rewrite; everything else is carried along. */
export interface PolicyDoc {
  apiVersion: string;
  kind: "TrafficPolicy";
  metadata: { name: string; namespace: string; [k: string]: unknown };
  spec: { targetRef: { name: string; namespace?: string; version?: string; port?: number }; [k: string]: unknown };
}

/** The stored policy for the whole of `service`, or null. Deleted rows (no document) are skipped. */
export function policyForService(rows: readonly { kind: string; document: unknown }[], service: { namespace: string; name: string }): PolicyDoc | null {
  for (const row of rows) {
    const doc = row.document as PolicyDoc | null;
    if (row.kind !== "TrafficPolicy" || !doc) continue;
    const t = doc.spec.targetRef;
    if (t.name === service.name && (t.namespace ?? doc.metadata.namespace) === service.namespace && t.version === undefined && t.port === undefined) return doc;
  }
  return null;
}

/** A new policy for `service`, named `<service>-traffic` unless that name is taken (then `-2`, `-3`, …). */
export function newPolicyFor(rows: readonly { kind: string; namespace: string; name: string }[], service: { namespace: string; name: string }): PolicyDoc {
  const taken = new Set(rows.filter((r) => r.kind === "TrafficPolicy" && r.namespace === service.namespace).map((r) => r.name));
  let name = `${service.name}-traffic`;
  for (let n = 2; taken.has(name); n++) name = `${service.name}-traffic-${n}`;
  return { apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name, namespace: service.namespace }, spec: { targetRef: { name: service.name } } };
}

/** `spec` with `key` set to `value`, or without `key` when `value` is undefined. */
export function withSpecField(policy: PolicyDoc, key: string, value: unknown): PolicyDoc {
  const spec = { ...policy.spec };
  if (value === undefined) delete spec[key];
  else spec[key] = value;
  return { ...policy, spec };
}
