/**
 * A one-line progress bar on a terminal; silent when standard error is not a TTY (logs, CI, pipes).
 *
 * @packageDocumentation
 */

/** Builds a progress callback for `label`, or undefined when there is no terminal to draw on. */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ((done: number, total: number) => void) | undefined {
  if (stream.isTTY !== true) return undefined;
  return (done, total) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    stream.write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) stream.write('\n');
  };
}
