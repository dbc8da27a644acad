// Every command of weft, in the order `weft help` lists them. A new verb (or
// verb group) is one file under commands/ and one line here.
import type { RegisterCommand } from "../context.ts";
import { registerAnalyze } from "./analyze.ts";
import { registerApply } from "./apply.ts";
import { registerCerts } from "./certs.ts";
import { registerCheck } from "./check.ts";
import { registerClusters } from "./clusters.ts";
import { registerCompletion } from "./completion.ts";
import { registerDelete } from "./delete.ts";
import { registerDiagnostics } from "./diagnostics.ts";
import { registerDiff } from "./diff.ts";
import { registerEdges } from "./edges.ts";
import { registerGet } from "./get.ts";
import { registerHistory } from "./history.ts";
import { registerLogin } from "./login.ts";
import { registerProxyConfig } from "./proxy-config.ts";
import { registerProxyStatus } from "./proxy-status.ts";
import { registerRollback } from "./rollback.ts";
import { registerRollout } from "./rollout.ts";
import { registerSidecar } from "./sidecar.ts";
import { registerSlo } from "./slo.ts";
import { registerTickets } from "./tickets.ts";
import { registerStat } from "./stat.ts";
import { registerTap } from "./tap.ts";
import { registerTop } from "./top.ts";

export const COMMANDS: readonly RegisterCommand[] = [
  registerLogin,
  registerGet,
  registerApply,
  registerDiff,
  registerDelete,
  registerHistory,
  registerRollback,
  registerRollout,
  registerSlo,
  registerTickets,
  registerSidecar,
  registerAnalyze,
  registerCheck,
  registerDiagnostics,
  registerClusters,
  registerEdges,
  registerStat,
  registerTop,
  registerTap,
  registerProxyStatus,
  registerProxyConfig,
  registerCerts,
  registerCompletion,
];
