"use client";

import type { Kind } from "@weft/mesh-model";
import { useRouter, useSearchParams } from "next/navigation";
import type { ReactNode } from "react";
import { storeDraft } from "../policy-proposal/policy-draft.ts";
import { hrefWithFilters } from "../shell/view-filters.ts";
import { Panel } from "../ui/states.tsx";

/**
 * Opens the ordinary editor with a wizard's document as a draft: the review
 * step (YAML, diff, dry run, apply with a message) is the one every resource
 * has. `name` is the stored resource the draft edits, null for a new one.
 */
export function useOpenReview(): (document: { kind: Kind; metadata: { namespace: string; name: string } }, existingName: string | null) => void {
  const router = useRouter();
  const params = useSearchParams();
  return (document, existingName) => {
    const id = storeDraft(window.sessionStorage, document);
    router.push(hrefWithFilters("/policies/edit", params, { kind: document.kind, namespace: document.metadata.namespace, ...(existingName ? { name: existingName } : {}), draft: id }));
  };
}

/** A problem the form shows above the Review button: the resource path and the reason. */
export interface WizardProblem {
  path: string;
  message: string;
}

/**
 * The frame every wizard shares: a panel with the form, the problems no
 * field shows, and a Review button that stays disabled while any remain.
 */
export function WizardShell({
  title,
  headingId,
  testId,
  intro,
  problems,
  blocked,
  onReview,
  children,
}: {
  title: string;
  headingId: string;
  testId: string;
  intro: ReactNode;
  problems: readonly WizardProblem[];
  /** True while any field (or a problem) refuses the input. */
  blocked: boolean;
  onReview: () => void;
  children: ReactNode;
}) {
  return (
    <Panel title={title} id={headingId}>
      <form
        className="stack"
        data-testid={testId}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!blocked) onReview();
        }}
      >
        <p className="muted">{intro}</p>
        {children}
        {problems.length > 0 ? (
          <ul className="field-error" role="alert" data-testid={`${testId}-problems`}>
            {problems.map((p) => (
              <li key={`${p.path}|${p.message}`}>
                <code>{p.path || "(document)"}</code>: {p.message}
              </li>
            ))}
          </ul>
        ) : null}
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={blocked} data-testid={`${testId}-review`}>
            Review (YAML, diff, dry run)
          </button>
        </div>
      </form>
    </Panel>
  );
}
