/**
 * A territory's federated catalogue, written straight into a node's database: the scale the dashboard and the
 * regional queries are measured at. Offers from many peers (each with a name, as synced peers have), producers
 * spread over a region's towns (Limousin and its neighbours: coordinates, postcodes, town names with accents),
 * product types from the whole starter taxonomy, prices, and a share out of stock.
 *
 * The rows are written as the index writes them (the search text `entriesOf` would compute), not through
 * syncs: seeding a hundred thousand offers through syncs is the federation benchmark's job.
 *
 * @packageDocumentation
 */
import { foldText } from '../ontology/fold.js';
import { STARTER_PRODUCT_TYPES } from '../ontology/product-types.js';
import { productTypeLabels } from '../ontology/taxonomy.js';
import { DFC_M_NS, DFC_PT_NS } from '../ontology/vocabulary.js';
import { insertMany } from '../server/store/sqlite/chunks.js';
import { SqliteDatabase } from '../server/store/sqlite/database.js';
import { sortKey } from '../server/store/sqlite/federated-index.js';
import { migrate } from '../server/store/sqlite/migrations.js';

/** The size of a seeded territory. */
export interface TerritorySize {
  readonly offers: number;
  readonly enterprises: number;
  readonly peers: number;
}

/** Towns of the territory: name, postcode, latitude, longitude. */
export const TOWNS: readonly (readonly [string, string, number, number])[] = [
  ['Limoges', '87000', 45.8336, 1.2611], ['Saint-Junien', '87200', 45.8878, 0.9017], ['Saint-Yrieix-la-Perche', '87500', 45.5156, 1.2047],
  ['Bellac', '87300', 46.1219, 1.0497], ['Eymoutiers', '87120', 45.7392, 1.7419], ['Tulle', '19000', 45.2658, 1.7722],
  ['Brive-la-Gaillarde', '19100', 45.1589, 1.5331], ['Ussel', '19200', 45.5481, 2.3097], ['Égletons', '19300', 45.4064, 2.0478],
  ['Guéret', '23000', 46.1714, 1.8717], ['Aubusson', '23200', 45.9556, 2.1681], ['La Souterraine', '23300', 46.2378, 1.4869],
  ['Périgueux', '24000', 45.1847, 0.7214], ['Nontron', '24300', 45.5292, 0.6619], ['Sarlat-la-Canéda', '24200', 44.8897, 1.2167],
  ['Angoulême', '16000', 45.6484, 0.1562], ['Confolens', '16500', 46.0136, 0.6717], ['Poitiers', '86000', 46.5802, 0.3404],
  ['Montmorillon', '86500', 46.4264, 0.8706], ['Châteauroux', '36000', 46.8103, 1.6913],
];

const NAMES = ['Tomates anciennes', 'Crottin de chèvre', 'Œufs frais plein air', 'Pommes Reinette', 'Miel de châtaignier', 'Carottes des sables',
  'Fromage de brebis', 'Pain de campagne', 'Jus de pomme', 'Confiture de fraises', 'Poireaux', 'Courges butternut', 'Bière blonde',
  'Yaourt nature', 'Épinards', 'Échalotes', 'Lait cru', 'Beurre demi-sel', 'Cidre brut', 'Pâtes fraîches'];
const WORDS = ['bio', 'local', 'de saison', 'récolté ce matin', 'à la ferme', 'sans traitement', 'plein champ', 'fermier', 'artisanal',
  'Limousin', 'Corrèze', 'Haute-Vienne', 'cœur', 'vrac', 'panier', 'barquette', 'kilo', 'botte'];
const FARMS = ['Ferme', 'GAEC', 'Les Jardins de', 'La Chèvrerie de', 'Le Rucher de', 'Domaine de', 'Brasserie de', 'Fromagerie de'];

/** A small deterministic generator: the same territory every run. */
export function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** The base URL of seeded peer `n` (1-based). */
export function peerUrl(n: number): string {
  return `http://platform-${n}.example`;
}

/**
 * Creates (or migrates) the database at `path` and writes a territory of `size` into its federated index,
 * with one row in `peers` per source, as a node that synced them would hold.
 */
export async function seedTerritory(path: string, size: TerritorySize): Promise<void> {
  const db = await SqliteDatabase.open(path);
  try {
    await migrate(db);
    const next = random(42);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    // Leaves and middle concepts alike: an offer is typed as precisely as its platform knows.
    const types = STARTER_PRODUCT_TYPES.map(([local]) => `${DFC_PT_NS}${local}`);
    const now = new Date().toISOString();
    const peers = Array.from({ length: size.peers }, (_, i) => [i + 1, `Plateforme ${i + 1}`, `${peerUrl(i + 1)}/api/dfc`, peerUrl(i + 1), now, 'ok', now]);
    const farms = Array.from({ length: size.enterprises }, (_, e) => {
      const [city, postcode, lat, lon] = pick(TOWNS);
      // Producers around their town, within about ten kilometres.
      // A farm grows a few things, not the whole taxonomy: two to ten product types of its own.
      const own = Array.from({ length: 2 + Math.floor(next() * 9) }, () => pick(types));
      return { e, city, postcode, lat: lat + (next() - 0.5) * 0.18, lon: lon + (next() - 0.5) * 0.25, name: `${pick(FARMS)} ${city} ${e}`, own };
    });
    const rows: (string | number | null)[][] = [];
    for (let i = 0; i < size.offers; i++) {
      const farm = farms[i % size.enterprises] as (typeof farms)[number];
      const peer = (farm.e % size.peers) + 1;
      const enterprise = `${peerUrl(peer)}/api/dfc/enterprises/ferme-${farm.e}`;
      const name = `${pick(NAMES)} ${pick(WORDS)}`;
      const description = Array.from({ length: 4 + Math.floor(next() * 8) }, () => pick(WORDS)).join(' ');
      const type = pick(farm.own);
      const search = foldText([name, description, ...productTypeLabels(type), farm.name].join(' '));
      const product = `${enterprise}/supplied_products/${i}`;
      const stock = next() < 0.3 ? 0 : Math.floor(next() * 50) + 1;
      rows.push([`peer:${peer}`, `${enterprise}/catalog_items/${i}`, product, product, `${enterprise}/offers/${i}`, enterprise, peer, 1, 1, name,
        search, type, stock, stock > 0 ? 1 : 0, Math.round((1 + next() * 25) * 100) / 100, `${DFC_M_NS}Euro`,
        farm.lat, farm.lon, farm.postcode, farm.name, farm.city, 1, `${DFC_M_NS}Kilogram`, sortKey(name), sortKey(farm.name), sortKey(farm.city)]);
    }
    await db.transaction(async (tx) => {
      await insertMany(tx, 'INSERT INTO peers (id, name, url, origin, created_at, status, last_success_at)', 7, peers);
      await insertMany(tx, `INSERT INTO federated_entries (source, item_iri, product_iri, product_key, offer_iri, enterprise_iri, peer_id, rank, winner,
        name, search, product_type, stock, in_stock, price, currency, latitude, longitude, postcode, enterprise_name, city, quantity, quantity_unit,
        name_key, enterprise_key, city_key)`, 26, rows);
    });
  } finally {
    await db.close();
  }
}
