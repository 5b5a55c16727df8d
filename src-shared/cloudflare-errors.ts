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
      'Cloudflare did not accept the API token for that account. Check the token (it needs the Workers Scripts: Edit permission) and the account id.',
  },
  cloudflare_invalid_request: {
    status: 400,
    message: 'Cloudflare refused the request as malformed. Update PressDrop, or report this if it keeps happening.',
  },
  cloudflare_account_invalid: {
    status: 400,
    message:
      'Cloudflare has no account by that id. Check the account id: 32 hexadecimal characters, shown on the dashboard’s Workers page.',
  },
  cloudflare_script_name_invalid: {
    status: 400,
    message:
      'That is not a name Cloudflare takes for a Worker: use 1 to 63 lowercase letters, digits, “-” or “_”, starting with a letter or digit.',
  },
  cloudflare_not_found: {
    status: 404,
    message: 'Cloudflare answered that the address does not exist. Check the API base URL: it ends in /client/v4.',
  },
  cloudflare_too_many_files: {
    status: 400,
    message:
      'The folder has more files than Cloudflare takes in one Worker (20,000 on the free plan). Leave some out with .pressignore.',
  },
  cloudflare_asset_too_large: {
    status: 400,
    message: 'A file is larger than the 25 MiB Cloudflare takes per asset. Leave it out with .pressignore.',
  },
  cloudflare_body_too_large: {
    status: 413,
    message: 'Cloudflare refused a request as too large. Update PressDrop, or report this if it keeps happening.',
  },
  cloudflare_rate_limited: {
    status: 429,
    message: 'Cloudflare asked PressDrop to slow down, and kept asking. Wait a few minutes, then resume the deploy.',
  },
  cloudflare_unavailable: {
    status: 503,
    message:
      'Cloudflare’s API is failing or unavailable right now. Resume the deploy in a few minutes; what was uploaded stays.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

/** A Cloudflare error PressDrop has words for. */
export type CloudflareErrorCode = keyof typeof cloudflareErrors;

/** True when `code` is one of the names above. */
export function isCloudflareErrorCode(code: string): code is CloudflareErrorCode {
  return Object.hasOwn(cloudflareErrors, code);
}
