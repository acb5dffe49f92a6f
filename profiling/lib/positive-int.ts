/** A command-line option that must be a positive whole number (seconds, threads, counts). */
export function positiveInt(flag: string, raw: string | undefined, fallback: number, usage: (message: string) => never): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) usage(`--${flag} must be a positive whole number, got "${raw}"`);
  return n;
}
