/** Reads a required environment variable, failing loudly at start-up rather than mid-request. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}
