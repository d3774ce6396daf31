/**
 * The example network as plain data: six fictional enterprises of a short food supply chain around Limoges
 * (Haute-Vienne), with their products. No DFC details here; `build.ts` turns this into records.
 *
 * Everything is fictional: names, addresses, e-mail domains (`.example`) and phone numbers (taken from the
 * ranges ARCEP reserves for fiction, 05 36 49 xx xx and 06 39 98 xx xx).
 *
 * @packageDocumentation
 */

/** Local names of the `dfc-m:` units a pack size may be given in. */
export type PackUnit =
  | 'Kilogram' | 'Gram' | 'Litre' | 'Centilitre' | 'Millilitre' | 'Piece' | 'Bunch' | 'Dozen' | 'HalfDozen'
  | 'Jar' | 'Bottle' | 'Punnet' | 'Basket' | 'Box';

/** Local names of the starter product types (`ontology/product-types.ts`). */
export type ProductTypeName =
  | 'vegetable' | 'tomato' | 'round-tomato' | 'cherry-tomato' | 'hierloom-tomato' | 'salad' | 'lettuce'
  | 'corn-salad' | 'spinach' | 'cabbage' | 'kale' | 'cauliflower' | 'squash' | 'butternut' | 'pumpkin' | 'carrot'
  | 'potato' | 'leek' | 'onion' | 'garlic' | 'courgette' | 'beetroot' | 'radish' | 'herb'
  | 'fruit' | 'apples' | 'pear' | 'berry' | 'strawberry' | 'raspberry'
  | 'dairy-product' | 'cow-dairy-product' | 'milk' | 'butter' | 'natural-yogurt' | 'goat-dairy-product'
  | 'goat-fresh-cheese' | 'goat-mature-cheese' | 'goat-milk' | 'goat-natural-yogurt' | 'goat-dairy-dessert'
  | 'bakery' | 'bread' | 'viennoiserie-'
  | 'meat-product' | 'egg' | 'poultry' | 'chicken'
  | 'local-grocery-store' | 'sweet-groceries' | 'honey' | 'jam' | 'biscuit' | 'savory-groceries' | 'oil' | 'grain'
  | 'pasta' | 'processed-fruit'
  | 'drink' | 'soft-drink' | 'fruit-juice' | 'alcoholic-beverage' | 'cider' | 'beer' | 'wine'
  | 'inedible' | 'flower' | 'plant';

/** VAT rates used in the examples, in percent: reduced rate for food, standard rate for alcohol and flowers. */
export type VatRate = 5.5 | 20;

/** The pack size of one unit sold. */
export interface PackQuantity {
  readonly value: number;
  readonly unit: PackUnit;
}

/** A product that is sold: a simple product or a variant of a group. */
export interface ProductData {
  /** Stable id, unique within the enterprise. */
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly type: ProductTypeName;
  readonly quantity: PackQuantity;
  /** Price in euros, VAT included. */
  readonly price: number;
  readonly vatRate: VatRate;
  /** Units in stock, or `null` when made or picked on demand. */
  readonly stock: number | null;
  readonly sku: string;
}

/** A product group: not sold itself, it lists the variants that are. */
export interface ProductGroupData {
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly type: ProductTypeName;
  readonly variants: readonly ProductData[];
}

/** One entry of an enterprise's catalogue. */
export type CatalogEntry = ProductData | ProductGroupData;

/** A postal address with coordinates (WGS 84). */
export interface AddressData {
  readonly street: string;
  readonly postcode: string;
  readonly city: string;
  readonly region: string;
  readonly latitude: number;
  readonly longitude: number;
}

/** An enterprise of the network. */
export interface EnterpriseData {
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly email: string;
  readonly phone: string;
  readonly website: string;
  readonly address: AddressData;
  readonly contact: { readonly firstName: string; readonly familyName: string };
  readonly products: readonly CatalogEntry[];
}

/** Whether a catalogue entry is a product group. */
export function isProductGroup(entry: CatalogEntry): entry is ProductGroupData {
  return 'variants' in entry;
}

/** The products an enterprise sells: simple products and variants, groups left out, in catalogue order. */
export function soldProducts(enterprise: EnterpriseData): ProductData[] {
  return enterprise.products.flatMap((entry) => (isProductGroup(entry) ? [...entry.variants] : [entry]));
}

const FOOD: VatRate = 5.5;
const STANDARD: VatRate = 20;
const REGION = 'Nouvelle-Aquitaine';

const kg = (value: number): PackQuantity => ({ value, unit: 'Kilogram' });
const g = (value: number): PackQuantity => ({ value, unit: 'Gram' });
const l = (value: number): PackQuantity => ({ value, unit: 'Litre' });
const cl = (value: number): PackQuantity => ({ value, unit: 'Centilitre' });
const ml = (value: number): PackQuantity => ({ value, unit: 'Millilitre' });
const n = (unit: PackUnit, value = 1): PackQuantity => ({ value, unit });

