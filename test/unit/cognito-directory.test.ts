/**
 * Invitations in Vexilla's own Cognito pool: the exact AdminCreateUser calls (Cognito has no
 * local equivalent, so its client is mocked and the calls asserted).
 */
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  InvalidParameterException,
  UnsupportedUserStateException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CognitoDirectory } from '../../functions/shared/cognito-directory.js';

const cognito = mockClient(CognitoIdentityProviderClient);
const directory = new CognitoDirectory(new CognitoIdentityProviderClient({ region: 'eu-west-1' }), 'eu-west-1_abc');
const create = {
  UserPoolId: 'eu-west-1_abc',
  Username: 'ana@example.com',
  UserAttributes: [
    { Name: 'email', Value: 'ana@example.com' },
    { Name: 'email_verified', Value: 'true' },
  ],
  DesiredDeliveryMediums: ['EMAIL' as const],
};
const resend = { UserPoolId: 'eu-west-1_abc', Username: 'ana@example.com', MessageAction: 'RESEND' as const, DesiredDeliveryMediums: ['EMAIL' as const] };
const calls = () => cognito.commandCalls(AdminCreateUserCommand).map((call) => call.args[0].input);
const exists = () => new UsernameExistsException({ message: 'User account already exists', $metadata: {} });

afterEach(() => cognito.reset());

describe('CognitoDirectory', () => {
  it('creates the account with a verified email, and Cognito emails the invitation', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    await directory.invite('ana@example.com');
    expect(calls()).toEqual([create]);
  });

  it('sends the invitation again to an account that has not signed in yet', async () => {
    cognito.on(AdminCreateUserCommand, create).rejects(exists()).on(AdminCreateUserCommand, resend).resolves({});
    await directory.invite('ana@example.com');
    expect(calls()).toEqual([create, resend]);
  });

  it('leaves an account that has signed in alone', async () => {
    cognito
      .on(AdminCreateUserCommand, create)
      .rejects(exists())
      .on(AdminCreateUserCommand, resend)
      .rejects(new UnsupportedUserStateException({ message: 'User is confirmed', $metadata: {} }));
    await expect(directory.invite('ana@example.com')).resolves.toBeUndefined();
    expect(calls()).toEqual([create, resend]);
  });

  it('passes other failures on', async () => {
    cognito.on(AdminCreateUserCommand).rejects(new InvalidParameterException({ message: 'bad', $metadata: {} }));
    await expect(directory.invite('ana@example.com')).rejects.toBeInstanceOf(InvalidParameterException);
  });
});
