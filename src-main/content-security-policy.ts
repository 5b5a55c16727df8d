/**
 * The Content-Security-Policy of every renderer page: only our own scripts
 * and styles, no eval, no inline script, no plugins, no framing, and no
 * network at all (the renderer talks to main over IPC, never to a server).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
