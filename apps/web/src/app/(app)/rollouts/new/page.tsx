import type { Metadata } from "next";
import { Suspense } from "react";
import { CanaryWizard } from "../../../../features/rollouts/canary-wizard.tsx";

export const metadata: Metadata = { title: "New rollout" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <CanaryWizard />
    </Suspense>
  );
}
