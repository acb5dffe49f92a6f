import { copyBytes } from 'native-queue';

/** An unframed answer (seed, line): its bytes, copied out of the ring once. */
export function copyAnswer(src: Uint8Array, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  copyBytes(src, start, out, 0, end - start);
  return out;
}
