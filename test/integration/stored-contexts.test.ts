/**
 * A document using a context the node does not ship (a platform's own, mapping its short names to DFC IRIs):
 * refused with a clear message until the operator stores the context, then imported, posted and synced with
 * the right names, prices and stock, without the node ever fetching the context while reading.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CatalogItemRecord, DfcRecord, OfferRecord, SuppliedProductRecord } from '../../ontology/records.js';
import { EURO } from '../../ontology/units.js';
import { issueToken, SCOPES } from '../../server/auth/tokens.js';
import { run } from '../../server/cli/main.js';
import { Decoder } from '../../server/codec/decode.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type RunningNode } from '../../server/main.js';
import { startStaticPeer, type StaticPeer } from '../helpers/fake-peer.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const FIXTURES = join(import.meta.dirname, '../fixtures');
const DOCUMENT = join(FIXTURES, 'shapes/other-context.json');
const CONTEXT_FILE = join(FIXTURES, 'contexts/comptoir-catalogue.json');
const COMPTOIR = 'https://comptoir.example/ns/catalogue.jsonld';
const REFUSAL = `remote JSON-LD context "${COMPTOIR}" is not a known DFC context nor a stored one`;
const BASE = 'http://node.test';
const CATALOGUE_PATH = '/comptoir/catalogue.jsonld';

/** A product body in the platform's own words, as its connector would POST it. */
const BUTTERNUT = {
  '@context': COMPTOIR,
  '@graph': [
    { '@id': '_:p', '@type': 'Produit', nom: 'Courge butternut - pièce', categorie: 'dfc-pt:butternut', article: '_:i' },
    { '@id': '_:i', '@type': 'Article', produit: '_:p', reference: 'BUT-1', stock: 9, offre: '_:o' },
    { '@id': '_:o', '@type': 'Offre', article_offert: '_:i', prix: { '@type': 'Prix', montant: 2.75, devise: 'dfc-m:Euro' }, stock: 9 },
  ],
};

interface Catalogue {
  readonly products: Map<string, SuppliedProductRecord>;
  readonly items: CatalogItemRecord[];
  readonly offers: OfferRecord[];
}

function catalogueOf(records: readonly DfcRecord[]): Catalogue {
  const products = new Map<string, SuppliedProductRecord>();
  for (const r of records) if (r.kind === 'SuppliedProduct') products.set(r.id, r);
  return {
    products,
    items: records.filter((r): r is CatalogItemRecord => r.kind === 'CatalogItem'),
    offers: records.filter((r): r is OfferRecord => r.kind === 'Offer'),
  };
}

/** Name → [price, stock of the item] of a catalogue. */
function pricesAndStock(catalogue: Catalogue): Record<string, [number | undefined, number | null]> {
  const out: Record<string, [number | undefined, number | null]> = {};
  for (const item of catalogue.items) {
    const name = catalogue.products.get(item.product ?? '')?.name ?? '?';
    const offer = catalogue.offers.find((o) => o.item === item.id);
    expect(offer?.price?.currency, name).to.equal(EURO);
    out[name] = [offer?.price?.value, item.stock];
  }
  return out;
}

