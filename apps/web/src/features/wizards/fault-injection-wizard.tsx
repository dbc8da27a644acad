"use client";

import { useQuery } from "@tanstack/react-query";
import { GRPC_STATUS_CODES } from "@weft/mesh-model";
import { useMemo, useState, type ReactNode } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { Field, NumberInput } from "../rollouts/wizard-fields.tsx";
import { faultDraftOf, faultedRoute, faultFields, faultLocation, faultPath, faultSummary, type FaultDraft, type GrpcStatusName } from "./fault-injection.ts";
import type { RouteDoc } from "./traffic-shift.ts";
import { WizardIssues } from "./wizard-issues.ts";
import { useOpenReview, WizardShell } from "./wizard-shell.tsx";
import styles from "./wizards.module.css";

const GRPC_NAMES = Object.keys(GRPC_STATUS_CODES) as GrpcStatusName[];

/**
 * Inject a delay and/or an abort into a share of the requests to a service,
 * optionally only those with a header: the FaultInjection filter of the
 * service's HTTPRoute (its catch-all rule). Fields are checked with the
 * schema the manager uses; Review opens the ordinary editor (YAML, diff, dry
 * run with the requests the fault would have hit), and reopening starts from
 * the stored fault.
 */
export function FaultInjectionWizard({ namespace, service }: { namespace: string; service: string }) {
  const trpc = useTRPC();
  const existing = useQuery(trpc.resources.get.queryOptions({ kind: "HTTPRoute", namespace, name: service }, { retry: false }));
  const route = existing.data?.document ? (existing.data.document as unknown as RouteDoc) : null;
  const initial = useMemo(() => faultDraftOf(route), [route]);
  const [edited, setEdited] = useState<FaultDraft | null>(null);
  const draft = edited ?? initial;
  const document = useMemo(() => faultedRoute(route, { namespace, name: service }, draft), [route, namespace, service, draft]);
  const issues = useMemo(() => WizardIssues.of(document, faultFields(route)), [document, route]);
  const openReview = useOpenReview();
  if (existing.isPending) return null;
  const base = faultPath(route);
  const at = (field: string) => issues.at(`${base}.${field}`);
  const set = (change: (d: FaultDraft) => FaultDraft) => setEdited(change(draft));
  const removing = !draft.delay.enabled && !draft.abort.enabled && faultLocation(route).exists;
  return (
    <WizardShell
      title="Inject a fault"
      headingId="fault-heading"
      testId="fault-wizard"
      intro={`${route ? `Edits the fault of the catch-all rule of HTTPRoute ${namespace}/${service}` : `Creates HTTPRoute ${namespace}/${service}`}, for resilience testing: callers see the delay or the error as if ${service} gave it.`}
      problems={issues.unplaced()}
      blocked={!issues.ok}
      onReview={() => openReview(document as never, route ? service : null)}
    >
      <ToggleGroup label="Delay requests" testId="fault-delay-enabled" enabled={draft.delay.enabled} onToggle={(enabled) => set((d) => ({ ...d, delay: { ...d.delay, enabled } }))}>
        <div className={styles.fields}>
          <Field label="Delay by" help='A duration: "250ms", "2s", "1m".' error={at("delay.fixedDelay")}>
            <input value={draft.delay.fixedDelay} aria-invalid={at("delay.fixedDelay") ? true : undefined} onChange={(e) => set((d) => ({ ...d, delay: { ...d.delay, fixedDelay: e.target.value } }))} data-testid="fault-delay" />
          </Field>
          <Field label="Share of requests delayed (%)" error={at("delay.percentage")}>
            <NumberInput value={draft.delay.percentage} min={0} max={100} step={0.1} invalid={Boolean(at("delay.percentage"))} onChange={(n) => set((d) => ({ ...d, delay: { ...d.delay, percentage: n } }))} />
          </Field>
        </div>
      </ToggleGroup>
      <ToggleGroup label="Abort requests with an error" testId="fault-abort-enabled" enabled={draft.abort.enabled} onToggle={(enabled) => set((d) => ({ ...d, abort: { ...d.abort, enabled } }))}>
        <div className={styles.fields}>
          <Field label="Answer with">
            <select value={draft.abort.status} onChange={(e) => set((d) => ({ ...d, abort: { ...d.abort, status: e.target.value as "http" | "grpc" } }))}>
              <option value="http">an HTTP status</option>
              <option value="grpc">a gRPC status</option>
            </select>
          </Field>
          {draft.abort.status === "http" ? (
            <Field label="HTTP status" error={at("abort.httpStatus")}>
              <NumberInput value={draft.abort.httpStatus} min={200} max={599} invalid={Boolean(at("abort.httpStatus"))} onChange={(n) => set((d) => ({ ...d, abort: { ...d.abort, httpStatus: n } }))} />
            </Field>
          ) : (
            <Field label="gRPC status" error={at("abort.grpcStatus")}>
              <select value={draft.abort.grpcStatus} onChange={(e) => set((d) => ({ ...d, abort: { ...d.abort, grpcStatus: e.target.value as GrpcStatusName } }))}>
                {GRPC_NAMES.map((g) => (
                  <option key={g} value={g}>
                    {g}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <Field label="Share of requests aborted (%)" error={at("abort.percentage")}>
            <NumberInput value={draft.abort.percentage} min={0} max={100} step={0.1} invalid={Boolean(at("abort.percentage"))} onChange={(n) => set((d) => ({ ...d, abort: { ...d.abort, percentage: n } }))} />
          </Field>
        </div>
      </ToggleGroup>
      <ToggleGroup label="Only requests with a header" testId="fault-header-enabled" enabled={draft.header.enabled} onToggle={(enabled) => set((d) => ({ ...d, header: { ...d.header, enabled } }))}>
        <div className={styles.fields}>
          <Field label="Header name" error={at("headers[0].name")}>
            <input value={draft.header.name} aria-invalid={at("headers[0].name") ? true : undefined} onChange={(e) => set((d) => ({ ...d, header: { ...d.header, name: e.target.value } }))} />
          </Field>
          <Field label="Match">
            <select value={draft.header.type} onChange={(e) => set((d) => ({ ...d, header: { ...d.header, type: e.target.value as "Exact" | "RegularExpression" } }))}>
              <option value="Exact">equals</option>
              <option value="RegularExpression">matches the regular expression</option>
            </select>
          </Field>
          <Field label="Header value" error={at("headers[0].value") ?? at("headers[0].type")}>
            <input value={draft.header.value} aria-invalid={at("headers[0].value") ? true : undefined} onChange={(e) => set((d) => ({ ...d, header: { ...d.header, value: e.target.value } }))} />
          </Field>
        </div>
      </ToggleGroup>
      <p data-testid="fault-summary">{removing ? `Review removes the fault from HTTPRoute ${namespace}/${service}.` : faultSummary(draft, `${namespace}/${service}`)}</p>
    </WizardShell>
  );
}

/** A part of the fault the operator turns on with its checkbox; its fields show only while it is on. */
function ToggleGroup({ label, testId, enabled, onToggle, children }: { label: string; testId: string; enabled: boolean; onToggle: (enabled: boolean) => void; children: ReactNode }) {
  return (
    <fieldset className={styles.group}>
      <legend>
        <label className={styles.check}>
          <input type="checkbox" checked={enabled} onChange={(e) => onToggle(e.target.checked)} data-testid={testId} /> {label}
        </label>
      </legend>
      {enabled ? children : null}
    </fieldset>
  );
}
