/**
 * The dashboard's Content-Security-Policy, declared once: the local stack sends it with every
 * dashboard file, and CloudFront's response headers policy sends the same in production.
 * Scripts, styles, fonts, images and API calls come from the same origin only; no inline script
 * or style element runs (Mantine's runtime style tags are turned off, its CSS is a static file);
 * the page cannot be framed, and forms and <base> cannot point elsewhere.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers sent with the dashboard besides the CSP (the same in both worlds). */
export const DASHBOARD_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
};
