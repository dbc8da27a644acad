"use client";

import { burnBars, formatBurn, type SloAlertLike } from "./slo-view.ts";

/** Burn rate of each alert window against its threshold (the mark in the middle of each bar). */
export function BurnBars({ alerts, scope = "" }: { alerts: readonly SloAlertLike[]; scope?: string }) {
  const pairs = burnBars(alerts, scope);
  if (pairs.length === 0) return <p className="muted">Alerting is off for this SLO.</p>;
  return (
    <div className="burn-bars" data-testid="burn-bars">
      {pairs.map((p) => (
        <div key={p.pair} className="burn-pair">
          <div className="burn-pair-title">
            <strong>{p.pair}</strong> <span className="muted">{p.severity}</span>{" "}
            <span className="badge" data-tone={p.state === "FIRING" ? "critical" : p.state === "PENDING" ? "warning" : "ok"}>
              {p.state.toLowerCase()}
            </span>
          </div>
          {p.bars.map((b) => (
            <div key={b.window} className="burn-row">
              <span className="burn-window">{b.window}</span>
              <span className="burn-track" role="img" aria-label={`burn rate ${formatBurn(b.burn)} over ${b.window}, threshold ${b.threshold}×`}>
                <span className="burn-fill" data-over={b.over} style={{ width: `${Math.round(b.fill * 100)}%` }} />
                <span className="burn-threshold" style={{ left: `${b.thresholdAt * 100}%` }} />
              </span>
              <span className="burn-value num">
                {formatBurn(b.burn)} <span className="muted">/ {b.threshold}×</span>
              </span>
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
