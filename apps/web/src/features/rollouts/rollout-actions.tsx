"use client";

import { useState } from "react";
import { ConfirmDialog } from "../certificates/confirm-dialog.tsx";
import { allowedOperations, type RolloutDetailView } from "./rollout-view.ts";

export type RolloutOperationName = "pause" | "resume" | "approve" | "promote" | "abort" | "retry";

const CONFIRM: Record<RolloutOperationName, { label: string; title: string; danger?: boolean; text: (r: RolloutDetailView) => string }> = {
  pause: { label: "Pause", title: "Pause the rollout?", text: (r) => `Traffic stays where it is; analysis stops until someone resumes ${r.name}.` },
  resume: { label: "Resume", title: "Resume the rollout?", text: () => "The controller goes on from the current step." },
  approve: { label: "Approve", title: "Approve this gate?", text: (r) => `Recorded with your name; ${r.name} goes on to the next step.` },
  promote: { label: "Promote fully", title: "Promote the canary now?", danger: true, text: (r) => `${r.spec.canary.version} takes all traffic in every cluster at once, skipping the remaining steps and their analysis.` },
  abort: { label: "Abort", title: "Abort the rollout?", danger: true, text: (r) => `Every cluster goes back to ${r.spec.stable.version} at once, without analysis. The rollout can be retried later.` },
  retry: { label: "Retry", title: "Retry the rollout?", text: () => "A new attempt starts from the first step." },
};

/**
 * The operator's buttons, each behind a confirmation. Shown only to users
 * who may change the rollout's namespace, and only those the phase allows.
 */
export function RolloutActions({ rollout, canOperate, busy, error, onOperation }: { rollout: RolloutDetailView; canOperate: boolean; busy: boolean; error: string | null; onOperation: (op: RolloutOperationName) => void }) {
  const [asking, setAsking] = useState<RolloutOperationName | null>(null);
  if (!canOperate) return <p className="muted">Viewers follow rollouts; operators of {rollout.namespace} steer them.</p>;
  const allowed = allowedOperations(rollout.state.phase, rollout.awaitingApproval);
  const ops = (Object.keys(CONFIRM) as RolloutOperationName[]).filter((op) => allowed[op]);
  const current = asking ? CONFIRM[asking] : null;
  return (
    <div className="stack">
      <div className="row" data-testid="rollout-actions">
        {ops.map((op) => (
          <button key={op} type="button" className={CONFIRM[op].danger ? "btn btn-danger" : op === "approve" ? "btn btn-primary" : "btn"} onClick={() => setAsking(op)} disabled={busy}>
            {CONFIRM[op].label}
          </button>
        ))}
      </div>
      {error ? (
        <p className="field-error" role="alert" data-testid="rollout-action-error">
          {error}
        </p>
      ) : null}
      <ConfirmDialog
        open={asking !== null}
        title={current?.title ?? ""}
        confirmLabel={current?.label ?? ""}
        danger={current?.danger ?? false}
        busy={busy}
        onCancel={() => setAsking(null)}
        onConfirm={() => {
          if (asking) onOperation(asking);
          setAsking(null);
        }}
      >
        <p>{current ? current.text(rollout) : null}</p>
      </ConfirmDialog>
    </div>
  );
}
