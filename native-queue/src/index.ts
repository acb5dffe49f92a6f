export { SpmcRing } from './spmc-ring.js';
export { MpscRing } from './mpsc-ring.js';
export type { AttachOptions, CreateOptions, WaitResult } from './ring-core.js';
export type { RecordVisitor } from './record-visitor.js';
export { type RingStats, type SideStats, readStats } from './stats.js';
export { HEADER_BYTES, DEFAULT_MAX_PAYLOAD, recordSize, bufferBytes } from './layout.js';
export { copyBytes } from './copy-bytes.js';
