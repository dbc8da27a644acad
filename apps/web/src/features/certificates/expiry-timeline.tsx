"use client";

import { useMemo } from "react";
import { expiryTimeline } from "./certificate-view.ts";
import styles from "./certificates.module.css";
import type { CertificateData } from "./identity-types.ts";

/**
 * Certificates bucketed by time to expiry, warnings highlighted. Plain HTML
 * bars rather than uPlot: eight labelled categories read better (and to a
 * screen reader) as a list than as a canvas.
 */
export function ExpiryTimeline({ certificates }: { certificates: readonly CertificateData[] }) {
  const buckets = useMemo(() => expiryTimeline(certificates), [certificates]);
  const max = Math.max(1, ...buckets.map((b) => b.total));
  return (
    <ol className={styles.timeline} data-testid="expiry-timeline" aria-label="Certificates by time to expiry">
      {buckets.map((b) => (
        <li key={b.key} className={styles.bucket} data-bucket={b.key} data-empty={b.total === 0} aria-label={`${b.label}: ${b.total} certificate${b.total === 1 ? "" : "s"}${b.warnings ? `, ${b.warnings} with an expiry warning` : ""}`}>
          <span className={styles.bucketCount} aria-hidden="true">
            {b.total}
          </span>
          <span className={styles.bar} style={{ height: `${(b.total / max) * 75}%` }} aria-hidden="true">
            {b.warnings > 0 ? <span className={styles.barWarning} style={{ height: `${(b.warnings / b.total) * 100}%` }} data-testid="timeline-warning" /> : null}
          </span>
          <span className={styles.bucketLabel} aria-hidden="true">
            {b.label}
          </span>
        </li>
      ))}
    </ol>
  );
}
