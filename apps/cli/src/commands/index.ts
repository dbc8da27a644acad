// Every command of weft, in the order `weft help` lists them. A new verb (or
// verb group) is one file under commands/ and one line here.
import type { RegisterCommand } from "../context.ts";
import { registerApply } from "./apply.ts";
import { registerCompletion } from "./completion.ts";
import { registerDelete } from "./delete.ts";
import { registerDiff } from "./diff.ts";
import { registerGet } from "./get.ts";
import { registerHistory } from "./history.ts";
import { registerLogin } from "./login.ts";
import { registerRollback } from "./rollback.ts";
import { registerSlo } from "./slo.ts";
import { registerTickets } from "./tickets.ts";

export const COMMANDS: readonly RegisterCommand[] = [
  registerLogin,
  registerGet,
  registerApply,
  registerDiff,
  registerDelete,
  registerHistory,
  registerRollback,
  registerSlo,
  registerTickets,
  registerCompletion,
];
