"use client";

import type { ReactNode } from "react";
import { useModalDialog } from "./use-modal-dialog.ts";

/**
 * A modal side drawer on the native <dialog>: it opens over the page (not
 * below a long list), focus moves into it, Escape or the close button closes
 * it and focus returns to the opener.
 */
export function Drawer({ open, label, onClose, children, testId }: { open: boolean; label: string; onClose: () => void; children: ReactNode; testId?: string }) {
  const ref = useModalDialog(open);
  return (
    <dialog
      ref={ref}
      className="drawer"
      aria-label={label}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open ? children : null}
    </dialog>
  );
}
