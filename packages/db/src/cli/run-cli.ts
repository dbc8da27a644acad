/** Runs a CLI body, printing a failure as one clear line and exiting non-zero. */
export async function runCli(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    console.error(`error: ${(err as Error).message ?? String(err)}`);
    process.exit(1);
  }
}
