"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { toApiFailure } from "../../trpc/api-errors.ts";
import { useTRPC } from "../../trpc/context.ts";
import { refreshAfterChange } from "../../trpc/refresh.ts";
import styles from "./certificates.module.css";
import { startFormFieldOf, validateStartForm, type StartForm, type StartFormField } from "./rotation-view.ts";

const FIELDS: { field: StartFormField; label: string; help: string }[] = [
  { field: "certificatePem", label: "CA certificate (PEM)", help: "A self-signed root, or an intermediate that may sign one more CA level." },
  { field: "keyPem", label: "Private key (PEM)", help: "Unencrypted PKCS#8, SEC1 or PKCS#1. Sealed with the manager's CA key at once; never shown again." },
  { field: "chainPem", label: "Chain above it (PEM, optional)", help: "Certificates above an intermediate, nearest first." },
];

/** Admins only: starts a rotation to a generated root, or to an operator CA pasted as PEM. */
export function StartRotationForm({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [form, setForm] = useState<StartForm>({ certificatePem: "", keyPem: "", chainPem: "" });
  const [clientErrors, setClientErrors] = useState<Partial<Record<StartFormField, string>>>({});
  const start = useMutation(
    trpc.identity.rotation.start.mutationOptions({
      onSuccess: async () => {
        await refreshAfterChange(queryClient, { queryKey: trpc.identity.pathKey() });
        onClose();
      },
    }),
  );
  const failure = start.error ? toApiFailure(start.error) : null;
  const serverErrors: Partial<Record<StartFormField, string>> = {};
  for (const f of failure?.fieldErrors ?? []) {
    const field = startFormFieldOf(f.path);
    if (field) serverErrors[field] ??= f.message;
  }
  const errors = { ...serverErrors, ...clientErrors };
  const unplaced = failure && Object.keys(serverErrors).length === 0 ? failure.message : null;
  const importing = Boolean(form.certificatePem.trim() || form.keyPem.trim() || form.chainPem.trim());

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const checked = validateStartForm(form);
    if (!checked.ok) {
      setClientErrors(checked.errors);
      return;
    }
    setClientErrors({});
    start.mutate(checked.input);
  };

  return (
    <form className="stack" onSubmit={onSubmit} aria-label="Start a root rotation" data-testid="start-rotation-form" noValidate>
      <p>
        A rotation adds a new root to every trust bundle, lets each cluster get a new intermediate and re-issue its workload certificates, then removes the old root. Traffic keeps flowing throughout; you can pause it, or reverse it
        until the old root is removed.
      </p>
      <p className="muted">Leave the fields empty to let the manager generate a new root (ECDSA P-256, 10 years), or paste your own CA to rotate to it.</p>
      {FIELDS.map(({ field, label, help }) => (
        <div className="field" key={field}>
          <label className="field-label" htmlFor={`${id}-${field}`}>
            {label}
          </label>
          <textarea
            id={`${id}-${field}`}
            className={styles.pem}
            spellCheck={false}
            value={form[field]}
            onChange={(e) => {
              setForm({ ...form, [field]: e.target.value });
              setClientErrors({ ...clientErrors, [field]: undefined });
              start.reset();
            }}
            aria-invalid={errors[field] ? true : undefined}
            aria-describedby={`${id}-${field}-help${errors[field] ? ` ${id}-${field}-error` : ""}`}
            data-testid={`rotation-${field}`}
          />
          <p className="field-help" id={`${id}-${field}-help`}>
            {help}
          </p>
          {errors[field] ? (
            <p className="field-error" id={`${id}-${field}-error`} data-error-field={field}>
              {errors[field]}
            </p>
          ) : null}
        </div>
      ))}
      {unplaced ? (
        <div role="alert" className="state state-error" data-testid="start-rotation-error">
          <p className="state-title">{failure?.kind === "conflict" ? "Cannot start a rotation now" : "The manager refused the rotation"}</p>
          <p className="state-detail">{unplaced}</p>
        </div>
      ) : null}
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={start.isPending} data-testid="confirm-start-rotation">
          {importing ? "Start rotation to this CA" : "Generate a new root and start"}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        {start.isPending ? <span role="status">Starting…</span> : null}
      </div>
    </form>
  );
}