/** A market-gardening farm. */
export const FERME_DES_TROIS_CHENES: EnterpriseData = {
  slug: 'ferme-des-trois-chenes',
  name: 'Ferme des Trois Chênes',
  description:
    'Maraîchage biologique sur quatre hectares au bord du Taurion. Plus de soixante variétés de légumes de saison, '
    + 'récoltés la veille de la livraison, en paniers ou au détail.',
  email: 'contact@ferme-des-trois-chenes.example',
  phone: '+33 5 36 49 12 30',
  website: 'https://ferme-des-trois-chenes.example',
  address: {
    street: 'Lieu-dit Les Trois Chênes', postcode: '87400', city: 'Saint-Léonard-de-Noblat', region: REGION,
    latitude: 45.8452, longitude: 1.4718,
  },
  contact: { firstName: 'Julien', familyName: 'Besse' },
  products: [
    {
      slug: 'tomates-anciennes', name: 'Tomates anciennes', type: 'hierloom-tomato',
      description: 'Cœur de bœuf, Noire de Crimée, Green Zebra et Ananas, cueillies à maturité en plein champ.',
      variants: [
        { slug: 'tomates-anciennes-1kg', sku: 'FTC-TOMA-1K', name: 'Tomates anciennes - 1 kg', type: 'hierloom-tomato', quantity: kg(1), price: 5.8, vatRate: FOOD, stock: 25, description: 'Mélange de variétés anciennes, cueillies à maturité.' },
        { slug: 'tomates-anciennes-3kg', sku: 'FTC-TOMA-3K', name: 'Tomates anciennes - 3 kg', type: 'hierloom-tomato', quantity: kg(3), price: 15.5, vatRate: FOOD, stock: 8, description: 'Cagette de 3 kg, idéale pour les coulis et les conserves.' },
      ],
    },
    {
      slug: 'tomates-cerises', name: 'Tomates cerises', type: 'cherry-tomato',
      description: 'Tomates cerises rouges et jaunes, sucrées, à croquer à l’apéritif.',
      variants: [
        { slug: 'tomates-cerises-250g', sku: 'FTC-TOMC-250', name: 'Tomates cerises - 250 g', type: 'cherry-tomato', quantity: g(250), price: 3.2, vatRate: FOOD, stock: 30, description: 'Barquette de 250 g, rouges et jaunes mélangées.' },
        { slug: 'tomates-cerises-500g', sku: 'FTC-TOMC-500', name: 'Tomates cerises - 500 g', type: 'cherry-tomato', quantity: g(500), price: 5.8, vatRate: FOOD, stock: 12, description: 'Barquette de 500 g, rouges et jaunes mélangées.' },
      ],
    },
    {
      slug: 'pommes-de-terre', name: 'Pommes de terre', type: 'potato',
      description: 'Charlotte et Agata, cultivées sans traitement chimique, brossées.',
      variants: [
        { slug: 'pommes-de-terre-2-5kg', sku: 'FTC-PDT-2K5', name: 'Pommes de terre - 2,5 kg', type: 'potato', quantity: kg(2.5), price: 4.5, vatRate: FOOD, stock: 40, description: 'Sac de 2,5 kg, chair ferme.' },
        { slug: 'pommes-de-terre-5kg', sku: 'FTC-PDT-5K', name: 'Pommes de terre - 5 kg', type: 'potato', quantity: kg(5), price: 8, vatRate: FOOD, stock: 20, description: 'Sac de 5 kg, chair ferme.' },
      ],
    },
    {
      slug: 'carottes', name: 'Carottes', type: 'carrot',
      description: 'Carottes de sable, douces et croquantes.',
      variants: [
        { slug: 'carottes-1kg', sku: 'FTC-CAR-1K', name: 'Carottes - 1 kg', type: 'carrot', quantity: kg(1), price: 2.6, vatRate: FOOD, stock: 60, description: 'Carottes de conservation, lavées.' },
        { slug: 'carottes-botte', sku: 'FTC-CAR-BOT', name: 'Carottes nouvelles - la botte', type: 'carrot', quantity: n('Bunch'), price: 2.2, vatRate: FOOD, stock: 30, description: 'Botte d’environ 600 g, avec les fanes.' },
      ],
    },
    {
      slug: 'panier-de-legumes', name: 'Panier de légumes', type: 'vegetable',
      description: 'Le panier de la semaine, composé selon la récolte. Préparé à la commande.',
      variants: [
        { slug: 'panier-de-legumes-petit', sku: 'FTC-PAN-S', name: 'Panier de légumes - petit', type: 'vegetable', quantity: n('Basket'), price: 12, vatRate: FOOD, stock: null, description: '3 à 4 kg de légumes de saison, pour 1 à 2 personnes.' },
        { slug: 'panier-de-legumes-moyen', sku: 'FTC-PAN-M', name: 'Panier de légumes - moyen', type: 'vegetable', quantity: n('Basket'), price: 18, vatRate: FOOD, stock: null, description: '5 à 6 kg de légumes de saison, pour 2 à 3 personnes.' },
        { slug: 'panier-de-legumes-grand', sku: 'FTC-PAN-L', name: 'Panier de légumes - grand', type: 'vegetable', quantity: n('Basket'), price: 25, vatRate: FOOD, stock: null, description: '8 à 9 kg de légumes de saison, pour une famille de 4 à 5 personnes.' },
      ],
    },
    { slug: 'tomates-rondes', sku: 'FTC-TOMR-1K', name: 'Tomates rondes', type: 'round-tomato', quantity: kg(1), price: 4.2, vatRate: FOOD, stock: 35, description: 'Tomates rondes de plein champ, pour les salades.' },
    { slug: 'laitue-batavia', sku: 'FTC-LAI-BAT', name: 'Laitue batavia', type: 'lettuce', quantity: n('Piece'), price: 1.3, vatRate: FOOD, stock: 45, description: 'Batavia blonde, croquante.' },
    { slug: 'laitue-feuille-de-chene', sku: 'FTC-LAI-FDC', name: 'Laitue feuille de chêne', type: 'lettuce', quantity: n('Piece'), price: 1.3, vatRate: FOOD, stock: 30, description: 'Feuille de chêne rouge, tendre.' },
    { slug: 'mache', sku: 'FTC-MAC-150', name: 'Mâche', type: 'corn-salad', quantity: g(150), price: 2.5, vatRate: FOOD, stock: 20, description: 'Mâche en sachet de 150 g, lavée.' },
    { slug: 'mesclun', sku: 'FTC-MES-200', name: 'Mesclun', type: 'salad', quantity: g(200), price: 3, vatRate: FOOD, stock: 20, description: 'Mélange de jeunes pousses et de fleurs comestibles.' },
    { slug: 'epinards', sku: 'FTC-EPI-500', name: 'Épinards', type: 'spinach', quantity: g(500), price: 3.5, vatRate: FOOD, stock: 18, description: 'Pousses d’épinard, en sachet de 500 g.' },
    { slug: 'chou-kale', sku: 'FTC-KAL-BOT', name: 'Chou kale', type: 'kale', quantity: n('Bunch'), price: 2.8, vatRate: FOOD, stock: 12, description: 'Botte de chou kale frisé, à cuire ou en chips.' },
    { slug: 'chou-fleur', sku: 'FTC-CHF-PC', name: 'Chou-fleur', type: 'cauliflower', quantity: n('Piece'), price: 3.2, vatRate: FOOD, stock: 10, description: 'Chou-fleur blanc, pièce d’environ 1 kg.' },
    { slug: 'chou-vert', sku: 'FTC-CHV-PC', name: 'Chou vert frisé', type: 'cabbage', quantity: n('Piece'), price: 2.5, vatRate: FOOD, stock: 14, description: 'Chou de Milan, pour les potées.' },
    { slug: 'courge-butternut', sku: 'FTC-BUT-1K', name: 'Courge butternut', type: 'butternut', quantity: kg(1), price: 2.9, vatRate: FOOD, stock: 50, description: 'Chair douce et beurrée, se conserve tout l’hiver.' },
    { slug: 'potimarron', sku: 'FTC-POT-1K', name: 'Potimarron', type: 'pumpkin', quantity: kg(1), price: 3.2, vatRate: FOOD, stock: 40, description: 'Goût de châtaigne, la peau se mange.' },
    { slug: 'poireaux', sku: 'FTC-POI-1K', name: 'Poireaux', type: 'leek', quantity: kg(1), price: 3.4, vatRate: FOOD, stock: 25, description: 'Poireaux d’hiver, parés.' },
    { slug: 'oignons-jaunes', sku: 'FTC-OIJ-1K', name: 'Oignons jaunes', type: 'onion', quantity: kg(1), price: 2.8, vatRate: FOOD, stock: 60, description: 'Oignons de conservation.' },
    { slug: 'oignons-rouges', sku: 'FTC-OIR-1K', name: 'Oignons rouges', type: 'onion', quantity: kg(1), price: 3.4, vatRate: FOOD, stock: 20, description: 'Doux, parfaits crus en salade.' },
    { slug: 'echalotes', sku: 'FTC-ECH-500', name: 'Échalotes', type: 'onion', quantity: g(500), price: 3.9, vatRate: FOOD, stock: 15, description: 'Échalotes grises, filet de 500 g.' },
    { slug: 'ail-violet', sku: 'FTC-AIL-250', name: 'Ail violet', type: 'garlic', quantity: g(250), price: 4.2, vatRate: FOOD, stock: 18, description: 'Ail violet séché, environ 4 têtes.' },
    { slug: 'courgettes', sku: 'FTC-COU-1K', name: 'Courgettes', type: 'courgette', quantity: kg(1), price: 3.2, vatRate: FOOD, stock: null, description: 'Vertes et jaunes, cueillies à la commande de juin à septembre.' },
    { slug: 'betteraves', sku: 'FTC-BET-1K', name: 'Betteraves rouges', type: 'beetroot', quantity: kg(1), price: 2.9, vatRate: FOOD, stock: 22, description: 'Betteraves crues, à rôtir ou à râper.' },
    { slug: 'radis-roses', sku: 'FTC-RAD-BOT', name: 'Radis roses', type: 'radish', quantity: n('Bunch'), price: 1.8, vatRate: FOOD, stock: 35, description: 'Radis de 18 jours, la botte.' },
    { slug: 'persil', sku: 'FTC-PER-BOT', name: 'Persil plat', type: 'herb', quantity: n('Bunch'), price: 1.2, vatRate: FOOD, stock: 25, description: 'Botte de persil plat.' },
    { slug: 'ciboulette', sku: 'FTC-CIB-BOT', name: 'Ciboulette', type: 'herb', quantity: n('Bunch'), price: 1.2, vatRate: FOOD, stock: 15, description: 'Botte de ciboulette fraîche.' },
    { slug: 'basilic', sku: 'FTC-BAS-BOT', name: 'Basilic', type: 'herb', quantity: n('Bunch'), price: 1.8, vatRate: FOOD, stock: null, description: 'Basilic grand vert, coupé à la commande en été.' },
    { slug: 'fraises', sku: 'FTC-FRA-BQ', name: 'Fraises', type: 'strawberry', quantity: n('Punnet'), price: 4.8, vatRate: FOOD, stock: null, description: 'Barquette de 500 g de Gariguette ou Mara des bois, de mai à juillet.' },
    { slug: 'framboises', sku: 'FTC-FRB-BQ', name: 'Framboises', type: 'raspberry', quantity: n('Punnet'), price: 3.9, vatRate: FOOD, stock: null, description: 'Barquette de 125 g, cueillies le matin même, de juin à septembre.' },
    { slug: 'panais', sku: 'FTC-PNS-1K', name: 'Panais', type: 'vegetable', quantity: kg(1), price: 3.8, vatRate: FOOD, stock: 18, description: 'Racine sucrée, en purée ou rôtie.' },
    { slug: 'celeri-rave', sku: 'FTC-CEL-PC', name: 'Céleri-rave', type: 'vegetable', quantity: n('Piece'), price: 2.6, vatRate: FOOD, stock: 12, description: 'Pièce d’environ 800 g.' },
    { slug: 'navets-nouveaux', sku: 'FTC-NAV-BOT', name: 'Navets nouveaux', type: 'vegetable', quantity: n('Bunch'), price: 2.4, vatRate: FOOD, stock: 15, description: 'Navets violets, la botte.' },
    { slug: 'haricots-verts', sku: 'FTC-HAR-500', name: 'Haricots verts', type: 'vegetable', quantity: g(500), price: 4.5, vatRate: FOOD, stock: null, description: 'Haricots extra-fins, cueillis à la commande en juillet et août.' },
    { slug: 'concombre', sku: 'FTC-CON-PC', name: 'Concombre', type: 'vegetable', quantity: n('Piece'), price: 1.5, vatRate: FOOD, stock: 24, description: 'Concombre long de serre froide.' },
    { slug: 'poivrons', sku: 'FTC-POV-500', name: 'Poivrons', type: 'vegetable', quantity: g(500), price: 4.2, vatRate: FOOD, stock: null, description: 'Poivrons rouges et jaunes, d’août à octobre.' },
    { slug: 'aubergines', sku: 'FTC-AUB-1K', name: 'Aubergines', type: 'vegetable', quantity: kg(1), price: 4.6, vatRate: FOOD, stock: null, description: 'Aubergines violettes, de juillet à septembre.' },
  ],
};

