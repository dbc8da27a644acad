import type { Metadata } from "next";
import { Suspense } from "react";
import { RolloutsPage } from "../../../features/rollouts/rollouts-page.tsx";

export const metadata: Metadata = { title: "Rollouts" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <RolloutsPage />
    </Suspense>
  );
}
