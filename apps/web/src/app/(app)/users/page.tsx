import type { Metadata } from "next";
import { Suspense } from "react";
import { UsersPage } from "../../../features/users/users-page.tsx";

export const metadata: Metadata = { title: "Users & tokens" };

export default function Page() {
  return (
    <Suspense fallback={null}>
      <UsersPage />
    </Suspense>
  );
}
