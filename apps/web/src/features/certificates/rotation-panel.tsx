"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import { DataTable } from "../ui/data-table.tsx";
import { formatDateTime, formatRelative } from "../ui/format.ts";
import { Empty } from "../ui/states.tsx";
import { commonName, shortFingerprint } from "./certificate-view.ts";
import styles from "./certificates.module.css";
import { ConfirmDialog } from "./confirm-dialog.tsx";
import type { RotationData } from "./identity-types.ts";
import { canReverse, clusterProgress, describeHistory, isOpen, isReversing, overallMigration, reverseConsequences, staleReverse, stepLabel, stepper, waitingFor } from "./rotation-view.ts";
import { StartRotationForm } from "./start-rotation-form.tsx";

function Stepper({ rotation }: { rotation: RotationData }) {
  return (
    <ol className={styles.stepper} aria-label="Rotation steps" data-testid="rotation-stepper">
      {stepper(rotation).map((s) => (
        <li key={s.step} className={styles.step} data-step={s.step} data-status={s.status} data-paused={s.status === "current" && rotation.paused} aria-current={s.status === "current" ? "step" : undefined}>
          {s.label}
          <span className={styles.stepState}>{s.status === "current" ? (rotation.paused ? "paused" : isOpen(rotation) ? "in progress" : "final") : s.status === "done" ? "done" : "upcoming"}</span>
        </li>
      ))}
    </ol>
  );
}

