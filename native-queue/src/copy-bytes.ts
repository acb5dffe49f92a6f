/**
 * Copies `length` bytes without allocating. `TypedArray.prototype.set` takes
 * a whole array as its source, so copying a slice with it needs a
 * `subarray()` view: an object per call. Short records (the common case: a
 * request of a few dozen bytes) are copied byte by byte instead; long ones
 * pay for the view, which is then small next to the copy itself.
 */
const LOOP_COPY_MAX = 64;

export function copyBytes(src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, length: number): void {
  if (length <= LOOP_COPY_MAX) {
    for (let i = 0; i < length; i++) dst[dstStart + i] = src[srcStart + i]!;
  } else {
    dst.set(src.subarray(srcStart, srcStart + length), dstStart);
  }
}
