import type { Metadata } from "next";
import { Suspense } from "react";
import { RolloutPage } from "../../../../features/rollouts/rollout-page.tsx";

export const metadata: Metadata = { title: "Rollout" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <RolloutPage />
    </Suspense>
  );
}
