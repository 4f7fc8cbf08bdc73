import helmet from "helmet";

/**
 * helmet with a strict Content-Security-Policy: scripts, styles, images and fonts only from this
 * app, no inline code at all, forms may only post here, and no one may frame the pages.
 */
export function securityHeaders(options: {
  production: boolean;
  /**
   * Other origins a form may lead to. The "Continue with …" form posts here and is redirected to
   * the OpenID Connect provider, and browsers check every hop of a form's redirects against it.
   */
  formTargets?: string[];
}) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "base-uri": ["'none'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'", ...(options.formTargets ?? [])],
        "frame-ancestors": ["'none'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "script-src": ["'self'"],
        "script-src-attr": ["'none'"],
        "style-src": ["'self'"],
        // Over plain http://localhost in development this would break every asset.
        ...(options.production ? { "upgrade-insecure-requests": [] } : {}),
      },
    },
    // HSTS only makes sense where TLS is in front; on localhost it would pin the browser to https.
    strictTransportSecurity: options.production,
  });
}
