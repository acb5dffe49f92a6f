/**
 * Loads the optional C++ addon, once per thread, and says plainly why when it
 * cannot: the JavaScript rings never need it, so a missing compiler must not
 * break anything but the native rings themselves.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as layout from '../layout.js';
import type { NativeAddon } from './addon-types.js';

/** Where `npm run build:native` (node-gyp in native-queue/native) puts the addon. */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/ringpool_native.node', import.meta.url));

export type NativeQueueStatus =
  | { readonly available: true; readonly path: string }
  /** `built`: the file exists (so the failure is a real defect, not an optional part left out). */
  | { readonly available: false; readonly built: boolean; readonly path: string; readonly reason: string };

let loaded: { readonly status: NativeQueueStatus; readonly addon: NativeAddon | null } | null = null;

/**
 * A stale build after a change of layout.ts would corrupt rings silently:
 * every constant the addon was compiled with must equal layout.ts's.
 */
function layoutMismatch(addon: NativeAddon): string | null {
  const ours = layout as unknown as Readonly<Record<string, unknown>>;
  for (const [name, value] of Object.entries(addon.layout)) {
    if (ours[name] !== value) return `${name} is ${value} in the addon, ${String(ours[name])} in layout.ts`;
  }
  return null;
}

function load(): { readonly status: NativeQueueStatus; readonly addon: NativeAddon | null } {
  if (loaded !== null) return loaded;
  const path = NATIVE_ADDON_PATH;
  if (!existsSync(path)) {
    loaded = {
      status: {
        available: false, built: false, path,
        reason: `the addon is not built (no ${path}); build it with "npm run build:native" (needs a C++20 compiler, make and python3)`,
      },
      addon: null,
    };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const mismatch = layoutMismatch(addon);
    if (mismatch !== null) {
      throw new Error(`it was built for another ring layout (${mismatch}); rebuild it with "npm run build:native"`);
    }
    loaded = { status: { available: true, path }, addon };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    loaded = { status: { available: false, built: true, path, reason: `the addon at ${path} cannot be used: ${message}` }, addon: null };
  }
  return loaded;
}

/** Whether the C++ rings can be used in this process, and if not, why. Never throws. */
export function nativeQueueStatus(): NativeQueueStatus {
  return load().status;
}

/** The addon, or an Error starting "native queue unavailable:" with the reason. */
export function nativeAddon(): NativeAddon {
  const { status, addon } = load();
  if (addon === null) throw new Error(`native queue unavailable: ${status.available ? 'unknown' : status.reason}`);
  return addon;
}
