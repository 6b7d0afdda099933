/**
 * The host's compressor (the role of crypto/deflate.c for zswap): raw deflate through node:zlib,
 * with the results for recent inputs kept. Reclaim compresses the same page contents again and
 * again (a page faulted back unchanged and swapped out again, the same pattern in another
 * process or run), and deflate is a pure function of its input and parameters: a kept result is
 * byte for byte what zlib would return, only without its cost (most of a zswap run's time). A
 * kept input is compared whole before its result is used, so nothing rests on a hash.
 */
import { deflateRawSync, type ZlibOptions } from 'node:zlib';

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
  const dst = deflateRawSync(src, options);
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
