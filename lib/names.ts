import { Names, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A physical name for a resource whose name must be unique in the whole account (CloudFront
 * policies, origin access controls): the construct's path (so the stack, so the stage), `id`
 * and the region, so every stage can be deployed to any number of regions of one account.
 * test/infra/names.test.ts checks every such name.
 */
export function accountUniqueName(scope: IConstruct, id: string, maxLength = 128): string {
  const suffix = `-${id}-${Stack.of(scope).region}`;
  return `${Names.uniqueResourceName(scope, { maxLength: Math.min(80, maxLength - suffix.length), separator: '-' })}${suffix}`;
}
