"use client";

import { SloPanel } from "./slo-table.tsx";

/** Every SLO of the mesh, worst first. */
export function SlosPage() {
  return (
    <>
      <h1>Service level objectives</h1>
      <SloPanel />
    </>
  );
}
