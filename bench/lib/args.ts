/** `--name value` from the command line, or `fallback` when absent. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** `--name value` as a number, or `fallback` when absent. */
export const numberArg = (name: string, fallback: number): number => Number(arg(name, String(fallback)));
