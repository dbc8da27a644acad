"use client";

import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { Panel } from "../ui/states.tsx";
import { CircuitBreakerWizard } from "./circuit-breaker-wizard.tsx";
import { FaultInjectionWizard } from "./fault-injection-wizard.tsx";
import { TimeoutsRetriesWizard } from "./timeouts-retries-wizard.tsx";
import { RESILIENCE_WIZARDS, wizardOf, type ResilienceWizard } from "./wizard-links.ts";
import styles from "./wizards.module.css";

/**
 * The service page's resilience tasks: one button per wizard (fault
 * injection, timeouts and retries, circuit breaking), the chosen one opened
 * below. A link with `wizard=<id>` (from the topology panel) opens it.
 */
export function ResilienceWizards({ namespace, service, observedPerSecond }: { namespace: string; service: string; observedPerSecond?: number }) {
  const params = useSearchParams();
  const requested = wizardOf(params.get("wizard"));
  const [open, setOpen] = useState<ResilienceWizard | null>(requested);
  // A link to another wizard of the same page (client navigation keeps this component): open that one.
  const [seen, setSeen] = useState(requested);
  if (requested !== seen) {
    setSeen(requested);
    if (requested) setOpen(requested);
  }
  useEffect(() => {
    const heading = RESILIENCE_WIZARDS.find((w) => w.id === requested)?.heading;
    if (!heading) return;
    // The wizard renders once its resource has loaded: give it a moment before scrolling to it.
    const t = window.setTimeout(() => document.getElementById(heading)?.scrollIntoView({ block: "start" }), 300);
    return () => window.clearTimeout(t);
  }, [requested]);
  return (
    <>
      <Panel title="Resilience tasks" id="resilience-heading">
        <p className="muted">Each task produces an ordinary resource and opens it in the review step (YAML, diff, dry run) before anything applies.</p>
        <div className="row" role="group" aria-labelledby="resilience-heading">
          {RESILIENCE_WIZARDS.map((w) => (
            <button key={w.id} type="button" className={`btn ${styles.task}`} aria-pressed={open === w.id} aria-controls={open === w.id ? w.heading : undefined} onClick={() => setOpen(open === w.id ? null : w.id)} data-testid={`open-${w.id}-wizard`}>
              <span className={styles.chevron} aria-hidden="true">
                {open === w.id ? "▾" : "▸"}
              </span>
              {w.label}
            </button>
          ))}
        </div>
      </Panel>
      {open === "fault" ? <FaultInjectionWizard namespace={namespace} service={service} /> : null}
      {open === "retries" ? <TimeoutsRetriesWizard namespace={namespace} service={service} {...(observedPerSecond !== undefined ? { observedPerSecond } : {})} /> : null}
      {open === "breaker" ? <CircuitBreakerWizard namespace={namespace} service={service} /> : null}
    </>
  );
}
