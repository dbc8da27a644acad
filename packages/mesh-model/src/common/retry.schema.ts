import { z } from "zod";
import { DurationSchema, parseDuration } from "./duration.ts";
import { reportDuplicates, reportIssue } from "./issues.ts";

/** Conditions under which a request is retried (Envoy `retry_on` names). */
export const RetryOnSchema = z
  .enum(["5xx", "gateway-error", "reset", "connect-failure", "refused-stream", "retriable-status-codes"])
  .describe(
    "5xx: any 5xx response or no response; gateway-error: 502, 503 or 504; reset: the upstream reset the stream; connect-failure: the connection could not be made; refused-stream: an HTTP/2 upstream refused the stream before processing it (REFUSED_STREAM, or above a GOAWAY's last stream id; reset and 5xx include it); retriable-status-codes: a status listed in retriableStatusCodes.",
  );
export type RetryOn = z.infer<typeof RetryOnSchema>;

/** gRPC status codes that trigger a retry. */
export const GrpcRetryCodeSchema = z
  .enum(["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"])
  .describe("A gRPC status (in the grpc-status trailer or header) that triggers a retry.");

export const RetryBackoffSchema = z
  .strictObject({
    baseInterval: DurationSchema.default("25ms").describe("First back-off interval; later ones grow exponentially with jitter. Default 25ms."),
    maxInterval: DurationSchema.optional().describe("Upper bound of the back-off interval; 10 × baseInterval when omitted."),
  })
  .describe("Exponential back-off between attempts.");

const retryFields = {
  attempts: z
    .number()
    .int({ message: "must be an integer" })
    .min(1, { message: "must be at least 1" })
    .max(100, { message: "must be at most 100" })
    .describe("Maximum number of retries after the first attempt (at least 1)."),
  perTryTimeout: DurationSchema.optional().describe("Timeout of each attempt, including the first; the route or policy request timeout still bounds the total."),
  retryOn: z.array(RetryOnSchema).optional().describe('Conditions that trigger a retry; ["5xx", "connect-failure", "reset"] when omitted.'),
  retriableStatusCodes: z
    .array(
      z
        .number()
        .int({ message: "must be an integer" })
        .min(100, { message: "must be an HTTP status between 100 and 599" })
        .max(599, { message: "must be an HTTP status between 100 and 599" })
        .describe("An HTTP status code."),
    )
    .optional()
    .describe('HTTP statuses retried when retryOn contains "retriable-status-codes".'),
  grpcCodes: z.array(GrpcRetryCodeSchema).optional().describe("gRPC statuses that trigger a retry."),
  backoff: RetryBackoffSchema.optional(),
};

type RetryShape = {
  retryOn?: readonly RetryOn[] | undefined;
  retriableStatusCodes?: readonly number[] | undefined;
  backoff?: { baseInterval: string; maxInterval?: string | undefined } | undefined;
};

/** Cross-field checks shared by every retry block. */
export function checkRetry(retry: RetryShape, ctx: z.RefinementCtx): void {
  const wantsCodes = retry.retryOn?.includes("retriable-status-codes") ?? false;
  const codes = retry.retriableStatusCodes ?? [];
  if (wantsCodes && codes.length === 0)
    reportIssue(ctx, ["retriableStatusCodes"], 'must list at least one status when retryOn contains "retriable-status-codes"', "missing_status_codes");
  if (!wantsCodes && codes.length > 0)
    reportIssue(ctx, ["retriableStatusCodes"], 'has no effect unless retryOn contains "retriable-status-codes"', "unused_status_codes");
  reportDuplicates(ctx, retry.retryOn, (v) => v, (i) => ["retryOn", i], "retry condition");
  const base = retry.backoff ? parseDuration(retry.backoff.baseInterval) : undefined;
  const max = retry.backoff?.maxInterval !== undefined ? parseDuration(retry.backoff.maxInterval) : undefined;
  if (base !== undefined && max !== undefined && max < base)
    reportIssue(ctx, ["backoff", "maxInterval"], "must not be shorter than baseInterval", "invalid_backoff");
}

/** Retry settings of a route rule or a mesh default. */
export const RetrySchema = z.strictObject(retryFields).superRefine(checkRetry).describe("How failed requests are retried.");
export type Retry = z.infer<typeof RetrySchema>;

/** The retry fields, for kinds that extend retries (TrafficPolicy adds a budget). */
export const retryShape = retryFields;
