/** The CLI's two kinds of failure: exit 1 (it failed) and exit 2 (it was called wrongly). */

/** Something failed; the message says what, and what to do next. Exit code 1. */
export class CliError extends Error {}

/** The command was called wrongly. Exit code 2. */
export class UsageError extends CliError {}

/** An answer of the API that is not 2xx, with a hint on what to do next. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; details?: unknown } | undefined,
    hint: string,
  ) {
    const details = Array.isArray(body?.details)
      ? (body.details as { path?: string; message?: string }[]).map((d) => `\n  ${d.path ? `${d.path}: ` : ''}${d.message ?? JSON.stringify(d)}`).join('')
      : body?.details !== undefined
        ? `\n${JSON.stringify(body.details, null, 2)}`
        : '';
    super(`${body?.message ?? `The API answered ${status}.`} (${status})${details}${hint ? `\n${hint}` : ''}`);
  }
}
