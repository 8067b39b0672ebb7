/** Reads a required environment variable, failing loudly at start-up rather than mid-request. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

/**
 * Seconds an identity without overrides is kept unseen: `IDENTITY_IDLE_DAYS` (0 keeps identities
 * for ever), or the domain's default when unset. A malformed value fails at start-up.
 */
export function identityIdleSecondsFromEnv(): number | undefined {
  const value = process.env.IDENTITY_IDLE_DAYS;
  if (value === undefined || value === '') return undefined;
  const days = Number(value);
  if (!Number.isFinite(days) || days < 0) throw new Error(`IDENTITY_IDLE_DAYS must be a number of days (0: never expire), got ${value}`);
  return Math.round(days * 86_400);
}
