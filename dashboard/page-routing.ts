/**
 * Which request paths are files of the build and which are pages of the single-page app,
 * declared once: the local stack serves by it, and CloudFront's viewer-request function on the
 * dashboard's behaviour runs the same code (`pageRoutingSource`).
 *
 * A file is a hashed asset (`/assets/...`) or a file at the root (`/favicon.svg`); every other
 * path is a page and answers index.html, so deep links load. A dot alone does not make a file:
 * feature names (`checkout.v2`) and identity identifiers (`ana@acme.com`) hold dots.
 */
export function isBuiltFile(uri: string): boolean {
  return uri.indexOf('/assets/') === 0 || (uri.lastIndexOf('/') === 0 && uri.indexOf('.') > 1);
}

/**
 * The CloudFront Function (cloudfront-js-2.0) that answers page paths with index.html:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
 */
export const pageRoutingSource = `var isBuiltFile = ${isBuiltFile.toString()};
function handler(event) {
  var request = event.request;
  if (!isBuiltFile(request.uri)) request.uri = '/index.html';
  return request;
}`;
