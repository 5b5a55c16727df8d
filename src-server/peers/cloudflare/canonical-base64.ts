/**
 * Decodes an upload part's base64 text, given in the pieces it arrived in,
 * and answers its bytes, or null when the text is not canonical base64
 * (padded, no line breaks, no stray characters, no bits set past the end):
 * what `Buffer#toString('base64')` gives and the asset hash is taken over.
 *
 * Canonical is what decodes and encodes back to itself. That is checked
 * piece by piece, in groups of four characters, with Node's native codec:
 * linear time (a grouped regex overflows the stack on a 25 MiB asset), and
 * no copy of the whole text: one string the size of a piece at a time, and
 * the decoded bytes written once, into the buffer that is stored.
 */
export function decodeCanonicalBase64(pieces: readonly Buffer[], length: number): Buffer | null {
  if (length % 4 !== 0) return null;
  const bytes = Buffer.allocUnsafe((length / 4) * 3);
  let written = 0;
  let carry = '';
  let padded = false;
  for (const piece of pieces) {
    // Whole groups of four now; the rest (at most three characters) goes before the next piece.
    const whole = (carry.length + piece.length) & ~3;
    if (whole === 0) {
      carry += piece.toString('latin1');
      continue;
    }
    const cut = whole - carry.length;
    const text = carry + piece.toString('latin1', 0, cut);
    carry = piece.toString('latin1', cut);
    // Padding ends the text: a group after a padded one is not canonical (the decoder would stop at it).
    if (padded) return null;
    const count = bytes.write(text, written, 'base64');
    if (bytes.toString('base64', written, written + count) !== text) return null;
    written += count;
    padded = text.endsWith('=');
  }
  return bytes.subarray(0, written);
}
