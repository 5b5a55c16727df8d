/**
 * What Cloudflare's API refuses, as PressDrop names it: Cloudflare answers
 * `{success: false, errors: [{code, message}]}` with numeric codes; its
 * adapter (src-core/targets/cloudflare) maps the ones a deploy meets to
 * these names, with the sentence a user can act on. A numeric code not
 * mapped passes on with Cloudflare's own message.
 */
export const cloudflareErrors = {
  cloudflare_unauthorized: {
    status: 403,
    message:
      'Cloudflare did not accept the API token for that account. Check CLOUDFLARE_API_TOKEN (it needs Workers Scripts: Edit) and CLOUDFLARE_ACCOUNT_ID.',
  },
  cloudflare_invalid_request: {
    status: 400,
    message: 'Cloudflare refused the request as malformed. Update PressDrop, or report this if it keeps happening.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

/** A Cloudflare error PressDrop has words for. */
export type CloudflareErrorCode = keyof typeof cloudflareErrors;

/** True when `code` is one of the names above. */
export function isCloudflareErrorCode(code: string): code is CloudflareErrorCode {
  return Object.hasOwn(cloudflareErrors, code);
}
