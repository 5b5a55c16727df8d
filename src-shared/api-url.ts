/**
 * Where PressDrop may send an API key. Over plain `http://` the key crosses
 * the network in clear text; that is fine only when the server is this
 * machine (loopback). The CLI and the app refuse anything else unless the
 * user allows it on purpose (`--insecure-http`, or the app's checkbox).
 */

/** Whether `hostname` (as a URL gives it: IPv6 in brackets) names this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Why an API URL would expose the key, as the end of a sentence ("http://… sends …"),
 * or null when it does not: `https:`, or `http:` to loopback.
 */
export function plainHttpProblem(protocol: string, hostname: string): string | null {
  if (protocol !== 'http:' || isLoopbackHost(hostname)) return null;
  return `sends the API key unencrypted to ${hostname}, where anyone on the network path can read it`;
}
