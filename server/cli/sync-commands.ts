/**
 * `maillon peer add|list|remove|status` and `maillon sync`.
 *
 * @packageDocumentation
 */
import { constants as osConstants } from 'node:os';
import { isAbsoluteIri } from '../../ontology/iri.js';
import { failureText } from '../errors/failure.js';
import type { NodeParts } from '../main.js';
import type { PeerChanges, PeerRow, SyncSummary } from '../store/federation.js';
import { normalIssuer } from '../auth/oidc.js';
import { checkPeerUrl, peerTokenProblem } from '../sync/peer-url.js';
import { inBackoff, parseInterval } from '../sync/scheduler.js';
import { subscribeFailureText } from '../sync/subscribe.js';
import { UsageError, type Io, type NodeCommandOptions } from './node-commands.js';
import { count } from './words.js';

/** Options of the peer commands. */
export interface SyncCommandOptions extends NodeCommandOptions {
  readonly token?: string | undefined;
  readonly interval?: string | undefined;
  readonly 'token-header'?: string | undefined;
  readonly 'oidc-issuer'?: string | undefined;
  readonly 'client-id'?: string | undefined;
  readonly 'client-secret'?: string | undefined;
  readonly 'refresh-token'?: string | undefined;
  readonly scope?: string | undefined;
  readonly 'no-oidc'?: boolean | undefined;
  readonly 'no-token'?: boolean | undefined;
  readonly peer?: string | undefined;
  readonly kind?: string | undefined;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd()).join('\n')}\n`;
}

async function findPeer(node: NodeParts, idOrName: string | undefined): Promise<PeerRow> {
  if (idOrName === undefined) throw new UsageError('which peer? give its id or name');
  const peer = await node.store.provenance.getPeer(idOrName);
  if (peer === undefined) throw new UsageError(`no peer ${JSON.stringify(idOrName)}`);
  return peer;
}

/** `maillon peer …`. */
export async function peerCommand(node: NodeParts, sub: string | undefined, arg: string | undefined, options: SyncCommandOptions, io: Io): Promise<number> {
  const provenance = node.store.provenance;
  switch (sub) {
    case 'add': {
      if (arg === undefined) throw new UsageError('usage: maillon peer add URL [--name N] [--token T] [--interval 5m] [--profile dfc-v2]');
      const checked = await checkPeerUrl(arg, { allowPrivate: node.config.allowPrivate, ownBase: node.store.baseUrl });
      if (!checked.ok) {
        io.err(`${checked.failure.message}\n`);
        return 1;
      }
      const interval = options.interval === undefined ? 300 : parseInterval(options.interval);
      if (interval === undefined) throw new UsageError('--interval must be like 300, 90s, 5m or 1h, at most a year');
      const profile = options.profile ?? 'dfc-v1';
      if (profile !== 'dfc-v1' && profile !== 'dfc-v2') throw new UsageError('--profile must be dfc-v1 or dfc-v2');
      const tokenProblem = options.token === undefined ? undefined : peerTokenProblem(options.token);
      if (tokenProblem !== undefined) throw new UsageError(`--token: ${tokenProblem}`);
      const header = options['token-header'] ?? 'authorization';
      if (header !== 'authorization' && header !== 'x-api-token') throw new UsageError('--token-header must be authorization or x-api-token');
      if (options.kind !== undefined && options.kind !== 'dfc' && options.kind !== 'solid') throw new UsageError('--kind must be dfc or solid');
      // Not given: a URL that answers as an LDP container or a WebID profile is a pod.
      const kind = options.kind ?? await node.detectPeerKind(checked.url);
      const name = options.name ?? new URL(checked.url).host;
      if ((await provenance.listPeers()).some((p) => p.name === name || p.url === checked.url)) {
        io.err(`a peer with this name or URL exists already\n`);
        return 1;
      }
      const peer = await provenance.addPeer({
        name, url: checked.url, kind, intervalSeconds: interval, profile, tokenHeader: header, ...(options.token !== undefined ? { token: options.token } : {}),
      }, new URL(checked.url).origin);
      io.out(`added peer ${peer.id} ${peer.name}: ${peer.url}${peer.kind === 'solid' ? ' (a Solid pod)' : ''} (every ${peer.intervalSeconds} s)\n`);
      return 0;
    }
    case 'list': {
      const peers = await provenance.listPeers();
      io.out(table([['id', 'name', 'url', 'interval', 'status', 'last success'],
        ...peers.map((p) => [String(p.id), p.name, p.url, `${p.intervalSeconds}s`, p.syncingSince !== null ? 'syncing' : p.status, p.lastSuccessAt ?? '-'])]));
      return 0;
    }
    case 'remove': {
      const peer = await findPeer(node, arg);
      await provenance.removePeer(peer.id);
      io.out(`removed peer ${peer.id} ${peer.name} and everything synced from it\n`);
      return 0;
    }
    case 'status': {
      const peers = arg === undefined ? await provenance.listPeers() : [await findPeer(node, arg)];
      io.out(`${await privatePeersLine(node)}\n`);
      for (const peer of peers) {
        const counts = await provenance.peerCounts(peer.id);
        io.out(`${peer.id} ${peer.name} ${peer.url}${peer.kind === 'solid' ? ' (a Solid pod)' : ''}\n  status ${peer.syncingSince !== null ? `syncing since ${peer.syncingSince} (last: ${peer.status})` : peer.status}, ${count(peer.failures, 'failure')} in a row, last success ${peer.lastSuccessAt ?? 'never'}, next ${peer.nextAttemptAt ?? 'now'}\n`);
        if (peer.lastError !== null) io.out(`  last error: ${peer.lastError}\n`);
        const oidc = await node.store.oidc.peerCredentials(peer.id);
        // What the credentials are, never the secrets themselves.
        if (oidc !== undefined) {
          const kind = oidc.refreshToken !== null ? 'a refresh token' : 'client credentials';
          const held = oidc.accessToken === null ? 'no access token yet' : `access token until ${oidc.expiresAt ?? 'it is refused'}`;
          io.out(`  OpenID Connect: ${kind} of client ${oidc.clientId} at ${oidc.issuer}; ${held}\n`);
        } else if (peer.token !== null) {
          io.out(`  token: set (${peer.tokenHeader})\n`);
        }
        io.out(`  resources: ${counts.active} active, ${counts.missing} missing, ${counts.withdrawn} withdrawn\n`);
        for (const q of await provenance.quarantine(peer.id)) {
          io.out(`  quarantined ${q.iri} (${q.type ?? '?'}): ${q.problems.map((p) => `${p.path} ${p.message}`).join('; ')}\n`);
        }
      }
      return 0;
    }
    case 'set': {
      const peer = await findPeer(node, arg);
      const changes = peerChanges(options);
      const oidc = options['no-oidc'] === true || options['oidc-issuer'] !== undefined || options['client-id'] !== undefined;
      if (changes === undefined && !oidc) throw new UsageError(PEER_SET_USAGE);
      let status = 0;
      if (changes !== undefined) status = await setPeer(node, peer, changes, io);
      if (oidc && status === 0) status = await setPeerCredentials(node, peer, options, io);
      return status;
    }
    case 'subscribe': {
      const peer = await findPeer(node, arg);
      const outcome = await node.subscribe(peer);
      if (!outcome.ok) {
        io.err(`cannot subscribe to ${peer.name}: ${subscribeFailureText(outcome.failure)}\n`);
        return 1;
      }
      io.out(`subscribed to ${peer.name}: ${outcome.subscription}\n`);
      return 0;
    }
    default:
      throw new UsageError('usage: maillon peer add URL [--name N] [--token T] [--interval 5m] | peer list | peer remove ID | peer status [ID] | peer subscribe ID'
        + ` | ${PEER_SET_USAGE.replace(/^usage: maillon /u, '')}`);
  }
}

/** Whether this node syncs private and loopback peers, and why: the stored setting, or this command's flag. */
async function privatePeersLine(node: NodeParts): Promise<string> {
  if ((await node.store.settings()).get('allow-private') === 'true') return 'allow-private: true (stored setting)';
  if (node.config.allowPrivate) return "allow-private: true for this command only (--allow-private or MAILLON_ALLOW_PRIVATE); 'maillon config set allow-private true' stores it";
  return "allow-private: false (private and loopback peers are refused; 'maillon config set allow-private true' allows them)";
}

function summaryRow(name: string, summary: SyncSummary | undefined, failure?: string): string[] {
  if (summary === undefined) return [name, '-', '-', '-', '-', '-', '-', '-', failure ?? ''];
  return [name, String(summary.added), String(summary.updated), String(summary.withdrawn), String(summary.quarantined),
    String(summary.unchanged), `${(summary.bytes / 1024).toFixed(0)} KiB`, `${summary.ms} ms`, 'ok'];
}

/**
 * `maillon sync [--peer N]`: syncs now and prints a summary table. Every peer, except those waiting out the
 * backoff of a failure (a peer whose sync killed the process last time is one: run from cron, this command
 * would otherwise die on it at every run); `--peer` syncs the peer named, whatever its backoff. A peer that another
 * live process (`serve`) is syncing is never synced a second time at once: its row says so (`busy`), and the exit
 * code is 1, as for any peer not synced.
 */
export async function syncCommand(node: NodeParts, options: SyncCommandOptions, io: Io): Promise<number> {
  const all = options.peer === undefined ? await node.store.provenance.listPeers() : [await findPeer(node, options.peer)];
  if (all.length === 0) {
    io.out('no peers; add one with maillon peer add URL\n');
    return 0;
  }
  const now = new Date();
  const waiting = options.peer === undefined ? all.filter((p) => inBackoff(p, now)) : [];
  const peers = all.filter((p) => !waiting.includes(p));
  const tty = process.stderr.isTTY === true;
  const done: string[] = [];
  // Ctrl-C (SIGINT), or SIGTERM (a service manager stopping the job, `kill`, a container's stop): the syncs under way
  // are given up as `serve` gives them up when it stops (their fetches end at once, nothing of them is applied, each
  // peer's previous data stays, the attempt is recorded as stopped, not as the peer's failure, and its mark is
  // cleared), the peers not started are left untouched, and the command says what was done. A mark left behind (the
  // process just killed) would count as the peer's failure at the next start. A second signal quits at once, for a
  // stop that does not come (a snapshot already being written finishes first). The exit status is the shell's for
  // the first signal: 128 + its number.
  let stopping: NodeJS.Signals | undefined;
  const interrupted = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) {
      io.err('quit: the peers being synced keep their mark; the next sync counts it as a failure\n');
      process.exit(signalStatus(stopping));
    }
    stopping = signal;
    const again = signal === 'SIGINT' ? 'Ctrl-C again quits at once' : `a second ${signal} quits at once`;
    io.err(`${tty ? '\r\u001b[K' : ''}stopping${signal === 'SIGINT' ? '' : ` (${signal})`}: giving up the syncs under way (${again})\n`);
    void node.scheduler.stop();
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  let outcomes: Awaited<ReturnType<typeof node.scheduler.runNow>>;
  try {
    outcomes = await node.scheduler.runNow(peers, (peer, progress, outcome) => {
      if (progress === 'done' && outcome?.ok === true) done.push(peer.name);
      if (!tty) return;
      if (progress === 'done') process.stderr.write(`\r\u001b[K${peer.name}: ${outcome?.ok === true ? 'done' : 'not synced'}\n`);
      else process.stderr.write(`\r\u001b[K${peer.name}: ${count(progress.pages, 'page')}, ${(progress.bytes / 1024).toFixed(0)} KiB, ${progress.queued} queued`);
    });
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  if (stopping !== undefined) {
    const left = peers.map((p) => p.name).filter((n) => !done.includes(n));
    // The peers under way may all have finished before the stop reached them: then none is named as not synced.
    io.err(`interrupted: ${done.length} of ${count(peers.length, 'peer')} finished${done.length > 0 ? ` (${done.join(', ')})` : ''}`
      + `${left.length > 0 ? `; not synced, their previous data kept: ${left.join(', ')}` : ''}\n`);
    return signalStatus(stopping);
  }
  io.out(table([
    ['peer', 'added', 'updated', 'withdrawn', 'quarantined', 'unchanged', 'bytes', 'duration', 'result'],
    ...outcomes.map((o) => (o.ok ? summaryRow(o.peer.name, o.summary) : summaryRow(o.peer.name, undefined, failureText(o.failure)
      + (o.failure.kind === 'private-address' ? "; give --allow-private, or store it: 'maillon config set allow-private true'" : '')))),
    ...waiting.map((p) => summaryRow(p.name, undefined, p.syncingSince !== null
      // A mark this start did not count as a failure: a process still running (`serve`) is syncing the peer.
      ? `not synced: already being synced by another process since ${p.syncingSince}`
      : `not synced: in backoff until ${p.nextAttemptAt ?? ''} (--peer ${p.name} forces it)`)),
  ]));
  return outcomes.every((o) => o.ok) && waiting.length === 0 ? 0 : 1;
}

/** The exit status a shell gives a command its signal ended: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 0);
}

/**
 * `maillon identity confirm SUBJECT TARGET`: the operator vouches that two products are one, so the federated
 * catalogue lists them once (an `owl:sameAs` a product or a peer declares is only a claim until both sides name
 * each other or the operator confirms it; `maillon import` confirms what it imports).
 */
export async function identityCommand(node: NodeParts, sub: string | undefined, args: readonly string[], io: Io): Promise<number> {
  const [subject, target] = args;
  if (sub !== 'confirm' || subject === undefined || target === undefined || args.length !== 2) {
    throw new UsageError('usage: maillon identity confirm SUBJECT_IRI TARGET_IRI');
  }
  for (const value of [subject, target]) {
    if (!isAbsoluteIri(value)) throw new UsageError(`not an absolute IRI: ${JSON.stringify(value)}`);
  }
  if (subject === target) throw new UsageError('a product is already the same as itself');
  await node.federation.confirmSameAs([{ subject, target }]);
  io.out(`confirmed: ${subject} owl:sameAs ${target}\n`);
  return 0;
}

const PEER_SET_USAGE = 'usage: maillon peer set ID [--token T | --no-token] [--token-header authorization|x-api-token] [--interval 5m] [--name N] [--profile dfc-v1|dfc-v2]'
  + ' | peer set ID --oidc-issuer URL --client-id C (--client-secret S | --refresh-token R) [--scope S] | peer set ID --no-oidc';

/** The changes `peer set` asks for besides OpenID Connect, or undefined when it asks for none. */
function peerChanges(options: SyncCommandOptions): PeerChanges | undefined {
  const changes: { -readonly [K in keyof PeerChanges]: PeerChanges[K] } = {};
  if (options.token !== undefined && options['no-token'] === true) throw new UsageError('give --token T or --no-token, not both');
  if (options.token !== undefined) {
    if (options.token === '') throw new UsageError('--token must not be empty (--no-token forgets the token)');
    const problem = peerTokenProblem(options.token);
    if (problem !== undefined) throw new UsageError(`--token: ${problem}`);
    changes.token = options.token;
  }
  if (options['no-token'] === true) changes.token = null;
  const header = options['token-header'];
  if (header !== undefined) {
    if (header !== 'authorization' && header !== 'x-api-token') throw new UsageError('--token-header must be authorization or x-api-token');
    changes.tokenHeader = header;
  }
  if (options.interval !== undefined) {
    const interval = parseInterval(options.interval);
    if (interval === undefined) throw new UsageError('--interval must be like 300, 90s, 5m or 1h, at most a year');
    changes.intervalSeconds = interval;
  }
  if (options.name !== undefined) {
    if (options.name.trim() === '') throw new UsageError('--name must not be empty');
    changes.name = options.name;
  }
  if (options.profile !== undefined) {
    if (options.profile !== 'dfc-v1' && options.profile !== 'dfc-v2') throw new UsageError('--profile must be dfc-v1 or dfc-v2');
    changes.profile = options.profile;
  }
  return Object.keys(changes).length === 0 ? undefined : changes;
}

/** `maillon peer set ID --token …`: changes what is sent to a peer and when, keeping what was synced from it. */
async function setPeer(node: NodeParts, peer: PeerRow, changes: PeerChanges, io: Io): Promise<number> {
  if (changes.name !== undefined && (await node.store.provenance.listPeers()).some((p) => p.name === changes.name && p.id !== peer.id)) {
    io.err(`another peer is named ${changes.name}\n`);
    return 1;
  }
  const updated = await node.store.provenance.updatePeer(peer.id, changes);
  if (updated === undefined) {
    io.err(`peer ${peer.name} is gone\n`);
    return 1;
  }
  const said = [
    ...(changes.name !== undefined ? [`name ${updated.name}`] : []),
    ...(changes.token !== undefined ? [changes.token === null ? 'no token' : `token set (${updated.tokenHeader})`] : changes.tokenHeader !== undefined ? [`token header ${updated.tokenHeader}`] : []),
    ...(changes.intervalSeconds !== undefined ? [`every ${updated.intervalSeconds} s`] : []),
    ...(changes.profile !== undefined ? [`profile ${updated.profile}`] : []),
  ];
  io.out(`peer ${updated.id} ${updated.name}: ${said.join(', ')}\n`);
  return 0;
}

/**
 * `maillon peer set ID --oidc-issuer URL --client-id C (--client-secret S | --refresh-token R) [--scope S]`: the node
 * gets its access tokens for the peer itself; `--no-oidc` forgets them.
 */
async function setPeerCredentials(node: NodeParts, peer: PeerRow, options: SyncCommandOptions, io: Io): Promise<number> {
  if (options['no-oidc'] === true) {
    const removed = await node.store.oidc.clearPeerCredentials(peer.id);
    io.out(removed ? `peer ${peer.name}: OpenID Connect credentials removed\n` : `peer ${peer.name} had no OpenID Connect credentials\n`);
    return 0;
  }
  const usage = 'usage: maillon peer set ID --oidc-issuer URL --client-id C (--client-secret S | --refresh-token R) [--scope S]';
  const issuerGiven = options['oidc-issuer'];
  const clientId = options['client-id'];
  if (issuerGiven === undefined || clientId === undefined || clientId === '') throw new UsageError(usage);
  const issuer = normalIssuer(issuerGiven);
  if (issuer === undefined) throw new UsageError(`--oidc-issuer must be an http(s) URL or a preset, not ${issuerGiven}`);
  const secret = options['client-secret'] ?? null;
  const refreshToken = options['refresh-token'] ?? null;
  if (secret === null && refreshToken === null) throw new UsageError(`give --client-secret (client credentials) or --refresh-token (a user's); ${usage}`);
  await node.store.oidc.setPeerCredentials({ peerId: peer.id, issuer, clientId, clientSecret: secret, refreshToken, scope: options.scope ?? null });
  io.out(`peer ${peer.name}: access tokens from ${issuer} (client ${clientId}, ${refreshToken !== null ? 'refresh token' : 'client credentials'})\n`);
  return 0;
}
