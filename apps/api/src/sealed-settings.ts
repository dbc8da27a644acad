// Secrets the manager is configured with may be given sealed, in the envelope
// the mesh CA's key is stored in (@weft/identity's sealSecret, opened with
// WEFT_CA_KEY), so the value can sit in config management, a ConfigMap or a
// shell history without being the secret itself. `weft-seal` (bin/) makes one.
import { isSealedSecret, openSecret } from "@weft/identity";
import { EnvError } from "./env.ts";

/** Where each sealed setting may be opened: an envelope made for one never opens as another. */
export const SEAL_CONTEXTS = { WEFT_OIDC_CLIENT_SECRET: "oidc-client-secret" } as const;

export type SealedSetting = keyof typeof SEAL_CONTEXTS;

/** The plain value of a setting: opened when sealed (refused, naming the variable, when it cannot be), as is otherwise. */
export function openSetting(variable: SealedSetting, value: string, caKey: Buffer | null): string {
  if (!isSealedSecret(value)) return value;
  if (!caKey) throw new EnvError([{ variable, message: "is sealed, but no WEFT_CA_KEY (or WEFT_CA_KEY_FILE) is configured to open it" }]);
  try {
    return openSecret(value, caKey, { context: SEAL_CONTEXTS[variable] });
  } catch (err) {
    throw new EnvError([{ variable, message: `is sealed but does not open with the configured WEFT_CA_KEY: ${(err as Error).message}` }]);
  }
}
