"use client";

import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useTRPC } from "../../trpc/context.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime } from "../ui/format.ts";
import { Empty, QueryState } from "../ui/states.tsx";
import { commonName, formatRemaining, shortFingerprint } from "./certificate-view.ts";
import styles from "./certificates.module.css";

/** The inventory: workload certificates and intermediates, soonest expiry first, filtered by cluster and to expiring ones. */
export function CertificateInventory({ clusters, initialCluster, initialExpiring, refetchInterval }: { clusters: readonly string[]; initialCluster: string | null; initialExpiring: boolean; refetchInterval: number }) {
  const trpc = useTRPC();
  const id = useId();
  const [cluster, setCluster] = useState(initialCluster ?? "");
  const [expiringOnly, setExpiringOnly] = useState(initialExpiring);
  const query = useQuery(trpc.identity.certificates.queryOptions({ limit: 500, ...(cluster ? { cluster } : {}) }, { refetchInterval, placeholderData: (p) => p }));
  const options = cluster && !clusters.includes(cluster) ? [...clusters, cluster] : clusters;
  return (
    <>
      <div className="toolbar" role="group" aria-label="Filter certificates">
        <label htmlFor={`${id}-cluster`}>Certificates of</label>
        <select id={`${id}-cluster`} value={cluster} onChange={(e) => setCluster(e.target.value)} data-testid="inventory-cluster">
          <option value="">All clusters</option>
          {options.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={expiringOnly} onChange={(e) => setExpiringOnly(e.target.checked)} data-testid="inventory-expiring" /> Expiring only
        </label>
      </div>
      <QueryState query={query} what="certificates" isEmpty={(d) => d.items.length === 0} empty={<Empty title="No certificates reported">Agents report their workload certificates once they have an intermediate.</Empty>}>
        {(data) => {
          const rows = expiringOnly ? data.items.filter((c) => c.expiryWarning) : data.items;
          return (
            <>
              <p className="muted" role="status">
                {rows.length} of {data.total} certificate{data.total === 1 ? "" : "s"}
                {data.total > data.items.length ? ` (the soonest ${data.items.length} are listed)` : ""}; a warning means less than {Math.round(data.warning.fraction * 100)}% of the lifetime is left.
              </p>
              {rows.length === 0 ? (
                <Empty title="No certificate is close to expiry" />
              ) : (
                <DataTable columns={["Identity", "Kind", "Cluster", "Serial", "Not after", "Root", "Status"]} testId="certificate-inventory">
                  {rows.map((c) => (
                    <tr key={`${c.kind}/${c.cluster}/${c.serial}`} data-warning={c.expiryWarning}>
                      <td className={styles.mono}>{c.spiffeId ?? commonName(c.subject)}</td>
                      <td>{c.kind}</td>
                      <td>{c.cluster}</td>
                      <td className={styles.mono}>{c.serial.length > 16 ? `${c.serial.slice(0, 16)}…` : c.serial}</td>
                      <td title={formatDateTime(c.notAfter)}>
                        {formatDateTime(c.notAfter)}
                        <div className="muted">{formatRemaining(c.remainingHours)}</div>
                      </td>
                      <td className={styles.mono} title={c.rootFingerprint}>
                        {shortFingerprint(c.rootFingerprint)}
                      </td>
                      <td>
                        {c.revoked ? (
                          <span className="badge" data-tone="critical">
                            revoked
                          </span>
                        ) : c.expiryWarning ? (
                          <span className="badge" data-tone="warning">
                            {c.remainingHours <= 0 ? "expired" : "expiring"}
                          </span>
                        ) : (
                          <span className="badge" data-tone="ok">
                            valid
                          </span>
                        )}
                      </td>
                    </tr>
                  ))}
                </DataTable>
              )}
            </>
          );
        }}
      </QueryState>
    </>
  );
}
