/**
 * The dashboard's Content-Security-Policy, declared once: the local stack sends it with every
 * dashboard file, and CloudFront's response headers policy sends the same in production.
 * Scripts, styles, fonts, images and API calls come from the same origin only; no inline script
 * or style element runs (Mantine's runtime style tags are turned off, its CSS is a static file);
 * the page cannot be framed, and forms and <base> cannot point elsewhere.
 *
 * Signing in with OpenID Connect adds exactly the identity provider's origins the browser calls
 * with fetch (discovery and token endpoints) to `connect-src`, and nothing else: the sign-in and
 * sign-out pages are top-level navigations, which no fetch directive governs.
 */
const directives = (signInOrigins: readonly string[]) => [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  ['connect-src', "'self'", ...new Set(signInOrigins)].join(' '),
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];

/** An origin (scheme, host, port; no path, no wildcard): all a CSP source should say here. */
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/i;

/**
 * The policy, allowing fetches to `signInOrigins` (the identity provider's discovery and token
 * endpoints). Literal origins are checked; CDK passes tokens (resolved by CloudFormation) that
 * its caller builds as `https://<host>`.
 */
export function dashboardCsp(signInOrigins: readonly string[] = [], options: { literal?: boolean } = {}): string {
  if (options.literal !== false) {
    for (const origin of signInOrigins) if (!ORIGIN.test(origin)) throw new Error(`Not an origin for the dashboard's Content-Security-Policy: '${origin}'`);
  }
  return directives(signInOrigins).join('; ');
}

/** The origin a URL's fetches go to (`https://host[:port]`). */
export const originOf = (url: string): string => new URL(url).origin;

/** The policy with API calls only (no identity provider). */
export const DASHBOARD_CSP = dashboardCsp();

/** Security headers sent with the dashboard besides the CSP (the same in both worlds). */
export function dashboardSecurityHeaders(signInOrigins: readonly string[] = []): Record<string, string> {
  return {
    'content-security-policy': dashboardCsp(signInOrigins),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=63072000; includeSubDomains',
  };
}

export const DASHBOARD_SECURITY_HEADERS: Record<string, string> = dashboardSecurityHeaders();
