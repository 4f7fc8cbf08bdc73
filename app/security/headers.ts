import helmet from "helmet";

/**
 * helmet with a strict Content-Security-Policy: scripts, styles, images and fonts only from this
 * app, no inline code at all, forms may only post here, and no one may frame the pages.
 */
export function securityHeaders(options: { production: boolean }) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "base-uri": ["'none'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "form-action": ["'self'"],
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
