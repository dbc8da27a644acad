// Alertmanager's webhook into Weft's tickets: POST /alertmanager/webhook
// with the version-4 payload, authenticated by an API token of an operator
// (Alertmanager's `http_config.authorization: { type: Bearer, credentials_file: … }`).
// Answers 200 with what changed, 400 with every bad field's path (nothing
// stored), 401/403 without the right credentials, 413 for a body over the
// limit. Every call is audited.
import type { IncomingMessage, ServerResponse } from "node:http";
import { ValidationError } from "@weft/mesh-model";
import { isAgent, roleAtLeast, roleIn } from "../../access.ts";
import type { Logger } from "../../logger.ts";
import { readLimitedBody } from "../../read-limited-body.ts";
import type { RequestInfo } from "../../request-info.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { AuthService } from "../auth/auth.service.ts";
import type { SloLookup, TicketsService } from "./tickets.service.ts";

/** What the webhook needs of the manager's services. */
export interface AlertmanagerDeps {
  auth: Pick<AuthService, "authenticate">;
  audit: Pick<AuditService, "record">;
  tickets: Pick<TicketsService, "ingestAlertmanager">;
  slo: SloLookup;
}

export const ALERTMANAGER_WEBHOOK_PATH = "/alertmanager/webhook";

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Handles the request when it is Alertmanager's webhook; true when it was. */
export function handleAlertmanagerRequest(req: IncomingMessage, res: ServerResponse, services: AlertmanagerDeps, log: Logger, maxBodyBytes: number): boolean {
  if ((req.url ?? "").split("?")[0] !== ALERTMANAGER_WEBHOOK_PATH) return false;
  void serve(req, res, services, log, maxBodyBytes).catch((err: unknown) => {
    log.error({ err }, "alertmanager webhook failed");
    if (!res.headersSent) answer(res, 500, { error: "internal error" });
  });
  return true;
}

async function serve(req: IncomingMessage, res: ServerResponse, services: AlertmanagerDeps, log: Logger, maxBodyBytes: number): Promise<void> {
  const ip = req.socket.remoteAddress ?? "unknown";
  const audit = (outcome: "SUCCESS" | "FAILURE" | "DENIED", actor: Parameters<AuditService["record"]>[0]["actor"], details: Record<string, unknown>, target?: string) =>
    services.audit.record({ actor, action: "tickets.alertmanagerWebhook", outcome, ...(target ? { target } : {}), details, ip });
  if (req.method !== "POST") {
    answer(res, 405, { error: "POST the Alertmanager webhook payload here" });
    return;
  }
  const request: RequestInfo = { authorization: req.headers.authorization, ip, secure: false, setCookie: () => {} };
  const auth = await services.auth.authenticate(request);
  if (!auth || isAgent(auth.principal)) {
    await audit("DENIED", null, { reason: "no API token" });
    answer(res, 401, { error: "send an operator's API token: Authorization: Bearer <token>" });
    return;
  }
  if (!roleAtLeast(roleIn(auth.principal, "mesh"), "OPERATOR")) {
    await audit("DENIED", auth.principal, { reason: "needs OPERATOR mesh-wide" });
    answer(res, 403, { error: "the token's user needs the OPERATOR role mesh-wide to open tickets" });
    return;
  }
  const raw = await readLimitedBody(req, maxBodyBytes);
  if (raw === null) {
    // The rest of the body is discarded, not read: the connection closes after this answer.
    await audit("FAILURE", auth.principal, { error: `payload over ${maxBodyBytes} bytes` });
    answer(res, 413, { error: `the payload is over ${maxBodyBytes} bytes` }, { connection: "close" });
    return;
  }
  const text = raw.toString("utf8");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    await audit("FAILURE", auth.principal, { error: "invalid JSON" });
    answer(res, 400, { error: `invalid JSON: ${err instanceof Error ? err.message : String(err)}`, issues: [{ path: "", message: "invalid JSON", code: "json_syntax" }] });
    return;
  }
  try {
    const { value, audit: facts } = await services.tickets.ingestAlertmanager(body, services.slo);
    await audit("SUCCESS", auth.principal, { ...facts.details }, facts.target);
    answer(res, 200, value);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    await audit("FAILURE", auth.principal, { error: err.message });
    log.debug({ issues: err.issues }, "alertmanager payload refused");
    answer(res, 400, { error: err.message, issues: err.issues });
  }
}
