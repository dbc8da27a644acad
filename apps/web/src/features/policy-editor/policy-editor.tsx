"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatPath, isKind, KIND_SCHEMAS, validateResource, type Kind } from "@weft/mesh-model";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useMemo, useState } from "react";
import { z } from "zod";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import type { ChangeResultView } from "../../trpc/types.ts";
import { newPolicyFor, SERVICE_POLICY_KINDS, type ServicePolicyKind } from "../policies/policy-catalog.ts";
import { RolloutOwnedRoute } from "../rollouts/rollout-owned-route.tsx";
import { PredictedImpactPanel } from "../explain/predicted-impact-panel.tsx";
import { SloDryRun } from "../slo/slo-dry-run.tsx";
import { readDraft } from "../policy-proposal/policy-draft.ts";
import { needsApproval } from "../shell/permissions.ts";
import { useSession } from "../shell/session.tsx";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { ErrorState, Loading } from "../ui/states.tsx";
import { ChangeResultPanel } from "./change-result.tsx";
import { FieldErrorIndex, type PathMessage } from "./field-paths.ts";
import { HistoryPanel } from "./history-panel.tsx";
import { buildFormModel, shownPaths, type FormNode, type JsonSchema } from "./schema-form-model.ts";
import { SchemaForm } from "./schema-form.tsx";
import { fromYaml, toYaml } from "./yaml-codec.ts";
import { YamlCodeEditor } from "./yaml-code-editor.tsx";

const models = new Map<Kind, FormNode>();
/** The form model of a kind, from its zod schema (input form: fields with defaults are optional). */
export function formModelOf(kind: Kind): FormNode {
  let model = models.get(kind);
  if (!model) {
    model = buildFormModel(z.toJSONSchema(KIND_SCHEMAS[kind] as z.ZodType, { io: "input", unrepresentable: "any" }) as JsonSchema, kind);
    models.set(kind, model);
  }
  return model;
}

function namespaceOfValue(value: unknown): string {
  const ns = (value as { metadata?: { namespace?: unknown } } | null)?.metadata?.namespace;
  return typeof ns === "string" && ns ? ns : "default";
}