/** A goat dairy. */
export const CHEVRERIE_DU_PUY: EnterpriseData = {
  slug: 'chevrerie-du-puy',
  name: 'Chèvrerie du Puy',
  description:
    'Élevage de soixante chèvres alpines en pâturage dans les monts d’Ambazac. Fromages fermiers au lait cru, '
    + 'yaourts et lait, transformés à la ferme.',
  email: 'bonjour@chevrerie-du-puy.example',
  phone: '+33 5 36 49 27 84',
  website: 'https://chevrerie-du-puy.example',
  address: {
    street: 'Le Puy Martin', postcode: '87240', city: 'Ambazac', region: REGION, latitude: 45.9712, longitude: 1.3851,
  },
  contact: { firstName: 'Élodie', familyName: 'Faure' },
  products: [
    {
      slug: 'tomme-de-chevre', name: 'Tomme de chèvre', type: 'goat-mature-cheese',
      description: 'Pâte pressée au lait cru, affinée trois mois en cave.',
      variants: [
        { slug: 'tomme-de-chevre-250g', sku: 'CDP-TOM-250', name: 'Tomme de chèvre - 250 g', type: 'goat-mature-cheese', quantity: g(250), price: 6.2, vatRate: FOOD, stock: 12, description: 'Portion de 250 g, sous vide.' },
        { slug: 'tomme-de-chevre-500g', sku: 'CDP-TOM-500', name: 'Tomme de chèvre - 500 g', type: 'goat-mature-cheese', quantity: g(500), price: 11.8, vatRate: FOOD, stock: 6, description: 'Portion de 500 g, sous vide.' },
        { slug: 'tomme-de-chevre-1kg', sku: 'CDP-TOM-1K', name: 'Tomme de chèvre - 1 kg', type: 'goat-mature-cheese', quantity: kg(1), price: 22.5, vatRate: FOOD, stock: null, description: 'Coupée à la commande, pour les fêtes et les comités d’entreprise.' },
      ],
    },
    {
      slug: 'buche-cendree', name: 'Bûche cendrée', type: 'goat-mature-cheese',
      description: 'Bûche à croûte cendrée, affinée deux à trois semaines.',
      variants: [
        { slug: 'buche-cendree-150g', sku: 'CDP-BUC-150', name: 'Bûche cendrée - 150 g', type: 'goat-mature-cheese', quantity: g(150), price: 4.2, vatRate: FOOD, stock: 15, description: 'Petite bûche de 150 g.' },
        { slug: 'buche-cendree-300g', sku: 'CDP-BUC-300', name: 'Bûche cendrée - 300 g', type: 'goat-mature-cheese', quantity: g(300), price: 7.9, vatRate: FOOD, stock: 8, description: 'Grande bûche de 300 g.' },
      ],
    },
    {
      slug: 'lait-cru-de-chevre', name: 'Lait cru de chèvre', type: 'goat-milk',
      description: 'Lait entier, cru, de la traite du matin. À faire bouillir avant consommation.',
      variants: [
        { slug: 'lait-cru-de-chevre-50cl', sku: 'CDP-LAI-50', name: 'Lait cru de chèvre - 50 cl', type: 'goat-milk', quantity: cl(50), price: 1.3, vatRate: FOOD, stock: 15, description: 'Bouteille en verre consignée de 50 cl.' },
        { slug: 'lait-cru-de-chevre-1l', sku: 'CDP-LAI-1L', name: 'Lait cru de chèvre - 1 L', type: 'goat-milk', quantity: l(1), price: 2.2, vatRate: FOOD, stock: 20, description: 'Bouteille en verre consignée d’un litre.' },
      ],
    },
    { slug: 'crottin-frais', sku: 'CDP-CRO-FR', name: 'Crottin frais', type: 'goat-fresh-cheese', quantity: n('Piece'), price: 1.9, vatRate: FOOD, stock: 40, description: 'Crottin de 60 g, moulé à la louche, deux jours d’affinage.' },
    { slug: 'crottin-demi-sec', sku: 'CDP-CRO-DS', name: 'Crottin demi-sec', type: 'goat-mature-cheese', quantity: n('Piece'), price: 2.1, vatRate: FOOD, stock: 30, description: 'Crottin affiné dix jours, croûte fleurie.' },
    { slug: 'crottin-sec', sku: 'CDP-CRO-SEC', name: 'Crottin sec', type: 'goat-mature-cheese', quantity: n('Piece'), price: 2.2, vatRate: FOOD, stock: 25, description: 'Crottin affiné trois semaines, goût prononcé.' },
    { slug: 'palet-frais-aux-herbes', sku: 'CDP-PAL-HER', name: 'Palet frais aux herbes', type: 'goat-fresh-cheese', quantity: g(120), price: 3.1, vatRate: FOOD, stock: 18, description: 'Fromage frais roulé dans l’ail et les fines herbes.' },
    { slug: 'chevre-frais-au-poivre', sku: 'CDP-PAL-POI', name: 'Chèvre frais au poivre', type: 'goat-fresh-cheese', quantity: g(120), price: 3.1, vatRate: FOOD, stock: 10, description: 'Fromage frais au poivre concassé.' },
    { slug: 'faisselle', sku: 'CDP-FAI-500', name: 'Faisselle de chèvre', type: 'goat-fresh-cheese', quantity: g(500), price: 3.6, vatRate: FOOD, stock: 12, description: 'Caillé égoutté en faisselle, pot de 500 g.' },
    { slug: 'pyramide-cendree', sku: 'CDP-PYR-200', name: 'Pyramide cendrée', type: 'goat-mature-cheese', quantity: g(200), price: 5.2, vatRate: FOOD, stock: 9, description: 'Pyramide affinée quinze jours, pâte fondante sous la croûte.' },
    { slug: 'yaourts-nature', sku: 'CDP-YAO-NAT', name: 'Yaourts nature au lait de chèvre', type: 'goat-natural-yogurt', quantity: n('Piece', 4), price: 4.2, vatRate: FOOD, stock: 24, description: 'Lot de 4 pots en verre de 125 g.' },
    { slug: 'yaourts-vanille', sku: 'CDP-YAO-VAN', name: 'Yaourts à la vanille', type: 'goat-dairy-dessert', quantity: n('Piece', 4), price: 4.6, vatRate: FOOD, stock: 16, description: 'Lot de 4 pots de 125 g, vanille en gousse.' },
    { slug: 'yaourts-fruits-rouges', sku: 'CDP-YAO-FRU', name: 'Yaourts aux fruits rouges', type: 'goat-dairy-dessert', quantity: n('Piece', 4), price: 4.8, vatRate: FOOD, stock: null, description: 'Lot de 4 pots de 125 g sur lit de fruits rouges, préparés à la commande.' },
    { slug: 'cremes-au-chocolat', sku: 'CDP-CRE-CHO', name: 'Crèmes dessert au chocolat', type: 'goat-dairy-dessert', quantity: n('Piece', 2), price: 3.2, vatRate: FOOD, stock: null, description: 'Lot de 2 crèmes au chocolat noir, préparées à la commande.' },
    { slug: 'plateau-decouverte', sku: 'CDP-PLA-DEC', name: 'Plateau découverte', type: 'goat-dairy-product', quantity: n('Box'), price: 18, vatRate: FOOD, stock: null, description: 'Six fromages à différents stades d’affinage, composé à la commande.' },
  ],
};

