/**
 * The order of file and folder names: by Unicode code point, as `ls` sorts them in the C locale, as Linux's
 * readdir comes (libuv sorts by strcmp on the UTF-8 bytes) and as Python's sorted() does — so class numbers
 * match torchvision's ImageFolder on the same folders. JavaScript's `<` compares UTF-16 code units instead,
 * which puts U+10000 and above (a surrogate pair, 0xD800–0xDBFF first) before U+E000–U+FFFF (the full-width
 * letters, for one).
 */
export function byCodePoint(a: string, b: string): number {
  const common = Math.min(a.length, b.length);
  for (let k = 0; k < common; k++) {
    // Equal so far, so k is at the same place in both: a pair's high half, its low half, or a unit of its own.
    const x = a.codePointAt(k)!;
    const y = b.codePointAt(k)!;
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}
