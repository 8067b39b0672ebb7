/**
 * Waits for a condition itself, checked again as soon as the last check settled (a short turn
 * between checks); the bound only stops a hang (a busy machine can be slow).
 */
export async function until(condition: () => boolean | Promise<boolean>, what = 'the condition', timeoutMs = 120_000): Promise<void> {
  for (const start = Date.now(); !(await condition()); ) {
    if (Date.now() - start > timeoutMs) throw new Error(`Still waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
