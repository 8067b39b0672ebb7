import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiKey, Tenant } from '../../domain/entities.js';
import type { EnvironmentSnapshot } from '../../domain/environment-snapshot.js';
import type { Deps } from '../../domain/use-cases/support.js';

/** What an SDK handler gets: the caller's key and its environment, already loaded. */
export interface SdkContext {
  deps: Deps;
  key: ApiKey;
  snapshot: EnvironmentSnapshot;
  /** A tenant of the snapshot's project by key, read once per snapshot (`identityTenant`). */
  tenant: (key: string) => Promise<Tenant | undefined>;
  event: APIGatewayProxyEventV2;
  headers: Record<string, string>;
  params: Record<string, string>;
}

export type SdkHandler = (context: SdkContext) => Promise<APIGatewayProxyStructuredResultV2>;
