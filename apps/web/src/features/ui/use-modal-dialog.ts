"use client";

import { useEffect, useRef } from "react";

/**
 * Keeps a native <dialog> open as a modal while `open` is true: showModal()
 * moves focus into it and makes the page behind inert; close() returns focus
 * to the opener.
 */
export function useModalDialog(open: boolean) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return ref;
}