function nameOfValue(value: unknown): string {
  const name = (value as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === "string" ? name : "";
}

type Tab = "form" | "yaml";

function Editor({
  kind,
  initial,
  existing,
  result,
  setResult,
  before,
}: {
  kind: Kind;
  initial: unknown;
  /** The stored document this edit starts from, when it differs from `initial` (a wizard's draft of an existing resource). */
  before?: unknown;
  existing: { namespace: string; name: string } | null;
  /** Kept by the page: an apply or rollback reloads the editor with the new revision, and its result stays in view. */
  result: ChangeResultView | null;
  setResult: (r: ChangeResultView | null) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const session = useSession();
  const router = useRouter();
  const params = useSearchParams();
  const [value, setValue] = useState<unknown>(initial);
  const [tab, setTab] = useState<Tab>("form");
  const [yamlText, setYamlText] = useState("");
  const [yamlError, setYamlError] = useState<{ message: string; line: number | null } | null>(null);
  const [message, setMessage] = useState("");
  const model = formModelOf(kind);
  const namespace = namespaceOfValue(value);
  const canEdit = session.canEdit(namespace);
  const protectedNamespaces = useQuery(trpc.namespaces.protected.queryOptions(undefined, { staleTime: 30_000 }));
  // Mesh-wide kinds have no namespace to protect.
  const scoped = (value as { metadata?: { namespace?: unknown } } | null)?.metadata?.namespace !== undefined;
  const forApproval = needsApproval(session.grants, scoped ? namespace : null, (protectedNamespaces.data ?? []).map((p) => p.namespace));
  // Until the protected namespaces are known the button cannot say what it will do, so it waits
  // (if the lookup fails it says "Apply" and the manager still routes the change to approval).
  const approvalUnknown = scoped && protectedNamespaces.isPending;

  // Client-side validation with the same zod schema the manager uses.
  const clientIssues = useMemo(() => {
    const r = validateResource(value);
    return r.ok ? [] : r.issues;
  }, [value]);

  const apply = useMutation(
    trpc.resources.applyDocuments.mutationOptions({
      onSuccess: async (res) => {
        setResult(res);
        if (!res.dryRun && (res.status === "applied" || res.status === "pending-approval")) {
          await refreshAfterChange(queryClient, { queryKey: trpc.resources.pathKey() });
          if (!existing && res.status === "applied") router.replace(hrefWithFilters("/policies/edit", params, { kind, namespace, name: nameOfValue(value) }));
        }
      },
    }),
  );
  const failure = apply.error ? toApiFailure(apply.error) : null;

  const errors = useMemo(() => {
    const list: PathMessage[] = clientIssues.map((i) => ({ path: i.path, message: i.message }));
    if (failure) for (const f of failure.fieldErrors) list.push({ path: f.path, message: f.message });
    if (result) {
      for (const i of result.validation.issues) list.push({ path: i.path, message: i.message });
      for (const f of result.findings) if (f.path && f.resource.name === nameOfValue(value)) list.push({ path: f.path, message: `${f.code}: ${f.message}`, severity: f.severity });
    }
    // The same message twice (client and server agree) is said once.
    const seen = new Set<string>();
    return new FieldErrorIndex(list.filter((e) => (seen.has(`${formatPath([e.path])}|${e.message}`) ? false : (seen.add(`${formatPath([e.path])}|${e.message}`), true))));
  }, [clientIssues, failure, result, value]);
  const unplaced = errors.unplaced(shownPaths(model, value, [], new Set(), formatPath));

  const onChange = (next: unknown) => {
    setValue(next);
    setResult(null);
    apply.reset();
  };
  const switchTab = (next: Tab) => {
    if (next === tab) return;
    if (next === "yaml") {
      setYamlText(toYaml(value));
      setYamlError(null);
    } else if (yamlError) return; // stay: the text cannot become a form yet
    setTab(next);
  };
  const onYaml = (text: string) => {
    setYamlText(text);
    const parsed = fromYaml(text);
    if (parsed.ok) {
      setYamlError(null);
      onChange(parsed.value);
    } else setYamlError({ message: parsed.message, line: parsed.line });
  };
  const submit = (dryRun: boolean) => apply.mutate({ documents: [value], dryRun, message: message.trim() });
  // Every revision says why: the message is recorded with it and shown in history, audit and replay.
  const messageMissing = message.trim() === "";

  const tabs: { id: Tab; label: string }[] = [
    { id: "form", label: "Form" },
    { id: "yaml", label: "YAML" },
  ];

  return (
    <div className="editor-layout">
      <div className="panel">
        {!canEdit ? (
          <p className="notice" data-testid="read-only">
            Read only: your role ({session.me.user.role.toLowerCase()}) cannot change resources in namespace {namespace}.
          </p>
        ) : null}
        <div role="tablist" aria-label="Editor mode" className="tabs">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`tabpanel-${t.id}`}
              className="tab"
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => switchTab(t.id)}
              onKeyDown={(e) => {
                if (e.key === "ArrowRight" || e.key === "ArrowLeft") switchTab(tab === "form" ? "yaml" : "form");
              }}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`}>
          {tab === "form" ? (
            <SchemaForm model={model} value={value} onChange={onChange} errors={errors} readOnly={!canEdit} />
          ) : (
            <div className="stack">
              <span className="field-label" id="yaml-label">
                {kind} as YAML <span className="muted">(Ctrl+Space completes keys and values from the schema)</span>
              </span>
              <YamlCodeEditor text={yamlText} onChange={onYaml} problems={yamlError ? [] : errors.all} model={model} readOnly={!canEdit} labelledBy="yaml-label" describedBy={yamlError ? "yaml-error" : undefined} />
              {yamlError ? (
                <p className="field-error" id="yaml-error" role="alert">
                  {yamlError.line !== null ? `Line ${yamlError.line}: ` : ""}
                  {yamlError.message}
                </p>
              ) : null}
              {errors.all.length > 0 && !yamlError ? (
                <ul className="field-error" aria-label="Problems">
                  {errors.all.map((e, i) => (
                    <li key={i}>
                      <code>{e.path || "(document)"}</code>: {e.message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </div>
          )}
        </div>
        {unplaced.length > 0 && tab === "form" ? (
          <ul className="field-error" aria-label="Problems not shown at a field" data-testid="unplaced-errors">
            {unplaced.map((e, i) => (
              <li key={i}>
                <code>{e.path || "(document)"}</code>: {e.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>

      <div className="stack">
        <section className="panel stack" aria-labelledby="apply-heading">
          <h2 id="apply-heading">Review and apply</h2>
          <p className="muted" data-testid="client-validation">
            {clientIssues.length === 0 ? "Valid: the schema accepts this document." : `${clientIssues.length} problem(s) to fix before applying.`}
          </p>
          {canEdit ? (
            <>
              {forApproval ? (
                <p className="notice notice-warning" data-testid="approval-notice">
                  Namespace {namespace} is protected: your change goes to an admin for approval instead of applying.
                </p>
              ) : null}
              <label className="field">
                <span className="field-label">Change message (required)</span>
                <input
                  value={message}
                  onChange={(e) => setMessage(e.target.value)}
                  placeholder="Why (recorded with the revision)"
                  maxLength={2000}
                  required
                  aria-required="true"
                  aria-describedby="change-message-hint"
                  data-testid="change-message"
                />
                <span id="change-message-hint" className="muted">
                  {messageMissing ? "Say why before applying: it is recorded with the revision." : "Recorded with the revision."}
                </span>
              </label>
              <div className="row">
                <button type="button" className="btn" onClick={() => submit(true)} disabled={apply.isPending || Boolean(yamlError)} data-testid="dry-run">
                  Preview (dry run)
                </button>
                <button type="button" className="btn btn-primary" onClick={() => submit(false)} disabled={apply.isPending || approvalUnknown || clientIssues.length > 0 || Boolean(yamlError) || messageMissing} data-testid="apply">
                  {approvalUnknown ? "Checking protection…" : forApproval ? "Submit for approval" : "Apply"}
                </button>
              </div>
            </>
          ) : null}
          {apply.isPending ? <p role="status">Sending to the manager…</p> : null}
          {failure ? (
            <div role="alert" className="state state-error" data-testid="apply-error">
              <p className="state-title">{failure.kind === "forbidden" ? "Refused: you do not have permission for this change" : "The manager did not accept the change"}</p>
              <p className="state-detail">{failure.message}</p>
            </div>
          ) : null}
          {result ? <ChangeResultPanel result={result} /> : null}
          {result?.dryRun && kind === "HTTPRoute" ? <PredictedImpactPanel before={before ?? (existing ? initial : null)} after={value} /> : null}
          {kind === "ServiceLevelObjective" ? <SloDryRun value={value} /> : null}
        </section>
        {existing ? <HistoryPanel resource={{ kind, ...existing }} canEdit={canEdit} onResult={(r) => { setResult(r); }} /> : null}
      </div>
    </div>
  );
}

/** Loads the resource named in the URL (or a template for a new one) and edits it. */
export function PolicyEditorPage() {
  const params = useSearchParams();
  const trpc = useTRPC();
  const kindParam = params.get("kind") ?? "";
  // Mesh-wide kinds (Mesh) come with an empty namespace: the manager ignores it, but refuses an empty one.
  const namespace = params.get("namespace") || "default";
  const name = params.get("name");
  const service = params.get("service");
  const kind = isKind(kindParam) ? kindParam : null;
  const [result, setResult] = useState<ChangeResultView | null>(null);
  // A document handed over in this tab (a policy proposed from traffic): edited as a new one.
  const draftId = params.get("draft");
  const [draft] = useState(() => (draftId && typeof window !== "undefined" ? readDraft(window.sessionStorage, draftId) : null));
  const existing = useQuery(trpc.resources.get.queryOptions({ kind: (kind ?? "HTTPRoute") as "HTTPRoute", namespace, name: name ?? "" }, { enabled: Boolean(kind && name) }));

  if (!kind) return <ErrorState error={new Error(`Unknown kind "${kindParam}". Open the editor from the Policies page.`)} title="Nothing to edit" />;
  let body;
  if (name) {
    if (existing.isPending) body = <Loading what={`${kind} ${namespace}/${name}`} />;
    else if (existing.isError || !existing.data)
      // A deleted resource cannot be edited, but its history (and the deletion's diff) can be read.
      body = (
        <>
          <ErrorState error={existing.error} title={`Could not load ${kind} ${namespace}/${name}`} onRetry={() => void existing.refetch()} />
          <p>
            <Link href={hrefWithFilters("/policies/history", params, { kind, namespace, name, ...(params.get("revision") ? { revision: params.get("revision")! } : {}) })} data-testid="open-history">
              Its history, also if it was deleted
            </Link>
          </p>
        </>
      );
    else if (!existing.data.document) body = <ErrorState error={new Error("This resource was deleted. Restore it from its history.")} title="Deleted" />;
    else if (draftId && draft && draft.kind === kind)
      // A wizard's draft of this resource: edited in place, its diff and impact against the stored revision.
      body = <Editor key={`${kind}/${namespace}/${name}/${existing.data.revision}/draft/${draftId}`} kind={kind} initial={draft.document} before={existing.data.document} existing={{ namespace, name }} result={result} setResult={setResult} />;
    else body = <Editor key={`${kind}/${namespace}/${name}/${existing.data.revision}`} kind={kind} initial={existing.data.document} existing={{ namespace, name }} result={result} setResult={setResult} />;
  } else if (draftId) {
    if (!draft || draft.kind !== kind) body = <ErrorState error={new Error("The proposed document is gone: it lives only in the browser tab that opened it. Propose it again from the service page.")} title="No draft to edit" />;
    else body = <Editor key={`draft/${draftId}`} kind={kind} initial={draft.document} existing={null} result={result} setResult={setResult} />;
  } else {
    const [svcNs, svcName] = service?.includes("/") ? service.split("/") : [namespace, service ?? "my-service"];
    const template = (SERVICE_POLICY_KINDS as readonly string[]).includes(kind)
      ? newPolicyFor(kind as ServicePolicyKind, { namespace: svcNs ?? namespace, name: svcName ?? "my-service" })
      : { apiVersion: "weft.io/v1alpha1", kind, metadata: { name: "", namespace } };
    body = <Editor key={`new/${kind}`} kind={kind} initial={template} existing={null} result={result} setResult={setResult} />;
  }
  return (
    <>
      <div className="page-header">
        <h1>
          {name ? `${kind} ${params.get("namespace") ? `${namespace}/` : ""}${name}` : draftId ? `Proposed ${kind}` : `New ${kind}`}
        </h1>
        <Link href={hrefWithFilters("/policies", params)}>All policies</Link>
      </div>
      {name ? <RolloutOwnedRoute kind={kind} namespace={namespace} name={name} /> : null}
      {body}
    </>
  );
}
