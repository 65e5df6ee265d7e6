/**
 * The Content-Security-Policy of the agent console (and the local customer simulator), the same
 * in AWS (CloudFront response headers policy, `console.ts`) and locally (`local/static.ts`).
 * Scripts and styles come only from the page's own origin, as files: no inline script or style,
 * no eval, no `javascript:` URL runs. The page talks to its own origin and to the API and socket
 * named in `connect`; `notificationSoundUrl` may be any https URL.
 */
export function consoleContentSecurityPolicy(connect: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    // customers' pictures (Meta's CDN) and image attachments: images only, nothing runs from them
    "img-src 'self' data: https:",
    "media-src 'self' https:",
    `connect-src ${["'self'", ...connect].join(' ')}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Security headers served with the console's files besides the CSP. */
export const consoleSecurityHeaders = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;
