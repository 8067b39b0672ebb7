import type * as z from 'zod';
import type { Environment, Project } from '../../domain/entities.js';
import type { Caller } from '../../domain/use-cases/people.js';
import type { Actor, Deps, Resolved } from '../../domain/use-cases/support.js';

/** What a handler gets: validated input and the resources the path names, already authorised. */
export interface HandlerContext {
  deps: Deps;
  /** The caller as an actor of the organisation the path names, with their roles there. */
  actor: Actor;
  resolved: Resolved;
  params: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  query: unknown;
}

export interface HandlerResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** The body is already JSON text, to be sent byte for byte. */
  raw?: boolean;
}

export type Handler = (context: HandlerContext) => Promise<HandlerResult>;

/** What a handler of a `self` route gets: the caller, no resource. */
export interface SelfContext {
  deps: Deps;
  caller: Caller;
  query: unknown;
}

export type SelfHandler = (context: SelfContext) => Promise<HandlerResult>;

/** The body, typed by the schema the route table validated it with. */
export const bodyAs = <S extends z.ZodType>(context: HandlerContext, _schema: S) => context.body as z.infer<S>;
export const queryAs = <S extends z.ZodType>(context: HandlerContext, _schema: S) => context.query as z.infer<S>;

// Routes under /projects/{projectId} or /environments/{envId} always resolve these.
export const projectOf = ({ resolved }: HandlerContext): Project => resolved.project as Project;
export const environmentOf = ({ resolved }: HandlerContext): Environment => resolved.environment as Environment;

export const param = ({ params }: HandlerContext, name: string): string => params[name] ?? '';
export const ok = (body: unknown, headers?: Record<string, string>): HandlerResult => ({ body, ...(headers ? { headers } : {}) });
