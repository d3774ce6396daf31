/**
 * `maillon` as a real child process (signals, exit codes, a port really taken need one), its output collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** A running `maillon` command. */
export interface MaillonProcess {
  readonly child: ChildProcess;
  /** Standard output and error so far. */
  out(): string;
  err(): string;
  /** How it ended: its exit code, or the signal that killed it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The URL `serve` says it listens on, once it says so; rejects if the process ends first. */
  listening(): Promise<string>;
}

/**
 * Starts `maillon ARGS` from the sources (tsx), logs silent unless `env` says otherwise.
 *
 * @param args - the words after `maillon`
 * @param env - variables added to this process's environment
 */
export function spawnMaillon(args: readonly string[], env: NodeJS.ProcessEnv = {}): MaillonProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/cli/bin.ts'), ...args], {
    cwd: ROOT, env: { ...process.env, MAILLON_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const heard: (() => void)[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const listener of heard) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return {
    child, exited, out: () => out, err: () => err,
    listening: () => new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const url = /listening on (http:\/\/\S+?),/u.exec(out)?.[1];
        if (url !== undefined) resolve(url);
      };
      heard.push(check);
      check();
      void exited.then(({ code, signal }) => reject(new Error(`maillon ${args.join(' ')} ended (${String(code ?? signal)}) before listening: ${out}${err}`)));
    }),
  };
}

/** Runs `maillon ARGS` to its end. */
export async function runMaillon(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  const running = spawnMaillon(args, env);
  const { code } = await running.exited;
  return { code, out: running.out(), err: running.err() };
}