/** A bakery. */
export const FOURNIL_DE_LA_PLACE: EnterpriseData = {
  slug: 'fournil-de-la-place',
  name: 'Le Fournil de la Place',
  description:
    'Boulangerie paysanne au levain naturel, cuisson au feu de bois. Farines biologiques moulues sur meule de pierre '
    + 'par le groupement des producteurs limousins.',
  email: 'fournil@fournil-de-la-place.example',
  phone: '+33 5 36 49 55 02',
  website: 'https://fournil-de-la-place.example',
  address: {
    street: '2 place de l’Église', postcode: '87700', city: 'Aixe-sur-Vienne', region: REGION,
    latitude: 45.7987, longitude: 1.1374,
  },
  contact: { firstName: 'Thomas', familyName: 'Lagrange' },
  products: [
    {
      slug: 'pain-de-campagne', name: 'Pain de campagne', type: 'bread',
      description: 'Pain au levain, farine T80, croûte épaisse. Se garde une semaine.',
      variants: [
        { slug: 'pain-de-campagne-500g', sku: 'FDP-CAM-500', name: 'Pain de campagne - 500 g', type: 'bread', quantity: g(500), price: 3.2, vatRate: FOOD, stock: 30, description: 'Boule de 500 g.' },
        { slug: 'pain-de-campagne-1kg', sku: 'FDP-CAM-1K', name: 'Pain de campagne - 1 kg', type: 'bread', quantity: kg(1), price: 5.8, vatRate: FOOD, stock: 20, description: 'Boule d’un kilo.' },
        { slug: 'pain-de-campagne-2kg', sku: 'FDP-CAM-2K', name: 'Pain de campagne - 2 kg', type: 'bread', quantity: kg(2), price: 10.8, vatRate: FOOD, stock: null, description: 'Grosse miche de 2 kg, cuite sur commande.' },
      ],
    },
    {
      slug: 'pain-au-levain', name: 'Pain au levain intégral', type: 'bread',
      description: 'Farine intégrale T150, longue fermentation, mie dense et acidulée.',
      variants: [
        { slug: 'pain-au-levain-500g', sku: 'FDP-LEV-500', name: 'Pain au levain intégral - 500 g', type: 'bread', quantity: g(500), price: 3.4, vatRate: FOOD, stock: 25, description: 'Pain moulé de 500 g.' },
        { slug: 'pain-au-levain-1kg', sku: 'FDP-LEV-1K', name: 'Pain au levain intégral - 1 kg', type: 'bread', quantity: kg(1), price: 6.2, vatRate: FOOD, stock: 15, description: 'Pain moulé d’un kilo.' },
      ],
    },
    {
      slug: 'croissants', name: 'Croissants pur beurre', type: 'viennoiserie-',
      description: 'Pâte feuilletée au beurre AOP Charentes-Poitou, façonnée chaque matin.',
      variants: [
        { slug: 'croissant', sku: 'FDP-CRO-1', name: 'Croissant pur beurre', type: 'viennoiserie-', quantity: n('Piece'), price: 1.2, vatRate: FOOD, stock: 60, description: 'À l’unité.' },
        { slug: 'croissants-x6', sku: 'FDP-CRO-6', name: 'Croissants pur beurre - les 6', type: 'viennoiserie-', quantity: n('HalfDozen'), price: 6.6, vatRate: FOOD, stock: 10, description: 'Sachet de six croissants.' },
      ],
    },
    { slug: 'baguette-tradition', sku: 'FDP-BAG-TRA', name: 'Baguette tradition', type: 'bread', quantity: g(250), price: 1.3, vatRate: FOOD, stock: 120, description: 'Baguette de tradition française, pétrie lentement.' },
    { slug: 'pain-de-seigle', sku: 'FDP-SEI-500', name: 'Pain de seigle', type: 'bread', quantity: g(500), price: 4.1, vatRate: FOOD, stock: 12, description: 'Seigle à 70 %, idéal avec les fromages et les huîtres.' },
    { slug: 'pain-aux-cereales', sku: 'FDP-CER-500', name: 'Pain aux céréales', type: 'bread', quantity: g(500), price: 3.9, vatRate: FOOD, stock: 15, description: 'Graines de lin, tournesol, sésame et millet.' },
    { slug: 'pain-petit-epeautre', sku: 'FDP-EPE-500', name: 'Pain de petit épeautre', type: 'bread', quantity: g(500), price: 5.2, vatRate: FOOD, stock: null, description: 'Pauvre en gluten, cuit sur commande le mercredi et le samedi.' },
    { slug: 'pain-aux-noix', sku: 'FDP-NOI-400', name: 'Pain aux noix', type: 'bread', quantity: g(400), price: 4.6, vatRate: FOOD, stock: 10, description: 'Généreux en noix du Périgord.' },
    { slug: 'pain-de-mie', sku: 'FDP-MIE-500', name: 'Pain de mie', type: 'bread', quantity: g(500), price: 3.8, vatRate: FOOD, stock: null, description: 'Pain de mie au lait, tranché à la demande.' },
    { slug: 'fougasse-aux-olives', sku: 'FDP-FOU-OLI', name: 'Fougasse aux olives', type: 'bread', quantity: n('Piece'), price: 3.5, vatRate: FOOD, stock: 8, description: 'Fougasse à l’huile d’olive et aux olives noires.' },
    { slug: 'pain-au-chocolat', sku: 'FDP-PCH-1', name: 'Pain au chocolat', type: 'viennoiserie-', quantity: n('Piece'), price: 1.4, vatRate: FOOD, stock: 50, description: 'Deux barres de chocolat noir.' },
    { slug: 'pain-aux-raisins', sku: 'FDP-PRA-1', name: 'Pain aux raisins', type: 'viennoiserie-', quantity: n('Piece'), price: 1.6, vatRate: FOOD, stock: 20, description: 'Crème pâtissière et raisins secs.' },
    { slug: 'chausson-aux-pommes', sku: 'FDP-CHA-1', name: 'Chausson aux pommes', type: 'viennoiserie-', quantity: n('Piece'), price: 1.9, vatRate: FOOD, stock: 18, description: 'Compote maison de pommes du Limousin.' },
    { slug: 'brioche-tressee', sku: 'FDP-BRI-400', name: 'Brioche tressée', type: 'viennoiserie-', quantity: g(400), price: 5.5, vatRate: FOOD, stock: 6, description: 'Brioche au beurre et aux œufs fermiers.' },
    { slug: 'gateau-creusois', sku: 'FDP-CRE-1', name: 'Gâteau creusois', type: 'bakery', quantity: n('Piece'), price: 12, vatRate: FOOD, stock: null, description: 'Gâteau moelleux aux noisettes, 6 parts, sur commande.' },
    { slug: 'clafoutis-aux-cerises', sku: 'FDP-CLA-1', name: 'Clafoutis limousin', type: 'bakery', quantity: n('Piece'), price: 14, vatRate: FOOD, stock: null, description: 'Cerises noires non dénoyautées, 6 à 8 parts, sur commande de juin à août.' },
    { slug: 'pain-d-epices', sku: 'FDP-EPI-400', name: 'Pain d’épices au miel', type: 'bakery', quantity: g(400), price: 6.5, vatRate: FOOD, stock: 8, description: 'Au miel de châtaignier du groupement.' },
    { slug: 'sables-au-beurre', sku: 'FDP-SAB-200', name: 'Sablés au beurre', type: 'biscuit', quantity: g(200), price: 3.9, vatRate: FOOD, stock: 14, description: 'Sachet de 200 g de sablés au beurre demi-sel.' },
  ],
};

