"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { NotificationChannelType, ValidationIssue } from "@weft/mesh-model";
import { useState, type FormEvent } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import { useSession } from "../shell/session.tsx";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { CHANNEL_FIELDS, channelInputOf } from "./channel-form.ts";

const TYPES = Object.keys(CHANNEL_FIELDS) as NotificationChannelType[];
const SEVERITIES = ["page", "ticket", "info"] as const;

function NewChannel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [type, setType] = useState<NotificationChannelType>("WEBHOOK");
  const [name, setName] = useState("");
  const [severities, setSeverities] = useState<string[]>([]);
  const [namespaces, setNamespaces] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [issues, setIssues] = useState<ValidationIssue[]>([]);
  const create = useMutation(trpc.channels.create.mutationOptions({ onSuccess: () => refreshAfterChange(queryClient, { queryKey: trpc.channels.pathKey() }) }));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const r = channelInputOf({ type, name, severities, namespaces, values });
    setIssues(r.ok ? [] : r.issues);
    if (r.ok) create.mutate(r.input);
  };
  const failure = create.error ? toApiFailure(create.error) : null;
  const errorAt = (path: string) => [...issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`)), ...(failure?.fieldErrors.filter((f) => f.path === path) ?? [])][0]?.message;
  return (
    <Panel title="Add a channel" id="new-channel-heading">
      <form className="stack" onSubmit={onSubmit} aria-label="Add a channel">
        <div className="toolbar">
          <label>
            Type
            <select value={type} onChange={(e) => (setType(e.target.value as NotificationChannelType), setValues({}))}>
              {TYPES.map((t) => (
                <option key={t} value={t}>
                  {CHANNEL_FIELDS[t].label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} aria-invalid={errorAt("name") ? true : undefined} />
            {errorAt("name") ? <span className="field-error">{errorAt("name")}</span> : null}
          </label>
          <label>
            Namespaces (comma-separated; empty: all)
            <input value={namespaces} onChange={(e) => setNamespaces(e.target.value)} />
          </label>
          <fieldset>
            <legend>Severities (none checked: all)</legend>
            {SEVERITIES.map((s) => (
              <label key={s} className="inline">
                <input type="checkbox" checked={severities.includes(s)} onChange={(e) => setSeverities(e.target.checked ? [...severities, s] : severities.filter((x) => x !== s))} /> {s}
              </label>
            ))}
          </fieldset>
        </div>
        <div className="toolbar">
          {CHANNEL_FIELDS[type].fields.map((f) => {
            const path = `${f.in}.${f.key}`;
            return (
              <label key={f.key}>
                {f.label}
                <input type={f.secret ? "password" : "text"} autoComplete="off" placeholder={f.placeholder} value={values[f.key] ?? ""} onChange={(e) => setValues({ ...values, [f.key]: e.target.value })} aria-invalid={errorAt(path) ? true : undefined} />
                {errorAt(path) ? <span className="field-error">{errorAt(path)}</span> : null}
              </label>
            );
          })}
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          Add channel
        </button>
        {failure && failure.fieldErrors.length === 0 ? (
          <p className="field-error" role="alert">
            {failure.message}
          </p>
        ) : null}
        {create.data?.signingSecret ? (
          <div className="stack" data-testid="signing-secret">
            <p>The channel signs every message with this secret. Give it to the receiver now: it is shown only once.</p>
            <pre className="token-secret">{create.data.signingSecret}</pre>
          </div>
        ) : null}
      </form>
    </Panel>
  );
}

function Deliveries({ channelId }: { channelId: string | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = useQuery(trpc.channels.deliveries.queryOptions(channelId ? { channelId, limit: 50 } : { limit: 50 }, { refetchInterval: 5_000 }));
  const resend = useMutation(trpc.channels.resend.mutationOptions({ onSuccess: () => refreshAfterChange(queryClient, { queryKey: trpc.channels.deliveries.pathKey() }) }));
  return (
    <QueryState query={query} what="deliveries" isEmpty={(d) => d.length === 0} empty={<Empty title="Nothing sent yet" />}>
      {(rows) => (
        <DataTable columns={["Queued", "Event", "Severity", "Status", { label: "Attempts", numeric: true }, "Last answer", ""]} testId="delivery-log">
          {rows.map((d) => (
            <tr key={d.id}>
              <td>{formatDateTime(d.createdAt)}</td>
              <td>
                {d.eventType} <span className="muted">{d.action}</span>
              </td>
              <td>{d.severity}</td>
              <td>
                <span className="badge" data-tone={d.status === "DELIVERED" ? "ok" : d.status === "DEAD" ? "critical" : "warning"}>
                  {d.status === "DEAD" ? "dead letter" : d.status.toLowerCase()}
                </span>
              </td>
              <td className="num">{d.attempts}</td>
              <td>
                <details>
                  <summary>{d.lastError ?? (d.lastStatus !== null ? `answered ${d.lastStatus}` : "—")}</summary>
                  <ol>
                    {d.log.map((a, i) => (
                      <li key={i}>
                        {formatDateTime(new Date(a.at))}: {a.status ?? "no answer"} in {a.durationMs} ms {a.error ? `— ${a.error}` : ""}
                      </li>
                    ))}
                  </ol>
                </details>
              </td>
              <td>
                {d.status === "DEAD" ? (
                  <button type="button" className="btn btn-small" onClick={() => resend.mutate({ id: d.id })}>
                    Resend
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </QueryState>
  );
}

/** Notification channels (admins): routing, a test button, and every delivery with its attempts. */
export function ChannelsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const session = useSession();
  const [selected, setSelected] = useState<string | null>(null);
  const query = useQuery(trpc.channels.list.queryOptions(undefined, { enabled: session.isAdmin }));
  const test = useMutation(trpc.channels.sendTest.mutationOptions({ onSuccess: () => refreshAfterChange(queryClient, { queryKey: trpc.channels.deliveries.pathKey() }) }));
  if (!session.isAdmin)
    return (
      <>
        <h1>Notification channels</h1>
        <Empty title="Admins only">Notification channels hold credentials: only admins see and manage them.</Empty>
      </>
    );
  return (
    <>
      <h1>Notification channels</h1>
      <NewChannel />
      <Panel title="Channels" id="channels-heading">
        <QueryState query={query} what="channels" isEmpty={(d) => d.length === 0} empty={<Empty title="No channels">Alerts still open tickets; add a channel to be told.</Empty>}>
          {(channels) => (
            <DataTable columns={["Channel", "Type", "Severities", "Namespaces", "Secret", ""]} testId="channels-table">
              {channels.map((c) => (
                <tr key={c.id} aria-selected={selected === c.id}>
                  <th scope="row">
                    <button type="button" className="btn btn-quiet" onClick={() => setSelected(selected === c.id ? null : c.id)}>
                      {c.name}
                    </button>
                    {c.builtIn ? <span className="muted"> built in</span> : null}
                    {!c.enabled ? <span className="muted"> (off)</span> : null}
                  </th>
                  <td>{CHANNEL_FIELDS[c.type].label}</td>
                  <td>{c.severities.length ? c.severities.join(", ") : "all"}</td>
                  <td>{c.namespaces.length ? c.namespaces.join(", ") : "all"}</td>
                  <td>{c.hasSecret ? "stored (sealed)" : "none"}</td>
                  <td>
                    <button type="button" className="btn btn-small" data-testid={`send-test-${c.name}`} disabled={test.isPending} onClick={() => (setSelected(c.id), test.mutate({ id: c.id }))}>
                      Send test
                    </button>
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </QueryState>
        {test.error ? (
          <p className="field-error" role="alert">
            {toApiFailure(test.error).message}
          </p>
        ) : null}
      </Panel>
      <Panel title={selected ? "Deliveries of the selected channel" : "Deliveries"} id="deliveries-heading">
        <Deliveries channelId={selected} />
      </Panel>
    </>
  );
}
