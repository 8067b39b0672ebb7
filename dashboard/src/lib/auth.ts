/**
 * Who the dashboard acts as. Today: an admin token pasted on the sign-in page, kept in this
 * tab's sessionStorage only (never localStorage: it is gone when the tab closes). Every request
 * takes its Authorization header from here, so another way of signing in (OIDC) plugs in here.
 */
import { useSyncExternalStore } from 'react';

export interface Session {
  kind: 'admin-token';
  token: string;
}

const KEY = 'vexilla.session';
const listeners = new Set<() => void>();
let cachedRaw: string | null | undefined;
let cached: Session | undefined;

function read(): Session | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (raw !== cachedRaw) {
    cachedRaw = raw;
    try {
      const parsed = raw ? (JSON.parse(raw) as Session) : undefined;
      cached = parsed?.kind === 'admin-token' && typeof parsed.token === 'string' ? parsed : undefined;
    } catch {
      cached = undefined;
    }
  }
  return cached;
}

const notify = () => listeners.forEach((listener) => listener());

export const getSession = read;

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, JSON.stringify({ kind: 'admin-token', token: token.trim() } satisfies Session));
  notify();
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  notify();
}

/** The Authorization header for the current session, if any. */
export function authorization(): string | undefined {
  const session = read();
  return session ? `Bearer ${session.token}` : undefined;
}

export function useSession(): Session | undefined {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read,
  );
}
