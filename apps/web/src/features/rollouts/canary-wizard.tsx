"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { HTTPRouteSchema } from "@weft/mesh-model";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import { useSession } from "../shell/session.tsx";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { ErrorState, Loading, Panel } from "../ui/states.tsx";
import { draftToDocument, initialDraft, validateDraft, type RolloutDraft } from "./rollout-draft.ts";
import { rolloutHref } from "./rollout-links.ts";
import { suggestThresholds, type ThresholdSuggestion } from "./threshold-suggestions.ts";
import { LIVE_MINUTES, useWizardData } from "./use-wizard-data.ts";
import { guessVersions } from "./version-traffic.ts";
import { AnalysisStep, WebhooksStep } from "./wizard-analysis-step.tsx";
import { ReviewStep } from "./wizard-review-step.tsx";
import { StrategyStep } from "./wizard-strategy-step.tsx";
import { VersionsStep } from "./wizard-target-steps.tsx";

const STEPS = ["Service", "Versions", "Strategy", "Analysis", "Webhooks", "Review"] as const;

function parseService(text: string | null): { namespace: string; name: string } | null {
  const [namespace, name, ...rest] = (text ?? "").split("/");
  return namespace && name && rest.length === 0 ? { namespace, name } : null;
}

/** Step 1: the service, from the link that opened the wizard or typed as namespace/name. */
function ServiceStep({ service, onPick }: { service: { namespace: string; name: string } | null; onPick: (s: string) => void }) {
  const trpc = useTRPC();
  const [to] = useState(() => new Date());
  const services = useQuery(trpc.telemetry.stats.queryOptions({ from: new Date(to.getTime() - 3_600_000), to, groupBy: "service" }));
  const names = (services.data?.groups ?? []).map((g) => `${g.destination.namespace}/${g.destination.service}`).filter((s) => !s.startsWith("/"));
  const [text, setText] = useState(service ? `${service.namespace}/${service.name}` : "");
  return (
    <form
      className="row"
      onSubmit={(e) => {
        e.preventDefault();
        onPick(text.trim());
      }}
    >
      <label className="field">
        <span className="field-label">Service (namespace/name)</span>
        <input value={text} onChange={(e) => setText(e.target.value)} list="rollout-services" placeholder="shop/catalog" />
        <datalist id="rollout-services">
          {names.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        {text && !parseService(text) ? <span className="field-error">write it as namespace/name</span> : null}
      </label>
      <button type="submit" className="btn" disabled={!parseService(text)}>
        Use this service
      </button>
    </form>
  );
}

/**
 * The canary wizard: service → versions per cluster with live traffic →
 * strategy with the weight preview → thresholds pre-filled from stable's
 * last hour → webhooks → review (document, route diff, approvals) → start.
 * The draft is validated by the Rollout schema at every keystroke; Start
 * stays disabled while the manager would refuse it.
 */
export function CanaryWizard() {
  const trpc = useTRPC();
  const session = useSession();
  const router = useRouter();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  const service = parseService(params.get("service"));
  const [step, setStep] = useState(service ? 1 : 0);
  const [draft, setDraft] = useState<RolloutDraft>(() => initialDraft(service?.namespace ?? "default", service?.name ?? ""));
  const update = (patch: Partial<RolloutDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const data = useWizardData(service, draft.stable, draft.clusters);
  const issues = useMemo(() => validateDraft(draft), [draft]);

  // Versions: a first guess once they load (the operator may change it).
  const [guessed, setGuessed] = useState(false);
  useEffect(() => {
    if (guessed || !data.live.data || !data.endpoints.data) return;
    setGuessed(true);
    setDraft((d) => ({ ...d, ...guessVersions(data.rows) }));
  }, [guessed, data.live.data, data.endpoints.data, data.rows]);

  // Thresholds: pre-filled from the stable version's last hour, again whenever stable or the clusters change.
  const [suggestion, setSuggestion] = useState<ThresholdSuggestion | null>(null);
  const baselineKey = data.baseline ? `${data.baseline.version}|${draft.clusters.join(",")}|${data.baseline.requests}` : "";
  const [prefilledFor, setPrefilledFor] = useState("");
  useEffect(() => {
    if (!data.baseline || baselineKey === prefilledFor) return;
    const s = suggestThresholds(data.baseline);
    setPrefilledFor(baselineKey);
    setSuggestion(s);
    setDraft((d) => ({ ...d, successRateMin: s.successRateMin, p99MaxMs: s.p99MaxMs }));
  }, [data.baseline, baselineKey, prefilledFor]);

  const start = useMutation(
    trpc.rollouts.start.mutationOptions({
      onSuccess: async (res) => {
        await Promise.all([refreshAfterChange(queryClient, { queryKey: trpc.resources.pathKey() }), refreshAfterChange(queryClient, { queryKey: trpc.rollouts.pathKey() })]);
        if (res.status === "started") router.push(rolloutHref(params, draft.namespace, draft.name));
      },
    }),
  );
  const failure = start.error ? toApiFailure(start.error) : null;
  const canStart = session.canEdit(draft.namespace) && issues.length === 0 && !start.isPending;
  const routes = useMemo(() => (data.routes.data ?? []).flatMap((r) => (r.document && r.document.kind === "HTTPRoute" ? [HTTPRouteSchema.parse(r.document)] : [])), [data.routes.data]);
  const protectedNamespaces = useMemo(() => (data.protectedNamespaces.data ?? []).map((p) => p.namespace), [data.protectedNamespaces.data]);
  const running = (data.rollouts.data ?? []).find((r) => r.document?.kind === "Rollout" && (r.document.spec as { service: { name: string } }).service.name === draft.service);

  return (
    <>
      <div className="page-header">
        <h1>New rollout{service ? ` of ${service.namespace}/${service.name}` : ""}</h1>
        {service ? (
          <Link className="btn" href={hrefWithFilters("/services/detail", params, { service: `${service.namespace}/${service.name}` })}>
            Back to the service
          </Link>
        ) : null}
      </div>
      <nav aria-label="Wizard steps" className="tabs" role="tablist">
        {STEPS.map((label, i) => (
          <button key={label} type="button" role="tab" className="tab" aria-selected={i === step} disabled={i > 0 && !service} onClick={() => setStep(i)}>
            {i + 1}. {label}
          </button>
        ))}
      </nav>
      {running ? (
        <p className="notice notice-warning" role="status">
          {draft.namespace}/{draft.service} already has a Rollout ({running.name}); one service is rolled out by one Rollout at a time.{" "}
          <Link href={rolloutHref(params, running.namespace, running.name)}>Open it</Link>
        </p>
      ) : null}
      <Panel title={STEPS[step] ?? ""} id="wizard-step-heading">
        {step === 0 ? <ServiceStep service={service} onPick={(s) => router.push(hrefWithFilters("/rollouts/new", params, { service: s }))} /> : null}
        {step === 1 ? (
          data.endpoints.isError || data.live.isError ? (
            <ErrorState error={data.endpoints.error ?? data.live.error} title="Could not read the service's versions" />
          ) : data.endpoints.isPending || data.live.isPending ? (
            <Loading what="the versions and their live traffic" />
          ) : (
            <VersionsStep draft={draft} update={update} rows={data.rows} liveMinutes={LIVE_MINUTES} issues={issues} />
          )
        ) : null}
        {step === 2 ? <StrategyStep draft={draft} update={update} issues={issues} /> : null}
        {step === 3 ? <AnalysisStep draft={draft} update={update} issues={issues} suggestion={suggestion} baselineState={data.hour.isError ? "error" : data.hour.isPending ? "loading" : "ready"} /> : null}
        {step === 4 ? <WebhooksStep draft={draft} update={update} issues={issues} /> : null}
        {step === 5 ? <ReviewStep draft={draft} issues={issues} routes={routes} protectedNamespaces={protectedNamespaces} suggestion={suggestion} /> : null}
        <div className="row" style={{ marginTop: "1rem" }}>
          {step > 0 ? (
            <button type="button" className="btn" onClick={() => setStep(step - 1)}>
              Back
            </button>
          ) : null}
          {step > 0 && step < STEPS.length - 1 ? (
            <button type="button" className="btn btn-primary" onClick={() => setStep(step + 1)}>
              Next: {STEPS[step + 1]}
            </button>
          ) : null}
          {step === STEPS.length - 1 ? (
            <button type="button" className="btn btn-primary" disabled={!canStart} onClick={() => start.mutate({ document: draftToDocument(draft), message: `start rollout ${draft.namespace}/${draft.name}: ${draft.stable} → ${draft.canary}` })}>
              Start rollout
            </button>
          ) : null}
        </div>
        {start.data?.status === "pending-approval" && start.data.change?.changeRequest ? (
          <p className="notice notice-warning" role="status" data-testid="start-pending">
            Filed as change request <Link href={`/change-requests?id=${start.data.change.changeRequest.id}`}>{start.data.change.changeRequest.id.slice(0, 8)}</Link>: once an admin approves it, start the stored rollout with weft rollout start.
          </p>
        ) : null}
        {failure ? (
          <div className="field-error" role="alert" data-testid="start-error">
            {failure.message}
            {failure.fieldErrors.length > 0 ? (
              <ul>
                {failure.fieldErrors.map((f, i) => (
                  <li key={i}>
                    <code>{f.path}</code>: {f.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
      </Panel>
    </>
  );
}
