/**
 * The few WebAssembly JS-API members the kernels use, typed here because the
 * project compiles with lib ES2022 (no DOM types) and @types/node 20 does not
 * declare `WebAssembly`. Read from globalThis, so a runtime without it (e.g.
 * node --jitless) gets `undefined` rather than a ReferenceError.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmApi {
  Memory: new (desc: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

export const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
