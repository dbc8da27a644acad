// weft-seal: seals a secret (read from standard input) for a manager setting,
// with the mesh CA key the manager uses (WEFT_CA_KEY, WEFT_CA_KEY_FILE or the
// embedded default's WEFT_HOME/ca.key). Prints the envelope to set instead of
// the plain value:  weft-seal WEFT_OIDC_CLIENT_SECRET < secret.txt
import { sealSecret } from "@weft/identity";
import { EnvError, parseEnv } from "./env.ts";
import { loadCaKey } from "./features/identity/ca-key.ts";
import { SEAL_CONTEXTS, type SealedSetting } from "./sealed-settings.ts";

const variable = process.argv[2] as SealedSetting | undefined;
if (!variable || !(variable in SEAL_CONTEXTS)) {
  console.error(`usage: weft-seal <${Object.keys(SEAL_CONTEXTS).join("|")}> < secret`);
  process.exit(2);
}
try {
  const caKey = await loadCaKey(parseEnv());
  if (!caKey) throw new EnvError([{ variable: "WEFT_CA_KEY", message: "is required to seal a secret (or WEFT_CA_KEY_FILE)" }]);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const secret = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  if (secret === "") throw new EnvError([{ variable, message: "no secret on standard input" }]);
  process.stdout.write(`${sealSecret(secret, caKey.key, { context: SEAL_CONTEXTS[variable] })}\n`);
} catch (err) {
  console.error(`weft-seal: ${(err as Error).message}`);
  process.exit(err instanceof EnvError ? 2 : 1);
}