/** A producers' group. */
export const GROUPEMENT_PRODUCTEURS_LIMOUSINS: EnterpriseData = {
  slug: 'groupement-producteurs-limousins',
  name: 'Groupement des Producteurs Limousins',
  description:
    'Quatorze fermes de Haute-Vienne réunies pour vendre ensemble : miels, confitures, jus et cidres, œufs, '
    + 'farines, lentilles et huiles. Un seul interlocuteur, une livraison groupée chaque semaine.',
  email: 'commandes@producteurs-limousins.example',
  phone: '+33 5 36 49 70 15',
  website: 'https://producteurs-limousins.example',
  address: {
    street: '12 rue des Vergers', postcode: '87220', city: 'Feytiat', region: REGION,
    latitude: 45.8108, longitude: 1.3305,
  },
  contact: { firstName: 'Marie-Hélène', familyName: 'Dufour' },
  products: [
    {
      slug: 'miel-de-chataignier', name: 'Miel de châtaignier', type: 'honey',
      description: 'Miel ambré et corsé, récolté en juillet dans les châtaigneraies du sud de la Haute-Vienne.',
      variants: [
        { slug: 'miel-de-chataignier-250g', sku: 'GPL-MCH-250', name: 'Miel de châtaignier - 250 g', type: 'honey', quantity: g(250), price: 6.5, vatRate: FOOD, stock: 30, description: 'Pot en verre de 250 g.' },
        { slug: 'miel-de-chataignier-500g', sku: 'GPL-MCH-500', name: 'Miel de châtaignier - 500 g', type: 'honey', quantity: g(500), price: 11.5, vatRate: FOOD, stock: 25, description: 'Pot en verre de 500 g.' },
        { slug: 'miel-de-chataignier-1kg', sku: 'GPL-MCH-1K', name: 'Miel de châtaignier - 1 kg', type: 'honey', quantity: kg(1), price: 21, vatRate: FOOD, stock: null, description: 'Seau d’un kilo, mis en pot à la commande.' },
      ],
    },
    {
      slug: 'jus-de-pomme', name: 'Jus de pomme', type: 'fruit-juice',
      description: 'Pur jus de pommes du Limousin, pressé et pasteurisé à la ferme, sans sucre ajouté.',
      variants: [
        { slug: 'jus-de-pomme-1l', sku: 'GPL-JUS-1L', name: 'Jus de pomme - 1 L', type: 'fruit-juice', quantity: l(1), price: 3.2, vatRate: FOOD, stock: 60, description: 'Bouteille en verre consignée.' },
        { slug: 'jus-de-pomme-3l', sku: 'GPL-JUS-3L', name: 'Jus de pomme - 3 L', type: 'fruit-juice', quantity: l(3), price: 8.9, vatRate: FOOD, stock: 15, description: 'Fontaine à robinet de 3 L, se garde un mois après ouverture.' },
        { slug: 'jus-de-pomme-5l', sku: 'GPL-JUS-5L', name: 'Jus de pomme - 5 L', type: 'fruit-juice', quantity: l(5), price: 13.5, vatRate: FOOD, stock: null, description: 'Fontaine de 5 L, conditionnée à la commande.' },
      ],
    },
    {
      slug: 'oeufs-plein-air', name: 'Œufs de plein air', type: 'egg',
      description: 'Œufs de poules élevées en plein air et nourries aux céréales de la ferme.',
      variants: [
        { slug: 'oeufs-plein-air-x6', sku: 'GPL-OEU-6', name: 'Œufs de plein air - boîte de 6', type: 'egg', quantity: n('HalfDozen'), price: 2.9, vatRate: FOOD, stock: 40, description: 'Boîte de six œufs, calibre moyen.' },
        { slug: 'oeufs-plein-air-x12', sku: 'GPL-OEU-12', name: 'Œufs de plein air - boîte de 12', type: 'egg', quantity: n('Dozen'), price: 5.4, vatRate: FOOD, stock: 25, description: 'Boîte de douze œufs, calibre moyen.' },
      ],
    },
    { slug: 'miel-toutes-fleurs', sku: 'GPL-MTF-500', name: 'Miel toutes fleurs', type: 'honey', quantity: g(500), price: 10.5, vatRate: FOOD, stock: 30, description: 'Miel de printemps, crémeux.' },
    { slug: 'miel-de-bruyere', sku: 'GPL-MBR-500', name: 'Miel de bruyère', type: 'honey', quantity: g(500), price: 12.5, vatRate: FOOD, stock: 12, description: 'Miel des landes de Millevaches, texture gélifiée.' },
    { slug: 'miel-d-acacia', sku: 'GPL-MAC-500', name: 'Miel d’acacia', type: 'honey', quantity: g(500), price: 13, vatRate: FOOD, stock: null, description: 'Miel liquide et doux, mis en pot à la commande.' },
    { slug: 'confiture-de-fraises', sku: 'GPL-CON-FRA', name: 'Confiture de fraises', type: 'jam', quantity: n('Jar'), price: 4.8, vatRate: FOOD, stock: 24, description: 'Pot de 350 g, 65 % de fruits.' },
    { slug: 'confiture-de-myrtilles', sku: 'GPL-CON-MYR', name: 'Confiture de myrtilles', type: 'jam', quantity: n('Jar'), price: 5.6, vatRate: FOOD, stock: 18, description: 'Pot de 350 g, myrtilles sauvages des monts de Blond.' },
    { slug: 'confiture-d-abricots', sku: 'GPL-CON-ABR', name: 'Confiture d’abricots', type: 'jam', quantity: n('Jar'), price: 4.8, vatRate: FOOD, stock: 15, description: 'Pot de 350 g, cuite au chaudron.' },
    { slug: 'gelee-de-coings', sku: 'GPL-GEL-COI', name: 'Gelée de coings', type: 'jam', quantity: n('Jar'), price: 4.6, vatRate: FOOD, stock: 10, description: 'Pot de 250 g.' },
    { slug: 'creme-de-marrons', sku: 'GPL-CRE-MAR', name: 'Crème de marrons', type: 'processed-fruit', quantity: n('Jar'), price: 5.2, vatRate: FOOD, stock: 20, description: 'Châtaignes du Limousin et vanille, pot de 350 g.' },
    { slug: 'compote-de-pommes', sku: 'GPL-COM-POM', name: 'Compote de pommes', type: 'processed-fruit', quantity: n('Jar'), price: 3.9, vatRate: FOOD, stock: 22, description: 'Sans sucre ajouté, pot de 400 g.' },
    { slug: 'jus-pomme-poire', sku: 'GPL-JPP-1L', name: 'Jus pomme-poire', type: 'fruit-juice', quantity: l(1), price: 3.6, vatRate: FOOD, stock: 30, description: 'Deux tiers de pommes, un tiers de poires.' },
    { slug: 'jus-de-pomme-petillant', sku: 'GPL-JPE-75', name: 'Jus de pomme pétillant', type: 'fruit-juice', quantity: cl(75), price: 4.2, vatRate: FOOD, stock: null, description: 'Sans alcool, bouteille de 75 cl, embouteillé à la commande.' },
    { slug: 'cidre-brut', sku: 'GPL-CID-BRU', name: 'Cidre brut', type: 'cider', quantity: cl(75), price: 4.9, vatRate: STANDARD, stock: 36, description: 'Cidre fermier, 5 % vol.' },
    { slug: 'cidre-doux', sku: 'GPL-CID-DOU', name: 'Cidre doux', type: 'cider', quantity: cl(75), price: 4.7, vatRate: STANDARD, stock: 24, description: 'Cidre fermier, 2,5 % vol.' },
    { slug: 'poire', sku: 'GPL-POI-75', name: 'Poiré', type: 'cider', quantity: cl(75), price: 5.9, vatRate: STANDARD, stock: null, description: 'Poiré fermier pétillant, 4 % vol., petite production.' },
    { slug: 'farine-de-ble-t65', sku: 'GPL-FAR-T65', name: 'Farine de blé T65', type: 'grain', quantity: kg(1), price: 2.6, vatRate: FOOD, stock: 40, description: 'Blé population moulu sur meule de pierre.' },
    { slug: 'farine-de-ble-t80', sku: 'GPL-FAR-T80', name: 'Farine de blé T80', type: 'grain', quantity: kg(1), price: 2.8, vatRate: FOOD, stock: 30, description: 'Farine bise, pour le pain de campagne.' },
    { slug: 'farine-de-sarrasin', sku: 'GPL-FAR-SAR', name: 'Farine de sarrasin', type: 'grain', quantity: kg(1), price: 4.2, vatRate: FOOD, stock: 15, description: 'Pour les galettes et les crêpes.' },
    { slug: 'farine-de-seigle', sku: 'GPL-FAR-SEI', name: 'Farine de seigle', type: 'grain', quantity: kg(1), price: 3.1, vatRate: FOOD, stock: null, description: 'Moulue à la commande.' },
    { slug: 'lentilles-vertes', sku: 'GPL-LEN-500', name: 'Lentilles vertes', type: 'grain', quantity: g(500), price: 3.6, vatRate: FOOD, stock: 20, description: 'Lentilles vertes cultivées en Basse-Marche.' },
    { slug: 'huile-de-noix', sku: 'GPL-HUI-NOI', name: 'Huile de noix', type: 'oil', quantity: cl(50), price: 14.5, vatRate: FOOD, stock: 18, description: 'Pressée à froid au moulin, bouteille de 50 cl.' },
    { slug: 'huile-de-noisette', sku: 'GPL-HUI-NOS', name: 'Huile de noisette', type: 'oil', quantity: ml(250), price: 11, vatRate: FOOD, stock: null, description: 'Pressée à froid, bouteille de 250 ml, petite production.' },
    { slug: 'huile-de-colza', sku: 'GPL-HUI-COL', name: 'Huile de colza', type: 'oil', quantity: l(1), price: 6.8, vatRate: FOOD, stock: 20, description: 'Première pression à froid, riche en oméga-3.' },
    { slug: 'pommes-du-limousin', sku: 'GPL-POM-1K', name: 'Pommes du Limousin', type: 'apples', quantity: kg(1), price: 2.6, vatRate: FOOD, stock: 80, description: 'Golden de montagne, croquantes et acidulées.' },
  ],
};

