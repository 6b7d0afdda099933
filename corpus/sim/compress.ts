/**
 * The host's compressor (the role of crypto/deflate.c for zswap): raw deflate through node:zlib,
 * with the results for recent inputs kept. Reclaim compresses the same page contents again and
 * again (a page faulted back unchanged and swapped out again, the same pattern in another
 * process or run), and deflate is a pure function of its input and parameters: a kept result is
 * byte for byte what zlib would return, only without its cost (most of a zswap run's time). A
 * kept input is compared whole before its result is used, so nothing rests on a hash.
 *
 * A new input is compressed by one zlib stream per parameter set, reset after each use
 * (deflateReset(), which zlib documents as equivalent to deflateEnd() then deflateInit() with
 * the same parameters, without freeing and allocating its state again): the same bytes as
 * deflateRawSync(), which builds a stream object and zlib's state (hundreds of KiB, zeroed) for
 * every call, a third of the time of a page's compression. The stream is driven through its
 * handle as deflateRawSync() itself drives it; a node whose zlib objects lack that handle, or
 * whose reused stream gives other bytes than deflateRawSync() for a probe input, gets
 * deflateRawSync() for every call.
 */
import { deflateRawSync, createDeflateRaw, constants as zlib_constants, type DeflateRaw, type ZlibOptions } from 'node:zlib';

interface Kept {
  src: Uint8Array;
  dst: Buffer;
}

/** Inputs kept (about 6 KiB each with their results): beyond this the table starts again. */
const MAX_KEPT = 8192;

const tables = new Map<string, Map<number, Kept[]>>();
let kept = 0;

/** FNV-1a over the bytes: which bucket an input is looked up in. */
function bucket_of(src: Uint8Array): number {
  let h = 0x811c9dc5;
  if ((src.byteOffset & 3) === 0 && (src.length & 3) === 0) {
    const words = new Uint32Array(src.buffer, src.byteOffset, src.length >>> 2);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  } else {
    for (let i = 0; i < src.length; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  }
  return h >>> 0;
}

function same_bytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * deflateRawSync(src, options), remembered. The result is shared between calls with equal
 * input: callers read it (its length, a copy into memory) and never write it.
 */
export function deflate_raw(src: Uint8Array, options: ZlibOptions): Buffer {
  const key = `${options.level}/${options.windowBits}/${options.memLevel}/${options.strategy}`;
  let table = tables.get(key);
  if (!table) tables.set(key, (table = new Map()));
  const h = bucket_of(src);
  const list = table.get(h);
  if (list) for (const k of list) if (same_bytes(k.src, src)) return k.dst;
  const dst = compress(key, src, options);
  if (kept >= MAX_KEPT) {
    for (const t of tables.values()) t.clear();
    kept = 0;
  }
  const entry = { src: src.slice(), dst };
  const again = table.get(h);
  if (again) again.push(entry);
  else table.set(h, [entry]);
  kept++;
  return dst;
}

/**
 * The native stream behind a node:zlib object (an internal, read defensively): writeSync() runs
 * deflate() over the input into the output and leaves [avail_out, avail_in] in the object's
 * `_writeState`; reset() is deflateReset().
 */
interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}

/** A reusable raw-deflate stream: the stream, its native handle and [avail_out, avail_in], an output buffer. */
interface Engine {
  stream: DeflateRaw;
  handle: ZlibHandle;
  state: Uint32Array;
  out: Buffer;
  /** zlib reported an error (the stream destroys itself then): never used again. */
  broken: boolean;
}

/** Per parameter set: its engine, or null where deflateRawSync() is used instead. */
const engines = new Map<string, Engine | null>();

/**
 * Output room: deflate's worst case for an input of a page (stored blocks: a few bytes per 16 KiB
 * block over the input) fits many times over; a larger result falls back to deflateRawSync().
 */
const OUT_BYTES = 64 * 1024;

/** deflateRawSync(src, options), through the parameter set's reused stream when it has one. */
function compress(key: string, src: Uint8Array, options: ZlibOptions): Buffer {
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = open_engine(options);
    engines.set(key, engine);
  }
  if (engine) {
    const dst = engine_deflate(engine, src);
    if (dst) return dst;
    if (engine.broken) engines.set(key, null);
  }
  return deflateRawSync(src, options);
}

/**
 * One compression on the engine, its stream reset afterwards; null when the result did not fit
 * the output buffer or zlib reported an error (the caller then asks deflateRawSync()).
 */
function engine_deflate(e: Engine, src: Uint8Array): Buffer | null {
  try {
    e.handle.writeSync(zlib_constants.Z_FINISH, src, 0, src.length, e.out, 0, e.out.length);
  } catch {
    e.broken = true;
  }
  // zlib's errors reach the stream, which destroys itself, while writeSync() runs.
  if (e.broken || e.stream.destroyed) {
    e.broken = true;
    return null;
  }
  const availOut = e.state[0]!;
  const availIn = e.state[1]!;
  // Z_FINISH with room left over and no input left: the stream ended, the whole result is here.
  const dst = availOut > 0 && availIn === 0 ? Buffer.from(e.out.subarray(0, e.out.length - availOut)) : null;
  e.handle.reset();
  return dst;
}

/** A raw-deflate stream for the options whose reuse gives deflateRawSync()'s bytes, or null. */
function open_engine(options: ZlibOptions): Engine | null {
  let engine: Engine;
  try {
    const stream = createDeflateRaw(options);
    const inner = stream as unknown as { _handle?: ZlibHandle | null; _writeState?: unknown };
    const handle = inner._handle;
    const state = inner._writeState;
    if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || state.length < 2) return null;
    // Its 'error' event comes a tick later: listened to only so that it is not an uncaught error.
    stream.on('error', () => {});
    engine = { stream, handle, state, out: Buffer.alloc(OUT_BYTES), broken: false };
  } catch {
    return null;
  }
  // The probe: compressible and incompressible bytes and nothing, a stream reset between each.
  const probe = new Uint8Array(8192);
  let x = 0x2545f491;
  for (let i = 0; i < probe.length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    probe[i] = i < 4096 ? (i * 7) & 0x3f : x & 0xff;
  }
  for (const input of [probe, probe.subarray(4096), probe.subarray(0, 0), probe, probe.subarray(0, 4096)]) {
    const got = engine_deflate(engine, input);
    if (!got || !got.equals(deflateRawSync(input, options))) return null;
  }
  return engine;
}

/** Whether inputs new to the table are compressed by a reused stream for these options (tests ask). */
export function deflate_engine_ready(options: ZlibOptions): boolean {
  const key = `${options.level}/${options.windowBits}/${options.memLevel}/${options.strategy}`;
  if (!engines.has(key)) engines.set(key, open_engine(options));
  return engines.get(key) !== null;
}
