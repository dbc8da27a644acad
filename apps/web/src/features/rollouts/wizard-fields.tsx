"use client";

import type { ValidationIssue } from "@weft/mesh-model";
import type { ReactNode } from "react";

/** The first issue at `path` or under it (`path.x`, `path[0]`). */
export function issueAt(issues: readonly ValidationIssue[], path: string): string | undefined {
  return issues.find((i) => i.path === path || i.path.startsWith(`${path}.`) || i.path.startsWith(`${path}[`))?.message;
}

/** A labelled input with its help line and the schema's error for its path. */
export function Field({ label, help, error, children }: { label: string; help?: ReactNode; error?: string | undefined; children: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {help ? <span className="field-help">{help}</span> : null}
      {error ? <span className="field-error">{error}</span> : null}
    </label>
  );
}

/** A number input that keeps NaN for an empty box (validation names it). */
export function NumberInput({ value, onChange, invalid, min, max, step }: { value: number | null; onChange: (n: number) => void; invalid?: boolean; min?: number; max?: number; step?: number }) {
  return (
    <input
      type="number"
      value={value === null || Number.isNaN(value) ? "" : value}
      min={min}
      max={max}
      step={step}
      aria-invalid={invalid ? true : undefined}
      onChange={(e) => onChange(e.target.value === "" ? Number.NaN : Number(e.target.value))}
    />
  );
}