/** An AMAP (association pour le maintien d'une agriculture paysanne). */
export const AMAP_DU_VIEUX_PONT: EnterpriseData = {
  slug: 'amap-du-vieux-pont',
  name: 'AMAP du Vieux Pont',
  description:
    'Association pour le maintien d’une agriculture paysanne : cent vingt familles engagées par contrat avec six '
    + 'producteurs. Distribution le jeudi de 18 h à 19 h 30 sous la halle du quartier du Pont-Saint-Étienne.',
  email: 'amap@amap-du-vieux-pont.example',
  phone: '+33 6 39 98 41 67',
  website: 'https://amap-du-vieux-pont.example',
  address: {
    street: '5 rue du Pont-Saint-Étienne', postcode: '87000', city: 'Limoges', region: REGION,
    latitude: 45.8248, longitude: 1.2667,
  },
  contact: { firstName: 'Sophie', familyName: 'Roux' },
  products: [
    {
      slug: 'part-de-legumes', name: 'Part de légumes hebdomadaire', type: 'vegetable',
      description: 'Légumes de la Ferme des Trois Chênes, distribués chaque jeudi.',
      variants: [
        { slug: 'part-de-legumes-demi', sku: 'AVP-LEG-DEMI', name: 'Part de légumes - demi-part', type: 'vegetable', quantity: n('Basket'), price: 11, vatRate: FOOD, stock: null, description: 'Pour 1 à 2 personnes, environ 3 kg.' },
        { slug: 'part-de-legumes-entiere', sku: 'AVP-LEG-ENT', name: 'Part de légumes - part entière', type: 'vegetable', quantity: n('Basket'), price: 19, vatRate: FOOD, stock: null, description: 'Pour 3 à 4 personnes, environ 6 kg.' },
      ],
    },
    {
      slug: 'part-d-oeufs', name: 'Part d’œufs', type: 'egg',
      description: 'Œufs de plein air du groupement, chaque semaine.',
      variants: [
        { slug: 'part-d-oeufs-x6', sku: 'AVP-OEU-6', name: 'Part d’œufs - 6 œufs', type: 'egg', quantity: n('HalfDozen'), price: 2.8, vatRate: FOOD, stock: null, description: 'Six œufs par semaine.' },
        { slug: 'part-d-oeufs-x12', sku: 'AVP-OEU-12', name: 'Part d’œufs - 12 œufs', type: 'egg', quantity: n('Dozen'), price: 5.2, vatRate: FOOD, stock: null, description: 'Douze œufs par semaine.' },
      ],
    },
    {
      slug: 'part-de-pain', name: 'Part de pain', type: 'bread',
      description: 'Pain au levain du Fournil de la Place, cuit le jour de la distribution.',
      variants: [
        { slug: 'part-de-pain-500g', sku: 'AVP-PAI-500', name: 'Part de pain - 500 g', type: 'bread', quantity: g(500), price: 3, vatRate: FOOD, stock: null, description: 'Un pain de 500 g par semaine.' },
        { slug: 'part-de-pain-1kg', sku: 'AVP-PAI-1K', name: 'Part de pain - 1 kg', type: 'bread', quantity: kg(1), price: 5.5, vatRate: FOOD, stock: null, description: 'Un pain d’un kilo par semaine.' },
      ],
    },
    { slug: 'contrat-legumes-ete', sku: 'AVP-CTR-LEG', name: 'Contrat légumes - saison d’été', type: 'vegetable', quantity: n('Basket', 26), price: 286, vatRate: FOOD, stock: null, description: 'Vingt-six demi-parts d’avril à septembre, réglables en six chèques.' },
    { slug: 'part-fromages-de-chevre', sku: 'AVP-FRO-CHE', name: 'Part de fromages de chèvre', type: 'goat-dairy-product', quantity: n('Box'), price: 6.5, vatRate: FOOD, stock: null, description: 'Trois fromages de la Chèvrerie du Puy, toutes les deux semaines.' },
    { slug: 'part-de-pommes', sku: 'AVP-POM-2K', name: 'Part de pommes', type: 'apples', quantity: kg(2), price: 5, vatRate: FOOD, stock: null, description: 'Deux kilos de pommes du Limousin par semaine, d’octobre à mars.' },
    { slug: 'colis-jus-de-pomme', sku: 'AVP-JUS-6', name: 'Colis de jus de pomme', type: 'fruit-juice', quantity: n('Bottle', 6), price: 18, vatRate: FOOD, stock: null, description: 'Six bouteilles d’un litre, livrées une fois par trimestre.' },
    { slug: 'contrat-miel', sku: 'AVP-CTR-MIE', name: 'Contrat miel', type: 'honey', quantity: n('Jar', 6), price: 60, vatRate: FOOD, stock: 12, description: 'Six pots de 500 g de miels variés, livrés en deux fois. Places limitées.' },
    { slug: 'poulet-fermier', sku: 'AVP-POU-1', name: 'Poulet fermier', type: 'chicken', quantity: n('Piece'), price: 22, vatRate: FOOD, stock: 10, description: 'Poulet élevé en plein air 110 jours, prêt à cuire, 1,8 à 2 kg.' },
    { slug: 'panier-decouverte', sku: 'AVP-DEC-1', name: 'Panier découverte', type: 'vegetable', quantity: n('Basket'), price: 15, vatRate: FOOD, stock: 5, description: 'Un panier sans engagement, pour essayer avant de signer un contrat.' },
  ],
};

