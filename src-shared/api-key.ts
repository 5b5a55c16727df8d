/**
 * The shape of a Press Cloud API key as PressDrop accepts one from a user:
 * the add-target form checks it as the user types, and main's IPC schema
 * checks it again. (Servers mint theirs with 16 or more characters after
 * the prefix; 8 keeps room for hand-made keys of other servers.)
 */
export const API_KEY_PATTERN = /^pcak_[A-Za-z0-9_-]{8,200}$/;
