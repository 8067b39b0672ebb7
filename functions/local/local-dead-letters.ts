/**
 * A dead-letter queue of the local stack: what a consumer refused or failed, kept in memory (a
 * production queue is SQS); the consumer logs each one with its reason.
 */
import type { DeadLetterReason, DeadLetters } from '../events/consumers/tenant-updater.js';

export interface DeadLetter {
  event: unknown;
  reason: DeadLetterReason;
  at: string;
}

/** Keeps the newest letters only: a laptop's memory is not a queue's retention. */
const KEPT = 1000;

export class LocalDeadLetters implements DeadLetters {
  private readonly letters: DeadLetter[] = [];

  async send(event: unknown, reason: DeadLetterReason): Promise<void> {
    this.letters.push({ event, reason, at: new Date().toISOString() });
    if (this.letters.length > KEPT) this.letters.shift();
  }

  /** What was dead-lettered, oldest first. */
  list(): readonly DeadLetter[] {
    return [...this.letters];
  }
}
