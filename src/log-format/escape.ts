/**
 * Makes a message safe for a one-line, `|`-separated log record and for a
 * terminal: backslash, CR, LF, tab and `|` get short escapes; every other
 * control character (C0, DEL, C1 including U+009B CSI, which terminals treat
 * like ESC [) and the Unicode line/paragraph separators become \xNN or
 * \u{NNNN}. So a record is always one line, always five columns, and `cat`
 * of the log cannot move a cursor or recolour a terminal.
 */
function needsEscape(c: number): boolean {
  return c < 0x20 || c === 0x7c || c === 0x5c || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
}

export function escapeLogField(s: string): string {
  let i = 0;
  while (i < s.length && !needsEscape(s.charCodeAt(i))) i++;
  if (i === s.length) return s; // the common case: nothing to do, no allocation
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!needsEscape(c)) { out += s[i]; continue; }
    switch (c) {
      case 0x5c: out += '\\\\'; break;
      case 0x7c: out += '\\|'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      default:
        out += c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u{${c.toString(16)}}`;
    }
  }
  return out;
}
