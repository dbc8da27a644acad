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
 * fetch for the tRPC link. tRPC always answers JSON; anything else came from
 * the proxy in front of it, and would otherwise surface as a JSON parse error.
 */
export async function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("application/json")) {
    await response.body?.cancel();
    throw new ApiUnreachableError(response.status);
  }
  return response;
}
