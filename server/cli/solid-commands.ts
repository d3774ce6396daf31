/**
 * `maillon solid publish`: an enterprise's catalogue into a Solid pod, once or following the change feed.
 *
 * @packageDocumentation
 */
import type { NodeParts } from '../main.js';
import { followFeed } from '../solid/follow.js';
import { holdProcess } from '../timers/timers.js';
import { makePublic, registerInTypeIndex } from '../solid/pod-setup.js';
import { containerUrl, publishToPod, type PublishSummary } from '../solid/publisher.js';
import { openPodSession, type PodCredentials, type PodSession } from '../solid/session.js';
import { UsageError, type Io, type NodeCommandOptions } from './node-commands.js';
import { count } from './words.js';

/** Options of `maillon solid`. */
export interface SolidCommandOptions extends NodeCommandOptions {
  readonly pod?: string | undefined;
  readonly container?: string | undefined;
  readonly 'client-id'?: string | undefined;
  readonly 'client-secret'?: string | undefined;
  readonly 'oidc-issuer'?: string | undefined;
  readonly force?: boolean | undefined;
  readonly follow?: boolean | undefined;
}

const USAGE = 'usage: maillon solid publish --pod URL --enterprise EID [--container PATH] [--client-id ID --client-secret S [--oidc-issuer URL]] [--follow] [--force]';

/** The client credentials of the options, else of the configuration (the environment); undefined for none. */
function credentialsOf(node: NodeParts, options: SolidCommandOptions): PodCredentials | undefined {
  const clientId = options['client-id'] ?? node.config.solid.clientId;
  const clientSecret = options['client-secret'] ?? node.config.solid.clientSecret;
  const oidcIssuer = options['oidc-issuer'] ?? node.config.solid.oidcIssuer;
  if (clientId === undefined && clientSecret === undefined) return undefined;
  if (clientId === undefined || clientSecret === undefined) throw new UsageError('a pod login needs both --client-id and --client-secret (or MAILLON_SOLID_CLIENT_ID and MAILLON_SOLID_CLIENT_SECRET)');
  return { clientId, clientSecret, oidcIssuer };
}

/** The report of one publication, a line per fact and one per conflict. */
function report(summary: PublishSummary): string {
  let out = `published ${summary.container}: ${count(summary.written.length, 'document')} written (${summary.created} new), `
    + `${summary.deleted.length} deleted, ${summary.unchanged} unchanged, in ${summary.ms} ms\n`;
  for (const conflict of summary.conflicts) out += `  not written: ${conflict.url}: ${conflict.message}\n`;
  return out;
}

/** `maillon solid …`. */
export async function solidCommand(node: NodeParts, sub: string | undefined, options: SolidCommandOptions, io: Io): Promise<number> {
  if (sub !== 'publish') throw new UsageError(USAGE);
  if (options.pod === undefined || options.enterprise === undefined) throw new UsageError(USAGE);
  const eid = options.enterprise;
  const row = await node.catalog.enterpriseRow(eid);
  let container: string;
  try {
    container = containerUrl(options.pod, eid, options.container);
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const session: PodSession = await openPodSession(options.pod, credentialsOf(node, options));
  try {
    const publish = async (force: boolean): Promise<PublishSummary> => publishToPod({
      eid, container, catalogue: node.catalog, ledger: node.store.solid, fetch: session.fetch, force,
    });
    const first = await publish(options.force === true);
    io.out(report(first));
    // Set up once the container exists: its access, and where apps find it. A private enterprise (its catalogue
    // needs a token on the node) is not made public in the pod either: who reads it there is the pod owner's call.
    if (row.private) {
      io.out('  the enterprise is private: the container\'s access is left as the pod has it, and the catalogue is not registered in the public type index\n');
    } else {
      const access = await makePublic(container, session.fetch);
      io.out(`  ${access.message}\n`);
      if (session.webId !== undefined) io.out(`  ${(await registerInTypeIndex(session.webId, container, session.fetch)).message}\n`);
    }
    if (options.follow !== true) return first.conflicts.length > 0 ? 1 : 0;

    const stop = await followFeed({
      eid, feed: node.store.feed, timers: node.timers,
      publish: async () => {
        try {
          io.out(report(await publish(false)));
        } catch (error: unknown) {
          io.err(`maillon: publishing to ${container} failed (tried again in a second): ${error instanceof Error ? error.message : String(error)}\n`);
          throw error;
        }
      },
    });
    // The handlers are in place before the line that says it follows: whoever waits for that line may signal at once.
    const release = holdProcess();
    const signalled = new Promise<void>((resolve) => {
      const done = (): void => {
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        resolve();
      };
      process.on('SIGINT', done);
      process.on('SIGTERM', done);
    });
    io.out(`following the changes of ${eid} (Ctrl-C to stop)\n`);
    await signalled;
    stop();
    release();
    return 0;
  } catch (error: unknown) {
    if (error instanceof UsageError) throw error;
    throw new Error(`publishing to ${container} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    await session.close();
  }
}
