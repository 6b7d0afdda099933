/** A progress bar for long commands (track, start), drawn on stderr when it is a terminal. */

/**
 * A one-line bar redrawn with \r: a single counter needs no dependency (cli-progress would
 * bring its own rendering and terminal handling for what is ten lines here).
 */
export function progressBar(stream: NodeJS.WriteStream): { update(done: number, total: number, label: string): void; end(): void } {
  let drawn = false;
  return {
    update(done, total, label) {
      const width = 30;
      const fill = Math.round((done / total) * width);
      const cols = stream.columns ?? 80;
      const text = `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done}/${total} ${label}`;
      stream.write(`\r${text.slice(0, cols - 1).padEnd(Math.min(cols - 1, text.length + 10))}`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write(`\r${' '.repeat((stream.columns ?? 80) - 1)}\r`);
    },
  };
}
