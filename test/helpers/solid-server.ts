/**
 * A real Community Solid Server for the tests, in a child process on a loopback port: started, its logs kept,
 * killed afterwards. See solid-server-child.ts for why it is not started through its own command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A running server. */
export interface SolidServer {
  /** Its base URL, with a final slash. */
  readonly url: string;
  readonly child: ChildProcess;
  /** What it wrote so far (warnings and errors). */
  logs(): string;
  /** Stops it (SIGTERM, then SIGKILL after a while). */
  stop(): Promise<void>;
}

/** Options: the CSS configuration file in its `config/` folder, and the root folder of a file-backed one. */
export interface SolidServerOptions {
  readonly config?: 'default.json' | 'file.json' | string;
  readonly rootFilePath?: string;
  /**
   * The host name of its base URL: `127.0.0.1` (default), or `localhost`, which a pod needs for logins: CSS
   * verifies a WebID only when it is https or http on localhost.
   */
  readonly hostname?: '127.0.0.1' | 'localhost';
  /** How long it may take to start (ms). */
  readonly timeout?: number;
}

/** A free loopback port, asked of the system. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a Community Solid Server and resolves once it answers. */
export async function startSolidServer(options: SolidServerOptions = {}): Promise<SolidServer> {
  const port = await freePort();
  const args = ['--import', 'tsx', join(import.meta.dirname, 'solid-server-child.ts'), String(port), options.config ?? 'default.json'];
  if (options.rootFilePath !== undefined) args.push(options.rootFilePath);
  const url = `http://${options.hostname ?? '127.0.0.1'}:${port}/`;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CSS_BASE_URL: url } });
  let logs = '';
  child.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CSS did not start in time:\n${logs}`)), options.timeout ?? 45_000);
    const check = (): void => {
      if (logs.includes('CSS listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`CSS ended before it started:\n${logs}`));
    });
  });
  return {
    url, child, logs: () => logs,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** An account made through CSS 7's account API: its pod, WebID and client credentials. */
export interface SolidAccount {
  readonly podUrl: string;
  readonly webId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * Creates an account with an email and password, a pod named `name`, and client credentials for its WebID,
 * all through the JSON account API (`/.account/`).
 */
export async function createAccount(server: SolidServer, name: string): Promise<SolidAccount> {
  const created = await json(await fetch(`${server.url}.account/account/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
  const authorization = `CSS-Account-Token ${String(created['authorization'])}`;
  const headers = { authorization, 'content-type': 'application/json' };
  const controls = (await json(await fetch(`${server.url}.account/`, { headers: { authorization } })))['controls'] as Record<string, Record<string, string>>;
  const account = controls['account'] ?? {};
  const password = controls['password'] ?? {};
  await json(await fetch(password['create'] ?? '', { method: 'POST', headers, body: JSON.stringify({ email: `${name}@example.org`, password: 'correct horse battery' }) }));
  const pod = await json(await fetch(account['pod'] ?? '', { method: 'POST', headers, body: JSON.stringify({ name }) }));
  const webId = String(pod['webId']);
  const credentials = await json(await fetch(account['clientCredentials'] ?? '', { method: 'POST', headers, body: JSON.stringify({ name: `${name}-token`, webId }) }));
  return { podUrl: String(pod['pod']), webId, clientId: String(credentials['id']), clientSecret: String(credentials['secret']) };
}
