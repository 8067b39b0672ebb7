/**
 * The UserDirectory port on Vexilla's own Cognito user pool: an invitation creates the person's
 * account (their email as the user name, marked verified, since the invitation went to it), and
 * Cognito emails them a temporary password and the sign-in link. Vexilla never sees a password.
 */
import {
  AdminCreateUserCommand,
  type CognitoIdentityProviderClient,
  UnsupportedUserStateException,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { UserDirectory } from '../domain/ports.js';

export class CognitoDirectory implements UserDirectory {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async invite(email: string): Promise<void> {
    try {
      await this.client.send(
        new AdminCreateUserCommand({
          UserPoolId: this.userPoolId,
          Username: email,
          UserAttributes: [
            { Name: 'email', Value: email },
            { Name: 'email_verified', Value: 'true' },
          ],
          DesiredDeliveryMediums: ['EMAIL'],
        }),
      );
    } catch (error) {
      if (!(error instanceof UsernameExistsException)) throw error;
      // Invited before: send the invitation again (a new temporary password). An account that
      // has already signed in is not in the state RESEND needs, and needs nothing.
      try {
        await this.client.send(new AdminCreateUserCommand({ UserPoolId: this.userPoolId, Username: email, MessageAction: 'RESEND', DesiredDeliveryMediums: ['EMAIL'] }));
      } catch (resendError) {
        if (!(resendError instanceof UnsupportedUserStateException)) throw resendError;
      }
    }
  }
}