describe('documents using a stored JSON-LD context (issue 12)', () => {
  let dir: string;
  let node: RunningNode | undefined;
  let peer: StaticPeer;
  let peerId: number;
  const common = (): string[] => ['--data-dir', dir, '--base-url', BASE];

  const start = async (): Promise<{ request: (method: string, path: string, body?: unknown) => Promise<{ status: number; text: string }> }> => {
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': BASE },
      { MAILLON_LOG_LEVEL: 'silent', MAILLON_ALLOW_PRIVATE: '1', MAILLON_SYNC_SCHEDULE: 'off' });
    const running = await startNode(config, createLogger('silent'));
    node = running;
    const { token } = await issueToken(running.store, { eid: null, scopes: SCOPES, label: 'admin' });
    return {
      request: async (method, path, body) => {
        const response = await fetch(`${running.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': path.startsWith('/api/sync') ? 'application/json' : 'application/ld+json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: response.status, text: await response.text() };
      },
    };
  };
  const stop = async (): Promise<void> => {
    await node?.close();
    node = undefined;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-contexts-'));
    // The platform's own ids (not those imported above, which the node now knows as its own products' sameAs).
    peer = await startStaticPeer((origin) => ({
      [CATALOGUE_PATH]: {
        body: readFileSync(DOCUMENT, 'utf8').replace(/https:\/\/comptoir\.example\/(?!ns\/)/gu, `${origin}/`), contentType: 'application/ld+json',
      },
    }));
  });
  after(async () => {
    await stop();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the document everywhere before the context is stored, with the clear message', async () => {
    const imported = await cli('import', DOCUMENT, '--enterprise', 'comptoir', ...common());
    expect(imported.code).to.equal(1);
    expect(imported.err).to.include(REFUSAL);
    expect(imported.err).to.include(`maillon context add ${COMPTOIR}`);
    expect((await cli('enterprise', 'list', ...common())).out).to.not.include('comptoir');
    expect((await cli('enterprise', 'add', '--id', 'comptoir', '--name', 'Ferme des Combes', ...common())).code).to.equal(0);

    const { request } = await start();
    try {
      const posted = await request('POST', '/api/dfc/enterprises/comptoir/supplied_products', BUTTERNUT);
      expect(posted.status).to.equal(422);
      const problem = JSON.parse(posted.text) as { detail: string; problems: { code: string }[] };
      expect(problem.detail).to.include(REFUSAL);
      expect(problem.problems.map((p) => p.code)).to.deep.equal(['unknown-context']);

      const added = await request('POST', '/api/sync/peers', { url: `${peer.url}${CATALOGUE_PATH}`, name: 'Le Comptoir' });
      expect(added.status, added.text).to.equal(201);
      peerId = (JSON.parse(added.text) as { id: number }).id;
      const synced = await request('POST', `/api/sync/peers/${peerId}/sync`);
      const outcome = JSON.parse(synced.text) as { ok: boolean; failure?: { message: string } };
      expect(outcome.ok).to.equal(false);
      expect(outcome.failure?.message).to.include(REFUSAL);
    } finally {
      await stop();
    }
  });

  it('imports it with the right names, prices and stock once the context is stored', async () => {
    const added = await cli('context', 'add', COMPTOIR, CONTEXT_FILE, ...common());
    expect(added.code, added.err).to.equal(0);
    const imported = await cli('import', DOCUMENT, '--enterprise', 'comptoir', ...common());
    expect(imported.code, imported.err).to.equal(0);
    expect(imported.out).to.include('→ comptoir: 2 products, 2 catalog items, 2 offers');
    const exported = await cli('export', '--enterprise', 'comptoir', ...common());
    const records = (await new Decoder().decode(exported.out)).records;
    expect(records.find((r) => r.kind === 'Enterprise')).to.include({ name: 'Ferme des Combes' });
    expect(pricesAndStock(catalogueOf(records))).to.deep.equal({ 'Potimarron - pièce': [3.2, 15], 'Chou kale - botte': [2.4, 0] });
  });

  it('reads it in a running node started after: a POST in the platform\'s words, and a sync of the platform', async () => {
    const { request } = await start();
    const posted = await request('POST', '/api/dfc/enterprises/comptoir/supplied_products', BUTTERNUT);
    expect(posted.status, posted.text).to.equal(201);
    const items = await request('GET', '/api/dfc/enterprises/comptoir/catalog_items?page_size=100');
    const catalogue = catalogueOf((await new Decoder().decode(items.text)).records);
    expect(pricesAndStock(catalogue)).to.deep.equal({
      'Potimarron - pièce': [3.2, 15], 'Chou kale - botte': [2.4, 0], 'Courge butternut - pièce': [2.75, 9],
    });

    const synced = await request('POST', `/api/sync/peers/${peerId}/sync`);
    const outcome = JSON.parse(synced.text) as { ok: boolean; summary?: { added: number; quarantined: number } };
    expect(outcome.ok, synced.text).to.equal(true);
    expect(outcome.summary).to.include({ added: 7, quarantined: 0 });
    const federated = await request('GET', `/api/federation/catalog?page_size=1000&peer=${peerId}`);
    expect(pricesAndStock(catalogueOf((await new Decoder().decode(federated.text)).records)))
      .to.deep.equal({ 'Potimarron - pièce': [3.2, 15], 'Chou kale - botte': [2.4, 0] });
    // The platform was asked for its catalogue, never for the context.
    expect(peer.log.map((r) => r.path).filter((p) => p !== CATALOGUE_PATH && !p.startsWith('/.well-known'))).to.deep.equal([]);
  });
});
