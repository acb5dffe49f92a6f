/** The original server reads one `recv(1024)`: that is the whole message. */
export const SEED_MAX_MESSAGE = 1024;

/**
 * End (exclusive) of the seed message in the first chunk read from a
 * connection: at most 1024 bytes, and it stops at a first `\n` (JMeter's EOL
 * byte), which str.strip() would remove anyway.
 */
export function seedMessageEnd(firstChunk: Buffer): number {
  const limit = Math.min(firstChunk.length, SEED_MAX_MESSAGE);
  // Search only the message's bytes: a large first chunk is not scanned.
  const nl = firstChunk.subarray(0, limit).indexOf(0x0a);
  return nl >= 0 ? nl : limit;
}
