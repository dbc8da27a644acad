import type { Metadata } from "next";
import { Suspense } from "react";
import { LoginForm } from "../../features/auth/login-form.tsx";

export const metadata: Metadata = { title: "Sign in" };

export default function LoginPage() {
  return (
    <main className="login-page">
      <Suspense fallback={null}>
        <LoginForm />
      </Suspense>
    </main>
  );
}
