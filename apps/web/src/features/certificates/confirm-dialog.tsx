"use client";

import { useId, type ReactNode } from "react";
import { useModalDialog } from "../ui/use-modal-dialog.ts";
import styles from "./certificates.module.css";

/**
 * A modal confirmation on the native <dialog>: focus moves into it, Escape
 * cancels, and focus returns to the opener when it closes.
 */
export function ConfirmDialog({ open, title, confirmLabel, danger = false, busy = false, onConfirm, onCancel, children }: { open: boolean; title: string; confirmLabel: string; danger?: boolean; busy?: boolean; onConfirm: () => void; onCancel: () => void; children: ReactNode }) {
  const ref = useModalDialog(open);
  const id = useId();
  return (
    <dialog ref={ref} className={styles.dialog} aria-labelledby={`${id}-title`} onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <h2 id={`${id}-title`}>{title}</h2>
      <div className="stack">{children}</div>
      <div className="row">
        <button type="button" className="btn" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className={danger ? "btn btn-danger" : "btn btn-primary"} onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
