/**
 * The page count of a PDF our printers made: the `/Count` of its page tree's
 * root, which counts every page below it. Chromium's writer (Skia) keeps
 * page-tree dictionaries uncompressed; a PDF whose tree is hidden in an
 * object stream reads as 0 pages rather than a wrong number.
 */
export function pdfPageCount(pdf: Uint8Array): number {
  const text = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength).toString('latin1');
  let count = 0;
  // Every /Type /Pages dictionary; the root's /Count is the largest, since it counts its children's pages too.
  for (const match of text.matchAll(/<<((?:(?!>>)[\s\S])*?\/Type\s*\/Pages\b(?:(?!>>)[\s\S])*?)>>/g)) {
    const found = /\/Count\s+(\d+)/.exec(match[1]!);
    if (found) count = Math.max(count, Number(found[1]));
  }
  return count;
}
