"use client";

import { useMemo } from "react";
import { formatDateTime } from "../ui/format.ts";
import { Empty } from "../ui/states.tsx";
import { caHierarchy, commonName, shortFingerprint } from "./certificate-view.ts";
import styles from "./certificates.module.css";
import type { AuthoritiesData, CertificateData } from "./identity-types.ts";

const STATE_TONE = { ACTIVE: "ok", STAGED: "info", DRAINING: "warning", RETIRED: undefined } as const;
const STATUS_TONE = { current: "ok", superseded: "info", revoked: "critical", expired: "critical" } as const;

/** Mesh authorities → the cluster intermediates they signed → workload certificates per cluster on their root. */
export function CaHierarchy({ authorities, certificates }: { authorities: AuthoritiesData; certificates: readonly CertificateData[] }) {
  const tree = useMemo(() => caHierarchy(authorities.authorities, authorities.clusters, certificates), [authorities, certificates]);
  if (tree.length === 0) return <Empty title="The mesh has no CA yet">The manager generates its root at start when it has a CA key (WEFT_CA_KEY).</Empty>;
  return (
    <ul className={styles.tree} data-testid="ca-hierarchy" aria-label="CA hierarchy">
      {tree.map(({ authority: a, clusters }) => (
        <li key={a.id} className={styles.treeNode} data-testid="authority" data-state={a.state}>
          <strong>{commonName(a.subject)}</strong>{" "}
          <span className="badge" data-tone={STATE_TONE[a.state]}>
            {a.state}
          </span>{" "}
          <span className="muted">
            {a.isRoot ? "root" : "intermediate CA"} · {a.origin} · serial <span className={styles.mono}>{a.serial}</span> · valid to {formatDateTime(a.notAfter)} · anchor{" "}
            <span className={styles.mono} title={a.anchorFingerprint}>
              {shortFingerprint(a.anchorFingerprint)}
            </span>
          </span>
          {clusters.length > 0 ? (
            <ul>
              {clusters.map((c) => (
                <li key={c.cluster} className={styles.treeNode} data-testid="hierarchy-cluster" data-cluster={c.cluster}>
                  <strong>{c.cluster}</strong>{" "}
                  <span className="muted">
                    {c.workloads} workload certificate{c.workloads === 1 ? "" : "s"}
                  </span>
                  {c.warnings > 0 ? (
                    <>
                      {" "}
                      <span className="badge" data-tone="warning">
                        {c.warnings} expiring
                      </span>
                    </>
                  ) : null}
                  {c.intermediates.length > 0 ? (
                    <ul>
                      {c.intermediates.map((i) => (
                        <li key={i.id} className={styles.treeNode}>
                          intermediate <span className={styles.mono}>{i.serial}</span>{" "}
                          <span className="badge" data-tone={STATUS_TONE[i.status]}>
                            {i.status}
                          </span>{" "}
                          <span className="muted">valid to {formatDateTime(i.notAfter)}</span>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No cluster intermediates or workload certificates under it.</p>
          )}
        </li>
      ))}
    </ul>
  );
}
