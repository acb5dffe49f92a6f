/**
 * Python 3's `str.strip()` with no arguments. It strips the characters for
 * which `str.isspace()` is true, which is not JavaScript's `trim()` set:
 * Python strips U+001C..U+001F and U+0085 and keeps U+FEFF (the BOM), JS does
 * the opposite. The set below was printed by python3 (3.11) itself:
 * `[hex(c) for c in range(0x110000) if chr(c).isspace()]`.
 */
const PY_WHITESPACE = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
] as const;

/** The highest whitespace code; every one is in the BMP, so UTF-16 units suffice. */
const LAST_SPACE = 0x3000;
/** 1 at the index of each whitespace code unit: one array load per test (12 KiB). */
const IS_SPACE = new Uint8Array(LAST_SPACE + 1);
for (const c of PY_WHITESPACE) IS_SPACE[c] = 1;

export function isPythonSpace(code: number): boolean {
  return code <= LAST_SPACE && IS_SPACE[code] === 1;
}

/** Returns `s` itself (no copy) when there is nothing to strip. */
export function pythonStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPythonSpace(s.charCodeAt(start))) start++;
  while (end > start && isPythonSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}