/** A village grocery. */
export const EPICERIE_DU_VILLAGE: EnterpriseData = {
  slug: 'epicerie-du-village',
  name: 'L’Épicerie du Village',
  description:
    'Épicerie de village en circuit court : les produits des fermes voisines, des pâtes artisanales, des vins et '
    + 'bières de la région, des fleurs et des plants. Ouverte du mardi au dimanche matin.',
  email: 'epicerie@epicerie-du-village.example',
  phone: '+33 5 36 49 88 21',
  website: 'https://epicerie-du-village.example',
  address: {
    street: '8 Grande Rue', postcode: '87260', city: 'Pierre-Buffière', region: REGION,
    latitude: 45.6928, longitude: 1.3617,
  },
  contact: { firstName: 'Karim', familyName: 'Benali' },
  products: [
    {
      slug: 'oeufs-fermiers', name: 'Œufs fermiers', type: 'egg',
      description: 'Œufs de plein air du Groupement des Producteurs Limousins.',
      variants: [
        { slug: 'oeufs-fermiers-x6', sku: 'EDV-OEU-6', name: 'Œufs fermiers - boîte de 6', type: 'egg', quantity: n('HalfDozen'), price: 3.1, vatRate: FOOD, stock: 20, description: 'Boîte de six œufs.' },
        { slug: 'oeufs-fermiers-x12', sku: 'EDV-OEU-12', name: 'Œufs fermiers - boîte de 12', type: 'egg', quantity: n('Dozen'), price: 5.9, vatRate: FOOD, stock: 10, description: 'Boîte de douze œufs.' },
      ],
    },
    {
      slug: 'biere-blonde', name: 'Bière blonde du Taurion', type: 'beer',
      description: 'Bière blonde artisanale non filtrée, 5,5 % vol., brassée à Saint-Priest-Taurion.',
      variants: [
        { slug: 'biere-blonde-33cl', sku: 'EDV-BBL-33', name: 'Bière blonde du Taurion - 33 cl', type: 'beer', quantity: cl(33), price: 2.9, vatRate: STANDARD, stock: 48, description: 'Bouteille de 33 cl.' },
        { slug: 'biere-blonde-75cl', sku: 'EDV-BBL-75', name: 'Bière blonde du Taurion - 75 cl', type: 'beer', quantity: cl(75), price: 5.9, vatRate: STANDARD, stock: 12, description: 'Bouteille de 75 cl à partager.' },
      ],
    },
    { slug: 'panier-de-legumes', sku: 'EDV-PAN-LEG', name: 'Panier de légumes de la ferme', type: 'vegetable', quantity: n('Basket'), price: 15, vatRate: FOOD, stock: null, description: 'Panier de la Ferme des Trois Chênes, à commander avant mardi midi.' },
    { slug: 'pommes-de-terre', sku: 'EDV-PDT-2K5', name: 'Pommes de terre - 2,5 kg', type: 'potato', quantity: kg(2.5), price: 4.9, vatRate: FOOD, stock: 12, description: 'Charlotte de la Ferme des Trois Chênes.' },
    { slug: 'carottes', sku: 'EDV-CAR-1K', name: 'Carottes', type: 'carrot', quantity: kg(1), price: 2.9, vatRate: FOOD, stock: 15, description: 'Carottes de la Ferme des Trois Chênes.' },
    { slug: 'oignons-jaunes', sku: 'EDV-OIG-1K', name: 'Oignons jaunes', type: 'onion', quantity: kg(1), price: 3.1, vatRate: FOOD, stock: 10, description: 'Oignons de la Ferme des Trois Chênes.' },
    { slug: 'laitue-batavia', sku: 'EDV-LAI-BAT', name: 'Laitue batavia', type: 'lettuce', quantity: n('Piece'), price: 1.5, vatRate: FOOD, stock: 12, description: 'Livrée le mardi et le vendredi.' },
    { slug: 'tomates-anciennes', sku: 'EDV-TOM-1K', name: 'Tomates anciennes', type: 'hierloom-tomato', quantity: kg(1), price: 6.4, vatRate: FOOD, stock: 8, description: 'Variétés anciennes de la Ferme des Trois Chênes.' },
    { slug: 'pommes-du-limousin', sku: 'EDV-POM-1K', name: 'Pommes du Limousin', type: 'apples', quantity: kg(1), price: 2.9, vatRate: FOOD, stock: 20, description: 'Golden du Groupement des Producteurs Limousins.' },
    { slug: 'crottin-de-chevre', sku: 'EDV-CRO-CHE', name: 'Crottin de chèvre demi-sec', type: 'goat-mature-cheese', quantity: n('Piece'), price: 2.3, vatRate: FOOD, stock: 20, description: 'De la Chèvrerie du Puy.' },
    { slug: 'tomme-de-chevre', sku: 'EDV-TOM-CHE', name: 'Tomme de chèvre - 250 g', type: 'goat-mature-cheese', quantity: g(250), price: 6.9, vatRate: FOOD, stock: 6, description: 'De la Chèvrerie du Puy, affinée trois mois.' },
    { slug: 'yaourts-de-chevre', sku: 'EDV-YAO-CHE', name: 'Yaourts nature au lait de chèvre', type: 'goat-natural-yogurt', quantity: n('Piece', 4), price: 4.6, vatRate: FOOD, stock: 10, description: 'Lot de 4 pots de la Chèvrerie du Puy.' },
    { slug: 'beurre-doux', sku: 'EDV-BEU-250', name: 'Beurre doux fermier', type: 'butter', quantity: g(250), price: 3.6, vatRate: FOOD, stock: 14, description: 'Beurre de baratte d’une ferme laitière de Nexon.' },
    { slug: 'lait-entier', sku: 'EDV-LAI-1L', name: 'Lait entier de vache', type: 'milk', quantity: l(1), price: 1.4, vatRate: FOOD, stock: 18, description: 'Lait pasteurisé, bouteille d’un litre.' },
    { slug: 'yaourts-de-vache', sku: 'EDV-YAO-VAC', name: 'Yaourts nature au lait de vache', type: 'natural-yogurt', quantity: n('Piece', 4), price: 2.9, vatRate: FOOD, stock: 12, description: 'Lot de 4 pots de 125 g.' },
    { slug: 'baguette-tradition', sku: 'EDV-BAG-TRA', name: 'Baguette tradition', type: 'bread', quantity: g(250), price: 1.4, vatRate: FOOD, stock: 25, description: 'Du Fournil de la Place, livrée chaque matin.' },
    { slug: 'pain-de-campagne', sku: 'EDV-CAM-500', name: 'Pain de campagne - 500 g', type: 'bread', quantity: g(500), price: 3.4, vatRate: FOOD, stock: 10, description: 'Du Fournil de la Place.' },
    { slug: 'croissant', sku: 'EDV-CRO-1', name: 'Croissant pur beurre', type: 'viennoiserie-', quantity: n('Piece'), price: 1.3, vatRate: FOOD, stock: 15, description: 'Du Fournil de la Place, le week-end.' },
    { slug: 'miel-toutes-fleurs', sku: 'EDV-MIE-500', name: 'Miel toutes fleurs', type: 'honey', quantity: g(500), price: 11.2, vatRate: FOOD, stock: 10, description: 'Du Groupement des Producteurs Limousins.' },
    { slug: 'confiture-de-fraises', sku: 'EDV-CON-FRA', name: 'Confiture de fraises', type: 'jam', quantity: n('Jar'), price: 5.2, vatRate: FOOD, stock: 8, description: 'Pot de 350 g du Groupement des Producteurs Limousins.' },
    { slug: 'jus-de-pomme', sku: 'EDV-JUS-1L', name: 'Jus de pomme', type: 'fruit-juice', quantity: l(1), price: 3.5, vatRate: FOOD, stock: 24, description: 'Pur jus du Groupement des Producteurs Limousins.' },
    { slug: 'farine-t65', sku: 'EDV-FAR-T65', name: 'Farine de blé T65', type: 'grain', quantity: kg(1), price: 2.9, vatRate: FOOD, stock: 12, description: 'Moulue sur meule de pierre.' },
    { slug: 'lentilles-vertes', sku: 'EDV-LEN-500', name: 'Lentilles vertes', type: 'grain', quantity: g(500), price: 3.9, vatRate: FOOD, stock: 10, description: 'Lentilles de Basse-Marche.' },
    { slug: 'huile-de-noix', sku: 'EDV-HUI-NOI', name: 'Huile de noix', type: 'oil', quantity: cl(50), price: 15.5, vatRate: FOOD, stock: 6, description: 'Pressée à froid, bouteille de 50 cl.' },
    { slug: 'huile-d-olive', sku: 'EDV-HUI-OLI', name: 'Huile d’olive vierge extra', type: 'oil', quantity: cl(75), price: 12.9, vatRate: FOOD, stock: 10, description: 'Huile d’olive de Nyons, d’une coopérative partenaire.' },
    { slug: 'huile-de-tournesol', sku: 'EDV-HUI-TOU', name: 'Huile de tournesol', type: 'oil', quantity: l(1), price: 3.9, vatRate: FOOD, stock: 14, description: 'Tournesol français, pression à froid.' },
    { slug: 'coquillettes', sku: 'EDV-PAT-COQ', name: 'Coquillettes', type: 'pasta', quantity: g(500), price: 3.4, vatRate: FOOD, stock: 20, description: 'Pâtes artisanales au blé dur, séchées lentement.' },
    { slug: 'fusilli', sku: 'EDV-PAT-FUS', name: 'Fusilli', type: 'pasta', quantity: g(500), price: 3.4, vatRate: FOOD, stock: 16, description: 'Pâtes artisanales au blé dur, tréfilées au bronze.' },
    { slug: 'spaghetti', sku: 'EDV-PAT-SPA', name: 'Spaghetti', type: 'pasta', quantity: g(500), price: 3.2, vatRate: FOOD, stock: 18, description: 'Pâtes artisanales au blé dur.' },
    { slug: 'tagliatelles-aux-oeufs', sku: 'EDV-PAT-TAG', name: 'Tagliatelles aux œufs', type: 'pasta', quantity: g(250), price: 3.9, vatRate: FOOD, stock: 8, description: 'Aux œufs frais de plein air.' },
    { slug: 'sables-au-beurre', sku: 'EDV-SAB-200', name: 'Sablés au beurre', type: 'biscuit', quantity: g(200), price: 4.2, vatRate: FOOD, stock: 8, description: 'Du Fournil de la Place.' },
    { slug: 'croquants-aux-noisettes', sku: 'EDV-CRQ-150', name: 'Croquants aux noisettes', type: 'biscuit', quantity: g(150), price: 3.8, vatRate: FOOD, stock: 10, description: 'Biscuits secs aux noisettes entières.' },
    { slug: 'vin-rouge-correze', sku: 'EDV-VIN-ROU', name: 'Vin rouge IGP Corrèze', type: 'wine', quantity: cl(75), price: 9.5, vatRate: STANDARD, stock: 24, description: 'Cabernet franc et merlot des coteaux de Branceilles.' },
    { slug: 'vin-paille-correze', sku: 'EDV-VIN-PAI', name: 'Vin paillé de Corrèze', type: 'wine', quantity: cl(50), price: 22, vatRate: STANDARD, stock: 6, description: 'Vin liquoreux de raisins séchés sur paille.' },
    { slug: 'vin-blanc-sec', sku: 'EDV-VIN-BLA', name: 'Vin blanc sec', type: 'wine', quantity: cl(75), price: 8.9, vatRate: STANDARD, stock: 12, description: 'Chardonnay IGP Corrèze, vif et fruité.' },
    { slug: 'vin-rose', sku: 'EDV-VIN-ROS', name: 'Vin rosé', type: 'wine', quantity: cl(75), price: 7.9, vatRate: STANDARD, stock: null, description: 'Rosé de saignée, commandé au domaine à la demande.' },
    { slug: 'biere-ambree', sku: 'EDV-BAM-33', name: 'Bière ambrée du Taurion', type: 'beer', quantity: cl(33), price: 3.1, vatRate: STANDARD, stock: 24, description: 'Ambrée aux notes de caramel, 6 % vol.' },
    { slug: 'biere-blanche', sku: 'EDV-BBA-33', name: 'Bière blanche du Taurion', type: 'beer', quantity: cl(33), price: 3, vatRate: STANDARD, stock: null, description: 'Blanche à la coriandre, 4,5 % vol., brassée d’avril à septembre.' },
    { slug: 'cidre-brut', sku: 'EDV-CID-BRU', name: 'Cidre brut fermier', type: 'cider', quantity: cl(75), price: 5.4, vatRate: STANDARD, stock: 12, description: 'Du Groupement des Producteurs Limousins.' },
    { slug: 'bouquet-de-saison', sku: 'EDV-FLE-BOU', name: 'Bouquet de saison', type: 'flower', quantity: n('Bunch'), price: 15, vatRate: STANDARD, stock: null, description: 'Fleurs coupées d’une horticultrice de Solignac, composé à la commande.' },
    { slug: 'botte-de-tulipes', sku: 'EDV-FLE-TUL', name: 'Botte de tulipes', type: 'flower', quantity: n('Bunch'), price: 9.5, vatRate: STANDARD, stock: 6, description: 'Dix tulipes, de mars à mai.' },
    { slug: 'plants-de-tomates', sku: 'EDV-PLA-TOM', name: 'Plants de tomates', type: 'plant', quantity: n('Piece'), price: 2.5, vatRate: STANDARD, stock: 40, description: 'Godet de 9 cm, variétés anciennes, en avril et mai.' },
    { slug: 'plants-aromatiques', sku: 'EDV-PLA-ARO', name: 'Plants aromatiques', type: 'plant', quantity: n('Piece'), price: 3.2, vatRate: STANDARD, stock: 25, description: 'Thym, romarin, sauge ou menthe, en pot de 10 cm.' },
    { slug: 'geranium', sku: 'EDV-PLA-GER', name: 'Géranium', type: 'plant', quantity: n('Piece'), price: 4.5, vatRate: STANDARD, stock: 15, description: 'Géranium lierre, pot de 12 cm.' },
    { slug: 'jardiniere-fleurie', sku: 'EDV-PLA-JAR', name: 'Jardinière fleurie', type: 'plant', quantity: n('Box'), price: 24, vatRate: STANDARD, stock: null, description: 'Jardinière de 60 cm composée à la commande.' },
  ],
};

/** The six enterprises of the network, in the order the example files are listed. */
export const ENTERPRISES: readonly EnterpriseData[] = [
  FERME_DES_TROIS_CHENES,
  CHEVRERIE_DU_PUY,
  FOURNIL_DE_LA_PLACE,
  GROUPEMENT_PRODUCTEURS_LIMOUSINS,
  AMAP_DU_VIEUX_PONT,
  EPICERIE_DU_VILLAGE,
];
