export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

export interface PrimeCount {
  readonly count: number;
  readonly prime: boolean;
}

/**
 * The original job: how many times does the last character occur? A
 * character is a Unicode code point, as in Python: an astral character such
 * as U+1F600 is one character (two UTF-16 units), and counting units would be
 * wrong twice over (U+1F600 and U+10600 share the low surrogate U+DE00). A
 * combining mark is a character of its own. Precondition: `s` is non-empty.
 */
export function primeCount(s: string): PrimeCount {
  let end = s.length - 1;
  let last = s.charCodeAt(end);
  // A low surrogate preceded by a high one: the last character is astral.
  if (last >= 0xdc00 && last <= 0xdfff && end > 0) {
    const high = s.charCodeAt(end - 1);
    if (high >= 0xd800 && high <= 0xdbff) {
      end--;
      last = s.codePointAt(end)!;
    }
  }
  let count = 0;
  if (last <= 0xffff) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      // A matching unit counts unless it is half of a surrogate pair
      // (possible only when `last` itself is a lone surrogate).
      if (c === last && !isPairedHalf(s, i, c)) count++;
    }
  } else {
    const high = s.charCodeAt(end);
    const low = s.charCodeAt(end + 1);
    for (let i = 0; i < s.length - 1; i++) {
      if (s.charCodeAt(i) === high && s.charCodeAt(i + 1) === low) count++;
    }
  }
  return { count, prime: isPrime(count) };
}

function isPairedHalf(s: string, i: number, c: number): boolean {
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff;
  }
  if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
    const prev = s.charCodeAt(i - 1);
    return prev >= 0xd800 && prev <= 0xdbff;
  }
  return false;
}
