"use client";

import type { HealthReport } from "@weft/api";
import styles from "./health-overview.module.css";
import {
  describeDatabaseKind,
  describeDatabaseStatus,
  describeHealthFailure,
  describeOverall,
  formatLatency,
  formatUptime,
  toHealthFailure,
  type StatusView,
} from "./health-view.ts";
import { HEALTH_REFRESH_MS, useHealthStatus } from "./use-health-status.ts";

function StatusBadge({ view, testId }: { view: StatusView; testId: string }) {
  return (
    <span className={styles.badge} data-tone={view.tone} data-testid={testId}>
      <span className={styles.dot} aria-hidden="true" />
      {view.label}
    </span>
  );
}

function HealthError({ error }: { error: unknown }) {
  const view = describeHealthFailure(toHealthFailure(error));
  return (
    <div role="alert" className={styles.error} data-testid="health-error">
      <p className={styles.errorTitle}>{view.title}</p>
      <p className={styles.errorDetail}>{view.detail}</p>
      {view.hint ? <p className={styles.errorHint}>{view.hint}</p> : null}
    </div>
  );
}

function HealthDetails({ report, checkedAt, stale }: { report: HealthReport; checkedAt: number; stale: boolean }) {
  const overall = describeOverall(report.status);
  const database = report.database;
  return (
    <div className={stale ? styles.stale : undefined} data-testid="health-report" data-stale={stale}>
      {stale ? <p className={styles.staleNote}>Last known state, from {new Date(checkedAt).toLocaleTimeString()}:</p> : null}
      <div className={styles.summary} role="status" aria-label="Manager status">
        <span>Manager</span>
        <StatusBadge view={overall} testId="health-overall" />
      </div>
      <dl className={styles.facts}>
        <div>
          <dt>Version</dt>
          <dd data-testid="health-version">{report.version}</dd>
        </div>
        <div>
          <dt>Uptime</dt>
          <dd data-testid="health-uptime">{formatUptime(report.uptimeSeconds)}</dd>
        </div>
      </dl>

      <h3 className={styles.subheading} id="database-heading">
        Database
      </h3>
      <dl className={styles.facts} aria-labelledby="database-heading">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge view={describeDatabaseStatus(database.status)} testId="database-status" />
          </dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd data-testid="database-kind">{describeDatabaseKind(database.kind)}</dd>
        </div>
        <div className={styles.double}>
          <dt>Target</dt>
          <dd data-testid="database-target">
            <code>{database.target}</code>
          </dd>
        </div>
        <div>
          <dt>Latency</dt>
          <dd data-testid="database-latency">{formatLatency(database.latencyMs)}</dd>
        </div>
        {database.error ? (
          <div className={styles.wide}>
            <dt>Error</dt>
            <dd data-testid="database-error">{database.error}</dd>
          </div>
        ) : null}
      </dl>
    </div>
  );
}

/** The manager's health: overall status, version, uptime and its database. */
export function HealthOverview() {
  const query = useHealthStatus();
  return (
    <section className={styles.panel} aria-labelledby="health-heading" aria-busy={query.isFetching}>
      <header className={styles.panelHeader}>
        <h2 id="health-heading">Manager health</h2>
        <p className={styles.refresh}>
          Refreshes every {HEALTH_REFRESH_MS / 1_000} s
          {query.dataUpdatedAt > 0 ? ` · last answer ${new Date(query.dataUpdatedAt).toLocaleTimeString()}` : ""}
        </p>
      </header>
      {query.isPending ? (
        <p role="status" className={styles.loading} data-testid="health-loading">
          Checking the manager…
        </p>
      ) : null}
      {query.isError ? <HealthError error={query.error} /> : null}
      {query.data ? <HealthDetails report={query.data} checkedAt={query.dataUpdatedAt} stale={query.isError} /> : null}
    </section>
  );
}
