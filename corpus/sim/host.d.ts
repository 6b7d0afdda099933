/**
 * The host: the little of Node.js the corpus uses, declared here so that the corpus is a
 * self-contained project (its libc, in kernel terms). A copy of the corpus anywhere, with no
 * node_modules above it, type-checks and analyzes exactly like the bundled one; tsconfig.json
 * says `"types": []` so that an @types/node found above a copy can never change that.
 * Keep to what the corpus calls: a new use of Node is declared here first.
 */

type HostEncoding = 'utf8' | 'utf-8' | 'hex' | 'base64' | 'latin1' | 'binary' | 'ascii';

/** Node's Buffer: a Uint8Array with a few helpers (sim/memory.ts, mm/zsmalloc.ts, mm/zswap.ts). */
interface Buffer extends Uint8Array {
  compare(target: Uint8Array, targetStart?: number, targetEnd?: number, sourceStart?: number, sourceEnd?: number): -1 | 0 | 1;
  equals(other: Uint8Array): boolean;
  toString(encoding?: HostEncoding, start?: number, end?: number): string;
}

interface BufferConstructor {
  /** A view of the same memory (no copy). */
  from(arrayBuffer: ArrayBufferLike, byteOffset?: number, length?: number): Buffer;
  from(text: string, encoding?: HostEncoding): Buffer;
  from(bytes: ArrayLike<number>): Buffer;
  alloc(size: number, fill?: number): Buffer;
  concat(list: readonly Uint8Array[], totalLength?: number): Buffer;
}

declare var Buffer: BufferConstructor;

/** WHATWG TextEncoder (a Node global): UTF-8 bytes of a string. */
declare class TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
}

interface HostWriteStream {
  write(chunk: string | Uint8Array): boolean;
  /** A write failed asynchronously, e.g. EPIPE when the reader (`| head`) went away. */
  on(event: 'error', listener: (err: { code?: string }) => void): HostWriteStream;
}

/** Standard input, read as text (sim/main.ts --serve). */
interface HostReadStream {
  setEncoding(encoding: HostEncoding): HostReadStream;
  on(event: 'data', listener: (chunk: string) => void): HostReadStream;
}

/** What sim/main.ts uses of `process`: input and output, exit codes. */
declare var process: {
  readonly stdin: HostReadStream;
  readonly stdout: HostWriteStream;
  readonly stderr: HostWriteStream;
  exitCode: number | string | undefined;
  exit(code?: number): never;
};

declare module 'node:crypto' {
  type BinaryToTextEncoding = 'hex' | 'base64' | 'base64url' | 'latin1';
  interface Hash {
    update(data: string | Uint8Array): Hash;
    digest(): Buffer;
    digest(encoding: BinaryToTextEncoding): string;
    /** A copy of the state so far (the original can go on). */
    copy(): Hash;
  }
  function createHash(algorithm: string): Hash;
}

declare module 'node:zlib' {
  interface ZlibOptions {
    level?: number;
    windowBits?: number;
    memLevel?: number;
    strategy?: number;
    chunkSize?: number;
  }
  type InputType = string | ArrayBuffer | Uint8Array;
  function deflateRawSync(buf: InputType, options?: ZlibOptions): Buffer;
  /** A raw-deflate stream (sim/compress.ts reaches its native handle, defensively). */
  interface DeflateRaw {
    readonly destroyed: boolean;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  function createDeflateRaw(options?: ZlibOptions): DeflateRaw;
  function inflateRawSync(buf: InputType, options?: ZlibOptions): Buffer;
  const constants: {
    readonly Z_NO_COMPRESSION: number;
    readonly Z_BEST_SPEED: number;
    readonly Z_BEST_COMPRESSION: number;
    readonly Z_DEFAULT_COMPRESSION: number;
    readonly Z_DEFAULT_STRATEGY: number;
    readonly Z_FILTERED: number;
    readonly Z_HUFFMAN_ONLY: number;
    readonly Z_RLE: number;
    readonly Z_FIXED: number;
    readonly Z_FINISH: number;
  };
}

declare module 'node:util' {
  interface ParseArgsOptionConfig {
    type: 'string' | 'boolean';
    short?: string;
    multiple?: boolean;
    default?: string | boolean | string[] | boolean[];
  }
  interface ParseArgsConfig {
    args?: string[];
    options?: Record<string, ParseArgsOptionConfig>;
    strict?: boolean;
    allowPositionals?: boolean;
  }
  /** The value of one option: its type, an array with `multiple`, undefined unless it has a default. */
  type OptionValue<O extends ParseArgsOptionConfig> =
    | (O['type'] extends 'string' ? (O extends { multiple: true } ? string[] : string) : (O extends { multiple: true } ? boolean[] : boolean))
    | (O extends { default: unknown } ? never : undefined);
  type ParsedValues<T extends ParseArgsConfig> = T['options'] extends Record<string, ParseArgsOptionConfig>
    ? { -readonly [K in keyof T['options']]: OptionValue<T['options'][K]> }
    : Record<string, never>;
  function parseArgs<const T extends ParseArgsConfig>(config?: T): { values: ParsedValues<T>; positionals: string[] };
}
