"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import { useSession } from "../shell/session.tsx";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime, formatRelative } from "../ui/format.ts";
import { Empty, Panel, QueryState } from "../ui/states.tsx";
import { DiagnosticsPanel } from "../diagnostics/diagnostics-panel.tsx";
import { describeAgentStatus, describeSync, joinCommand } from "./cluster-view.ts";

function AddCluster() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [region, setRegion] = useState("");
  const create = useMutation(trpc.clusters.create.mutationOptions({ onSuccess: () => refreshAfterChange(queryClient, { queryKey: trpc.clusters.pathKey() }) }));
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ name, ...(region ? { region } : {}) });
  };
  const failure = create.error ? toApiFailure(create.error) : null;
  return (
    <Panel title="Add a cluster" id="add-cluster-heading">
      <form className="toolbar" onSubmit={onSubmit} aria-label="Add a cluster">
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} aria-invalid={failure ? true : undefined} aria-describedby={failure ? "add-cluster-error" : undefined} />
        </label>
        <label>
          Region (optional)
          <input value={region} onChange={(e) => setRegion(e.target.value)} />
        </label>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          Create and get join token
        </button>
      </form>
      {failure ? (
        <p className="field-error" id="add-cluster-error" role="alert">
          {failure.fieldErrors[0]?.message ?? failure.message}
        </p>
      ) : null}
      {create.data ? (
        <div className="stack" data-testid="join-command">
          <p>
            Run this in cluster <strong>{create.data.cluster.name}</strong> before {formatDateTime(create.data.expiresAt)}. The token is shown only now.
          </p>
          <pre className="token-secret">{joinCommand({ managerUrl: window.location.origin.replace(/:\d+$/, ":4000"), clusterName: create.data.cluster.name, joinToken: create.data.joinToken })}</pre>
        </div>
      ) : null}
    </Panel>
  );
}

/** Clusters with their agents: connection, version, config sync, proxies and discovery counts. */
export function ClustersPage() {
  const trpc = useTRPC();
  const session = useSession();
  const query = useQuery(trpc.clusters.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  return (
    <>
      <h1>Clusters</h1>
      {session.isAdmin ? <AddCluster /> : null}
      <Panel title="Clusters" id="cluster-list-heading">
        <QueryState query={query} what="clusters" isEmpty={(d) => d.length === 0} empty={<Empty title="No clusters yet">{session.isAdmin ? "Add one above." : "An admin adds clusters."}</Empty>}>
          {(clusters) => (
            <DataTable columns={["Cluster", "Agent", "Sync", { label: "Services", numeric: true }, { label: "Workloads", numeric: true }, { label: "Endpoints", numeric: true }, "Gateway", "Last seen"]} testId="clusters-table">
              {clusters.map((c) => {
                const agent = describeAgentStatus(c.status);
                const sync = describeSync(c.sync);
                return (
                  <tr key={c.id}>
                    <th scope="row">
                      {c.name}
                      {c.region ? <div className="muted">{c.region}</div> : null}
                    </th>
                    <td>
                      <span className="badge" data-tone={agent.tone}>
                        {agent.label}
                      </span>
                      <div className="muted">{c.agentVersion ?? "no agent yet"}</div>
                      {c.joinTokenPending ? <div className="muted">join token pending</div> : null}
                    </td>
                    <td>
                      <span className="badge" data-tone={sync.tone}>
                        {sync.label}
                      </span>
                      <div className="muted">{sync.detail}</div>
                      {c.lastRejection ? (
                        <details>
                          <summary className="field-error">Last rejection (v{String(c.lastRejection.version)})</summary>
                          <p>{c.lastRejection.reason}</p>
                          <ul>
                            {c.lastRejection.proxies.map((p) => (
                              <li key={p.proxy}>
                                {p.proxy}: {p.reason}
                              </li>
                            ))}
                          </ul>
                        </details>
                      ) : null}
                    </td>
                    <td className="num">{c.counts.services}</td>
                    <td className="num">{c.counts.workloads}</td>
                    <td className="num">{c.counts.endpoints}</td>
                    <td>{c.gateway ? `${c.gateway.address}:${c.gateway.port}` : <span className="muted">none</span>}</td>
                    <td title={formatDateTime(c.lastSeenAt)}>{formatRelative(c.lastSeenAt, Date.now())}</td>
                  </tr>
                );
              })}
            </DataTable>
          )}
        </QueryState>
      </Panel>
      <DiagnosticsPanel />
    </>
  );
}
