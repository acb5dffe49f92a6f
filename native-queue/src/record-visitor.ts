/**
 * Receives one record without copying it: the payload is
 * `data[index, index + length)`. The bytes belong to the ring again as soon
 * as the call returns, so a visitor must copy what it wants to keep and must
 * not hold on to `data.subarray(...)` views.
 */
export type RecordVisitor = (data: Uint8Array, index: number, length: number) => void;
