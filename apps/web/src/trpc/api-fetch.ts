/**
 * The manager did not answer: the dashboard's proxy answered for it (it
 * returns a plain-text 500 when the API refuses the connection).
 */
export class ApiUnreachableError extends Error {
  override readonly name = "ApiUnreachableError";
  constructor(readonly httpStatus: number) {
    super(`No answer from the manager API: the dashboard's proxy returned HTTP ${httpStatus}.`);
  }
}

/**
 * The request was refused before tRPC answered (HTTP 401 or 403 from a
 * gateway or proxy in front of the manager): a permission problem, not an
 * unreachable manager, and the dashboard says so.
 */
export class ApiRefusedError extends Error {
  override readonly name = "ApiRefusedError";
  constructor(readonly httpStatus: number) {
    super(httpStatus === 401 ? "Not signed in: sign in again to continue." : `Refused: you do not have permission for this (HTTP ${httpStatus}).`);
  }
}

/**
 * fetch for the tRPC link. tRPC always answers JSON; anything else came from
 * the proxy in front of it, and would otherwise surface as a JSON parse error.
 */
export async function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("application/json")) {
    await response.body?.cancel();
    if (response.status === 401 || response.status === 403) throw new ApiRefusedError(response.status);
    throw new ApiUnreachableError(response.status);
  }
  return response;
}
