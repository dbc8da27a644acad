"use client";

import { useState } from "react";

/**
 * Copies `text` to the clipboard and says so. Where the Clipboard API is
 * refused (an insecure origin, a denied permission), it selects the text
 * next to it instead so Ctrl+C finishes the job.
 */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "select">("idle");
  const copy = async (button: HTMLButtonElement) => {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      const target = button.previousElementSibling;
      if (target) window.getSelection()?.selectAllChildren(target);
      setState("select");
    }
  };
  return (
    <>
      <button type="button" className="btn btn-small" onClick={(e) => void copy(e.currentTarget)} data-testid="copy-button">
        {label}
      </button>
      <span role="status" className="muted">
        {state === "copied" ? "Copied." : state === "select" ? "Selected: press Ctrl+C to copy." : ""}
      </span>
    </>
  );
}
