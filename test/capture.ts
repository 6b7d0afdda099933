/**
 * Capture what the CLI prints, for tests that run its main() in-process. Call once at the top of a
 * file or a describe(): every test starts with empty output and no exit code, and the real
 * streams come back afterwards.
 */
import { afterEach, beforeEach, vi } from 'vitest';

export interface CapturedOutput {
  out: string;
  err: string;
  reset(): void;
}

export function captureOutput(): CapturedOutput {
  const io: CapturedOutput = {
    out: '',
    err: '',
    reset() { io.out = ''; io.err = ''; },
  };
  beforeEach(() => {
    io.reset();
    process.exitCode = undefined;
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { io.out += String(s); return true; });
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { io.err += String(s); return true; });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  return io;
}
