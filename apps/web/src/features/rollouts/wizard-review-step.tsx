"use client";

import { useMutation } from "@tanstack/react-query";
import { HTTPRouteSchema, RolloutSchema, type HTTPRoute, type ValidationIssue } from "@weft/mesh-model";
import { useEffect, useMemo } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { TextDiff } from "../policy-editor/change-result.tsx";
import { toYaml } from "../policy-editor/yaml-codec.ts";
import { useSession } from "../shell/session.tsx";
import { ErrorState, Loading } from "../ui/states.tsx";
import { firstRoute } from "./first-route.ts";
import { draftToDocument, type RolloutDraft } from "./rollout-draft.ts";
import type { ThresholdSuggestion } from "./threshold-suggestions.ts";

const SEVERITY_TONE = { error: "critical", warning: "warning", info: "info" } as const;

/** Who must act for this rollout to start and to finish, in words. */
function approvalNeeds(draft: RolloutDraft, opts: { canEdit: boolean; isAdmin: boolean; protectedNamespace: boolean }): string[] {
  const out: string[] = [];
  if (!opts.canEdit) out.push(`You cannot start rollouts in ${draft.namespace}: an operator of ${draft.namespace} (or an admin) can.`);
  else if (opts.protectedNamespace && !opts.isAdmin) out.push(`${draft.namespace} is a protected namespace: Start files a change request, and the rollout begins once an admin approves it.`);
  else out.push(`You may start this rollout (operator in ${draft.namespace}).`);
  if (draft.strategy === "canary" && draft.approvalBeforePromotion) out.push(`The rollout stops before promotion until an operator of ${draft.namespace} approves it on the rollout page.`);
  if (draft.promotion === "Manual") out.push(`Promotion is manual: an operator of ${draft.namespace} approves it on the rollout page or with weft rollout promote.`);
  for (const w of draft.webhooks) if (w.type.startsWith("confirm-")) out.push(`Webhook ${w.name} (${w.type}) must answer 2xx before traffic moves on.`);
  out.push("Every step writes the route through the same change path as a person: revision, audit entry, author rollout controller.");
  return out;
}

/** Step 6: the Rollout document, the manager's verdict on it, the route diff of the first step, and who must act. */
export function ReviewStep({ draft, issues, routes, protectedNamespaces, suggestion }: { draft: RolloutDraft; issues: ValidationIssue[]; routes: readonly HTTPRoute[]; protectedNamespaces: readonly string[]; suggestion: ThresholdSuggestion | null }) {
  const trpc = useTRPC();
  const session = useSession();
  const document = useMemo(() => draftToDocument(draft), [draft]);
  const yaml = useMemo(() => toYaml(document), [document]);
  const first = useMemo(() => {
    const parsed = RolloutSchema.safeParse(document);
    return parsed.success ? firstRoute(parsed.data, routes) : null;
  }, [document, routes]);
  const rolloutDry = useMutation(trpc.resources.applyDocuments.mutationOptions());
  const routeDry = useMutation(trpc.resources.applyDocuments.mutationOptions());
  const canEdit = session.canEdit(draft.namespace);
  const { mutate: dryRunRollout } = rolloutDry;
  const { mutate: dryRunRoute } = routeDry;
  useEffect(() => {
    if (!canEdit || issues.length > 0) return;
    dryRunRollout({ documents: [document], dryRun: true });
  }, [yaml, canEdit, issues.length, document, dryRunRollout]);
  const routeJson = first ? JSON.stringify(first.route) : "";
  useEffect(() => {
    if (!canEdit || !routeJson) return;
    dryRunRoute({ documents: [HTTPRouteSchema.parse(JSON.parse(routeJson))], dryRun: true });
  }, [routeJson, canEdit, dryRunRoute]);
  const needs = approvalNeeds(draft, { canEdit, isAdmin: session.isAdmin, protectedNamespace: protectedNamespaces.includes(draft.namespace) });
  const routeChange = routeDry.data?.changes[0];
  return (
    <div className="stack">
      {issues.length > 0 ? (
        <div role="alert" className="notice notice-warning" data-testid="wizard-issues">
          <strong>The manager would refuse this rollout:</strong>
          <ul>
            {issues.map((i, n) => (
              <li key={n}>
                <code>{i.path || "(document)"}</code>: {i.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="grid-2">
        <section className="stack">
          <h3>Rollout {draft.namespace}/{draft.name}</h3>
          <pre className="diff" data-testid="rollout-yaml" tabIndex={0} aria-label="The Rollout document">
            {yaml}
          </pre>
          <p data-testid="review-analysis">
            Every {draft.interval}: canary success ≥ {draft.successRateMin} %{draft.maxDropVsStable !== null ? ` and at most ${draft.maxDropVsStable} points below stable` : ""}
            {draft.p99MaxMs !== null ? `, p99 ≤ ${draft.p99MaxMs} ms${draft.latencyAdvisory ? " (advisory)" : ""}` : ""}; at least {draft.minRequests} canary requests, else the step holds; {draft.threshold} failed checks roll back.
            {suggestion ? <span className="muted"> Thresholds {suggestion.explanation}.</span> : null}
          </p>
          <h4>Analyzer findings</h4>
          {rolloutDry.isPending ? <Loading what="the manager's dry run" /> : null}
          {rolloutDry.isError ? <ErrorState error={rolloutDry.error} title="The dry run failed" /> : null}
          {rolloutDry.data ? (
            rolloutDry.data.findings.length === 0 && rolloutDry.data.validation.issues.length === 0 ? (
              <p className="muted" data-testid="rollout-findings">
                No findings: the service, both versions and the clusters exist, and no other rollout drives this service.
              </p>
            ) : (
              <ul data-testid="rollout-findings">
                {rolloutDry.data.validation.issues.map((i, n) => (
                  <li key={`v${n}`}>
                    <span className="badge" data-tone="critical">
                      invalid
                    </span>{" "}
                    <code>{i.path}</code>: {i.message}
                  </li>
                ))}
                {rolloutDry.data.findings.map((f, n) => (
                  <li key={n}>
                    <span className="badge" data-tone={SEVERITY_TONE[f.severity]}>
                      {f.severity}
                    </span>{" "}
                    {f.code} <code>{f.path}</code>: {f.message}
                  </li>
                ))}
              </ul>
            )
          ) : null}
        </section>
        <section className="stack">
          <h3>The route change it makes first</h3>
          {first ? (
            <>
              <p className="muted">
                {first.step}: HTTPRoute {draft.namespace}/{first.route.metadata.name} {first.creates ? "is created (the service has no route yet)" : "is rewritten"}; other clusters and waves stay on {draft.stable}.
              </p>
              {first.ambiguous.length > 0 ? <p className="field-error">The service has several routes ({first.ambiguous.join(", ")}): name the one the rollout drives.</p> : null}
              {routeDry.isPending ? <Loading what="the route diff" /> : null}
              {routeDry.isError ? <ErrorState error={routeDry.error} title="Could not preview the route" /> : null}
              {routeChange?.textDiff ? <TextDiff patch={routeChange.textDiff} label={`HTTPRoute/${first.route.metadata.name}`} /> : null}
              {!canEdit ? (
                <pre className="diff" data-testid="route-yaml">
                  {toYaml(first.route)}
                </pre>
              ) : null}
            </>
          ) : (
            <p className="muted">No step moves traffic yet (fix the fields marked above).</p>
          )}
          <h3>Permissions and approvals</h3>
          <ul data-testid="rollout-approvals">
            {needs.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </section>
      </div>
    </div>
  );
}
