/**
 * The dashboard's strings, in French and English. A key missing in one language falls back to English.
 */
export const STRINGS = {
  en: {
    title: 'Territory dashboard', skip: 'Skip to content', views: 'Views', catalogueView: 'Catalogue', networkView: 'Network',
    otherLanguage: 'Français', otherLanguageCode: 'fr',
    filters: 'Filters', search: 'Search', productType: 'Product type', allTypes: 'All types', source: 'Source', allSources: 'All sources',
    inStockNow: 'In stock now', map: 'Producers and shops', charts: 'Charts', catalogue: 'Federated catalogue',
    csv: 'Download these rows as CSV', previous: 'Previous', next: 'Next', pages: 'Pages', pageOf: 'Page {page} of {pages}',
    summary: '{offers} offers from {producers} producers', offlineMap: 'No map tiles: producers are shown as points.',
    tilesFailed: 'Map tiles could not be loaded: producers are shown as points.',
    byType: 'Offers per product type', byArea: 'Offers per postcode area', bySource: 'Offers per source', producersBySource: 'Producers per source',
    inStockShare: 'Share of offers in stock', inStockOf: '{n} of {total} in stock',
    colName: 'Product', colType: 'Type', colPrice: 'Price', colStock: 'Stock', colEnterprise: 'Producer', colCity: 'Town',
    colPostcode: 'Postcode', colSource: 'Source', sortBy: 'Sort by {column}', noRows: 'Nothing matches these filters.', yes: 'yes', no: 'no',
    adminToken: 'Admin token', useToken: 'Use', forgetToken: 'Forget', tokenNote: 'The token is kept in this tab only (session storage).',
    needToken: 'Enter the admin token to see the peers.', badToken: 'The token was refused.', noPeers: 'No peers.',
    colPeer: 'Peer', colStatus: 'Status', colLastSuccess: 'Last success', colNextAttempt: 'Next attempt', colFailures: 'Failures',
    colError: 'Last error', colActions: 'Actions', syncNow: 'Sync now', syncing: 'Syncing {name}…', synced: '{name} synced.',
    syncFailed: '{name}: sync failed: {error}', never: 'never', loadFailed: 'Could not load: {error}', thisNode: 'this node',
    near: 'Near (town, postcode or a point on the map)', within: 'within', clear: 'Clear',
    nearHelp: 'Type a town or postcode, or click on the map to choose a point.', point: 'point {lat}, {lon}',
    showNarrower: 'Show the types under {type}', hideNarrower: 'Hide the types under {type}', typeCount: '{label} ({n})',
    gaps: 'Gaps: no producer within {km} km', gapsNone: 'Every product type offered in the catalogue has a producer within {km} km.',
    gapsSummary: '{n} product types have no producer within {km} km of {place}.', gapNearest: 'nearest producer {km} km away ({n} producers further)',
    gapNobody: 'no producer in the catalogue', moreGaps: '… and {n} more',
    producerPopup: '{name}, {place}: {offers} offers, {inStock} in stock', markerLabel: '{name} ({offers} offers)',
    offersOf: 'Show its offers', producer: 'Producer', allProducers: 'All producers',
  },
  fr: {
    title: 'Tableau de bord du territoire', skip: 'Aller au contenu', views: 'Vues', catalogueView: 'Catalogue', networkView: 'Réseau',
    otherLanguage: 'English', otherLanguageCode: 'en',
    filters: 'Filtres', search: 'Recherche', productType: 'Type de produit', allTypes: 'Tous les types', source: 'Source',
    allSources: 'Toutes les sources', inStockNow: 'En stock maintenant', map: 'Producteurs et boutiques', charts: 'Graphiques',
    catalogue: 'Catalogue fédéré', csv: 'Télécharger ces lignes en CSV', previous: 'Précédente', next: 'Suivante', pages: 'Pages',
    pageOf: 'Page {page} sur {pages}', summary: '{offers} offres de {producers} producteurs',
    offlineMap: 'Pas de fond de carte : les producteurs sont des points.',
    tilesFailed: 'Le fond de carte n’a pas pu être chargé : les producteurs sont des points.',
    byType: 'Offres par type de produit', byArea: 'Offres par département', bySource: 'Offres par source', producersBySource: 'Producteurs par source',
    inStockShare: 'Part des offres en stock', inStockOf: '{n} sur {total} en stock',
    colName: 'Produit', colType: 'Type', colPrice: 'Prix', colStock: 'Stock', colEnterprise: 'Producteur', colCity: 'Commune',
    colPostcode: 'Code postal', colSource: 'Source', sortBy: 'Trier par {column}', noRows: 'Rien ne correspond à ces filtres.', yes: 'oui', no: 'non',
    adminToken: 'Jeton d’administration', useToken: 'Utiliser', forgetToken: 'Oublier',
    tokenNote: 'Le jeton n’est gardé que dans cet onglet (stockage de session).',
    needToken: 'Saisissez le jeton d’administration pour voir les pairs.', badToken: 'Le jeton a été refusé.', noPeers: 'Aucun pair.',
    colPeer: 'Pair', colStatus: 'État', colLastSuccess: 'Dernier succès', colNextAttempt: 'Prochaine tentative', colFailures: 'Échecs',
    colError: 'Dernière erreur', colActions: 'Actions', syncNow: 'Synchroniser', syncing: 'Synchronisation de {name}…',
    synced: '{name} synchronisé.', syncFailed: '{name} : échec de la synchronisation : {error}', never: 'jamais',
    loadFailed: 'Chargement impossible : {error}', thisNode: 'ce nœud',
    near: 'Près de (commune, code postal ou point sur la carte)', within: 'dans un rayon de', clear: 'Effacer',
    nearHelp: 'Saisissez une commune ou un code postal, ou cliquez sur la carte pour choisir un point.', point: 'point {lat}, {lon}',
    showNarrower: 'Afficher les types sous {type}', hideNarrower: 'Masquer les types sous {type}', typeCount: '{label} ({n})',
    gaps: 'Manques : aucun producteur à moins de {km} km',
    gapsNone: 'Chaque type de produit proposé dans le catalogue a un producteur à moins de {km} km.',
    gapsSummary: '{n} types de produits n’ont aucun producteur à moins de {km} km de {place}.',
    gapNearest: 'producteur le plus proche à {km} km ({n} producteurs plus loin)', gapNobody: 'aucun producteur dans le catalogue',
    moreGaps: '… et {n} de plus', producerPopup: '{name}, {place} : {offers} offres, dont {inStock} en stock',
    markerLabel: '{name} ({offers} offres)', offersOf: 'Voir ses offres', producer: 'Producteur', allProducers: 'Tous les producteurs',
  },
};

/**
 * A string in a language, with its `{name}` placeholders filled.
 *
 * @param {'fr' | 'en'} language
 * @param {string} key
 * @param {Record<string, string | number>} [values]
 * @returns {string}
 */
export function t(language, key, values = {}) {
  const template = STRINGS[language][key] ?? STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/gu, (_m, name) => String(values[name] ?? ''));
}
