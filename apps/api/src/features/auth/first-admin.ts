import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../../logger.ts";
import type { UsersRepository } from "../users/users.repository.ts";
import { randomSecret } from "./secret-tokens.ts";

export const INITIAL_ADMIN_USERNAME = "admin";
export const INITIAL_ADMIN_PASSWORD_FILE = "initial-admin-password";

/**
 * On the first start (no users at all) creates the `admin` account with a
 * generated password, prints the password once to the console and keeps it in
 * `<home>/initial-admin-password` (mode 0600) for whoever missed the console.
 * Returns the password when it created the account.
 */
export async function ensureFirstAdmin(options: {
  users: Pick<UsersRepository, "count" | "create">;
  hashPassword(password: string): Promise<string>;
  home: string;
  log: Logger;
  /** Where the one-time message goes; stdout by default. */
  print?: (text: string) => void;
}): Promise<string | null> {
  if ((await options.users.count()) > 0) return null;
  const password = randomSecret().slice(0, 24);
  const created = await options.users.create({ username: INITIAL_ADMIN_USERNAME, displayName: "Administrator", role: "ADMIN", passwordHash: await options.hashPassword(password) });
  // Another replica won the race: it printed the password.
  if (!created) return null;
  await mkdir(options.home, { recursive: true });
  const file = join(options.home, INITIAL_ADMIN_PASSWORD_FILE);
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  const print = options.print ?? ((text: string) => process.stdout.write(`${text}\n`));
  print(
    [
      "",
      "  Weft: created the first administrator.",
      `  username: ${INITIAL_ADMIN_USERNAME}`,
      `  password: ${password}`,
      `  (shown once; also saved in ${file}, readable only by this user: change it after signing in)`,
      "",
    ].join("\n"),
  );
  options.log.info({ username: INITIAL_ADMIN_USERNAME, passwordFile: file }, "created the first administrator");
  return password;
}
