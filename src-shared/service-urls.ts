/** The real services' API base URLs, where a target of each kind points unless told otherwise (a local peer). */

/** Slideless's API, as the Slideless CLI's PRODUCTION_BASE_URL names it (SLIDELESS_API_BASE_URL overrides it there). */
export const SLIDELESS_API_URL = 'https://europe-west1-slideless-ai.cloudfunctions.net';

/** Cloudflare's API, as wrangler's CLOUDFLARE_API_BASE_URL defaults to it. */
export const CLOUDFLARE_API_URL = 'https://api.cloudflare.com/client/v4';
