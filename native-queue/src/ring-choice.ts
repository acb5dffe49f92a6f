import { MpscRing } from './mpsc-ring.js';
import { NativeMpscRing } from './native/native-mpsc-ring.js';
import { NativeSpmcRing } from './native/native-spmc-ring.js';
import type { AttachOptions } from './ring-core.js';
import type { MpscRingHandle, SpmcRingHandle } from './ring-handles.js';
import { SpmcRing } from './spmc-ring.js';

/**
 * Which language runs a ring's algorithm in this thread: the JavaScript rings
 * (the default) or their C++ twins (the optional addon). Both share one
 * buffer layout, so each thread may choose on its own.
 */
export type RingImplementation = 'js' | 'native';

export const RING_IMPLEMENTATIONS: readonly RingImplementation[] = ['js', 'native'];

/** SpmcRing.attach or NativeSpmcRing.attach (which throws "native queue unavailable: ..." without the addon). */
export function attachSpmcRing(impl: RingImplementation | undefined, buffer: SharedArrayBuffer, options: AttachOptions = {}): SpmcRingHandle {
  return impl === 'native' ? NativeSpmcRing.attach(buffer, options) : SpmcRing.attach(buffer, options);
}

export function attachMpscRing(impl: RingImplementation | undefined, buffer: SharedArrayBuffer, options: AttachOptions = {}): MpscRingHandle {
  return impl === 'native' ? NativeMpscRing.attach(buffer, options) : MpscRing.attach(buffer, options);
}
