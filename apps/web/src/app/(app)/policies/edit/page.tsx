import type { Metadata } from "next";
import { Suspense } from "react";
import { PolicyEditorPage } from "../../../../features/policy-editor/policy-editor.tsx";

export const metadata: Metadata = { title: "Policy editor" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <PolicyEditorPage />
    </Suspense>
  );
}