function ProgressTable({ rotation }: { rotation: RotationData }) {
  const rows = clusterProgress(rotation);
  if (rows.length === 0) return <Empty title="No active clusters yet">Progress shows once the controller has looked at the clusters.</Empty>;
  return (
    <DataTable columns={["Cluster", "Trust bundle", "New intermediate", "Workload certificates migrated", "Blocks this step"]} testId="rotation-progress">
      {rows.map((r) => (
        <tr key={r.cluster} data-cluster={r.cluster} data-waiting={r.waiting}>
          <th scope="row">{r.cluster}</th>
          <td>
            <span className="badge" data-tone={r.bundleAcknowledged ? "ok" : "warning"}>
              {r.bundleAcknowledged ? "acknowledged" : "not yet"}
            </span>{" "}
            <span className="muted">{r.bundleVersion ? `runs v${r.bundleVersion}` : "none acknowledged"}</span>
          </td>
          <td>{r.hasNewIntermediate ? "yes" : "no"}</td>
          <td>
            <progress className={styles.progress} max={100} value={r.percent} aria-label={`${r.cluster}: ${r.percent}% migrated`} /> {r.percent}%{" "}
            <span className="muted">
              ({r.migrated}/{r.total})
            </span>
          </td>
          <td>{r.waiting ? <span className="badge" data-tone="warning">waiting</span> : <span className="badge" data-tone="ok">done</span>}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function RotationActions({ rotation }: { rotation: RotationData }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // The dialog holds the rotation it was opened for: a refresh cannot turn it into a reverse of another step or rotation.
  const [confirmReverse, setConfirmReverse] = useState<RotationData | null>(null);
  const stale = confirmReverse ? staleReverse(confirmReverse, rotation) : null;
  const onSuccess = async () => {
    setConfirmReverse(null);
    await refreshAfterChange(queryClient, { queryKey: trpc.identity.pathKey() });
  };
  const pause = useMutation(trpc.identity.rotation.pause.mutationOptions({ onSuccess }));
  const resume = useMutation(trpc.identity.rotation.resume.mutationOptions({ onSuccess }));
  // Refused (it moved on meanwhile): the page reads the rotation again, so the dialog also says how it changed.
  const reverse = useMutation(trpc.identity.rotation.reverse.mutationOptions({ onSuccess, onError: () => refreshAfterChange(queryClient, { queryKey: trpc.identity.pathKey() }) }));
  const busy = pause.isPending || resume.isPending || reverse.isPending;
  // A reverse refused from the dialog is said in the dialog (it is modal: the page behind is out of reach).
  const error = pause.error ?? resume.error ?? (confirmReverse ? null : reverse.error);
  if (!isOpen(rotation) && !confirmReverse) return null;
  return (
    <>
      {isOpen(rotation) ? (
      <div className="row" role="group" aria-label="Rotation actions">
        {rotation.paused ? (
          <button type="button" className="btn btn-primary" disabled={busy} onClick={() => resume.mutate({ id: rotation.id })}>
            Resume
          </button>
        ) : (
          <button type="button" className="btn" disabled={busy} onClick={() => pause.mutate({ id: rotation.id })}>
            Pause
          </button>
        )}
        {canReverse(rotation) ? (
          <button type="button" className="btn btn-danger" disabled={busy} onClick={() => { reverse.reset(); setConfirmReverse(rotation); }}>
            Reverse…
          </button>
        ) : null}
      </div>
      ) : null}
      {error ? (
        <div role="alert" className="state state-error" data-testid="rotation-action-error">
          <p className="state-title">The manager refused</p>
          <p className="state-detail">{toApiFailure(error).message}</p>
        </div>
      ) : null}
      <ConfirmDialog
        open={confirmReverse !== null}
        title="Reverse this rotation?"
        confirmLabel="Reverse rotation"
        danger
        busy={reverse.isPending || stale !== null}
        // The step it was opened at goes along: if the rotation moved on before the page noticed, the manager refuses.
        onConfirm={() => confirmReverse && stale === null && reverse.mutate({ id: confirmReverse.id, step: confirmReverse.step })}
        onCancel={() => {
          setConfirmReverse(null);
          reverse.reset();
        }}
      >
        {confirmReverse ? (
          <div data-testid="reverse-dialog" data-rotation={confirmReverse.id} data-step={confirmReverse.step}>
            <p>
              Back from <strong>{commonName(confirmReverse.to.subject)}</strong> to <strong>{commonName(confirmReverse.from.subject)}</strong>, from the step “{stepLabel(confirmReverse.step)}”:
            </p>
            <ul>
              {reverseConsequences(confirmReverse.step).map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
            {stale ? (
              <p className="notice notice-warning" role="alert" data-testid="reverse-stale">
                {stale}
              </p>
            ) : null}
            {reverse.error ? (
              <p className="notice notice-warning" role="alert" data-testid="reverse-refused">
                {toApiFailure(reverse.error).code === "CONFLICT" ? "The manager reversed nothing: the rotation changed since this dialog opened. Close it and look again." : `The manager did not reverse it: ${toApiFailure(reverse.error).message}`}
              </p>
            ) : null}
          </div>
        ) : null}
      </ConfirmDialog>
    </>
  );
}

/** The open (or latest) rotation: stepper, what it waits for, per-cluster progress, and admins' actions. */
function CurrentRotation({ rotation, canAct }: { rotation: RotationData; canAct: boolean }) {
  const open = isOpen(rotation);
  return (
    <div className="stack" data-testid="current-rotation" data-step={rotation.step} data-paused={rotation.paused}>
      <p>
        {open ? (isReversing(rotation) ? "Reversing" : "Rotating") : rotation.step === "REVERSED" ? "Reversed rotation" : "Last rotation"} from <strong>{commonName(rotation.from.subject)}</strong>{" "}
        <span className={`${styles.mono} muted`}>{shortFingerprint(rotation.from.anchorFingerprint)}</span> to <strong>{commonName(rotation.to.subject)}</strong>{" "}
        <span className={`${styles.mono} muted`}>{shortFingerprint(rotation.to.anchorFingerprint)}</span>, started by {rotation.startedBy} {formatRelative(rotation.createdAt, Date.now())}
        {rotation.paused ? (
          <>
            {" "}
            <span className="badge" data-tone="warning" data-testid="rotation-paused">
              Paused
            </span>
          </>
        ) : null}
        {isReversing(rotation) && open ? (
          <>
            {" "}
            <span className="badge" data-tone="critical">
              Reversing
            </span>
          </>
        ) : null}
      </p>
      <Stepper rotation={rotation} />
      <p className={open ? "notice" : "notice notice-ok"} data-testid="rotation-waiting" aria-live="polite">
        {waitingFor(rotation)}
      </p>
      {open ? (
        <>
          <p className="muted">
            Workload certificates on the new root, all clusters: {overallMigration(rotation)}%. Last computed {rotation.progress.computedAt ? formatRelative(new Date(rotation.progress.computedAt), Date.now()) : "never"}.
          </p>
          <ProgressTable rotation={rotation} />
        </>
      ) : null}
      {canAct ? <RotationActions rotation={rotation} /> : null}
    </div>
  );
}

/** Every rotation, newest first, each with its step log. */
export function RotationHistory({ rotations }: { rotations: readonly RotationData[] }) {
  if (rotations.length === 0) return <Empty title="No rotations yet" />;
  return (
    <DataTable columns={["Started", "From → to", "Outcome", "Steps taken"]} testId="rotation-history">
      {rotations.map((r) => (
        <tr key={r.id}>
          <td title={formatDateTime(r.createdAt)}>
            {formatDateTime(r.createdAt)}
            <div className="muted">by {r.startedBy}</div>
          </td>
          <td>
            {commonName(r.from.subject)} → {commonName(r.to.subject)}
          </td>
          <td>
            <span className="badge" data-tone={r.step === "COMPLETED" ? "ok" : r.step === "REVERSED" ? "critical" : "info"}>
              {isOpen(r) ? (r.paused ? `${stepLabel(r.step)} (paused)` : stepLabel(r.step)) : stepLabel(r.step)}
            </span>
            {r.completedAt ? <div className="muted">{formatDateTime(r.completedAt)}</div> : null}
          </td>
          <td>
            <details>
              <summary>{r.history.length === 1 ? "1 entry" : `${r.history.length} entries`}</summary>
              <ol>
                {r.history.map((h, i) => (
                  <li key={i}>
                    <span className="muted">{formatDateTime(new Date(h.at))}</span> {describeHistory(h)}
                  </li>
                ))}
              </ol>
            </details>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

/** The rotation workflow: the current rotation, and for admins the way to start one. */
export function RotationPanel({ rotation, canAct, caKeyConfigured, hasAuthority }: { rotation: RotationData | null; canAct: boolean; caKeyConfigured: boolean; hasAuthority: boolean }) {
  const [starting, setStarting] = useState(false);
  const open = rotation !== null && isOpen(rotation);
  const mayStart = canAct && !open && caKeyConfigured && hasAuthority;
  return (
    <div className="stack">
      {rotation ? <CurrentRotation rotation={rotation} canAct={canAct} /> : <Empty title="No root rotation has run">The mesh root stays in place until an admin rotates it.</Empty>}
      {mayStart && !starting ? (
        <div className="row">
          <button type="button" className="btn btn-primary" onClick={() => setStarting(true)} data-testid="start-rotation">
            Start a root rotation…
          </button>
        </div>
      ) : null}
      {mayStart && starting ? <StartRotationForm onClose={() => setStarting(false)} /> : null}
      {canAct && !caKeyConfigured ? <p className="notice notice-warning">The manager has no CA key (WEFT_CA_KEY): it cannot sign, so no rotation can start.</p> : null}
    </div>
  );
}
