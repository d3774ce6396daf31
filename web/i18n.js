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
    peersTitle: 'Peers', colQuarantine: 'Quarantine', recordOne: '1 record', recordMany: '{n} records',
    quarantineOf: 'Quarantined records of {name}', noType: 'type unknown', loading: 'Loading…',
    quarantineMore: '… and {n} more: maillon peer status {id} lists them all.',
    statusOk: 'ok', statusFailed: 'failed', statusStopped: 'stopped', statusNew: 'new', statusSyncing: 'syncing now', feedPush: 'Feed and push', reachTitle: 'How each peer’s changes reach us',
    colChanges: 'Changes', colPush: 'Our push subscription', colSubscribedAt: 'Subscribed', colLastNotification: 'Last notification',
    colNotifications: 'Notifications received', colSubscribeFailures: 'Failed attempts to subscribe', colSubscribeError: 'Why subscribing failed',
    changesPush: 'On each notification, and every {interval}: {read}',
    changesInterval: 'Every {interval}: {read}', readFeed: 'its change feed', readSnapshot: 'a full snapshot',
    readUnknown: 'not known before its first sync', pushSubscribed: 'subscribed', pushFailing: 'failing', pushNone: 'not subscribed',
    ownFeed: 'Our change feed', feedLatest: 'Latest sequence', feedLastEvent: 'Last event written', feedEvents: 'Events kept',
    feedStream: 'Stream', subscribersTitle: 'Push subscriptions held at this node',
    noSubscribers: 'No node is subscribed to this node’s changes.', colTarget: 'Target', colWatches: 'Watches', wholeNode: 'the whole node',
    colLastDelivery: 'Last delivery', colUpToDate: 'Up to date', subActive: 'active', subFailing: 'failing', subDead: 'given up', behind: 'behind',
    retryAt: 'next try {when}', subscribe: 'Subscribe', subscribing: 'Subscribing to {name}…',
    subscribedTo: 'Subscribed to the notifications of {name}.', subscribeFailed: '{name}: {error}',
    colPeer: 'Peer', colStatus: 'Status', colLastSuccess: 'Last success', colNextAttempt: 'Next attempt', colFailures: 'Failures',
    colError: 'Last error', colActions: 'Actions', syncNow: 'Sync now', syncing: 'Syncing {name}…', synced: '{name} synced.',
    syncFailed: '{name}: sync failed: {error}', never: 'never', loadFailed: 'Could not load: {error}', thisNode: 'this node',
    near: 'Near (town, postcode or a point on the map)', within: 'within', clear: 'Clear',
    nearHelp: 'Type a town or postcode, or click on the map to choose a point.', point: 'point {lat}, {lon}',
    narrowerOf: 'Types under {type}', typeCount: '{label} ({n})', untyped: '(no type)', unknownArea: '(unknown)', skipMap: 'Skip the map',
    gaps: 'Gaps: no producer within {km} km', gapsNone: 'Every product type offered in the catalogue has a producer within {km} km.',
    gapsSummary: '{n} product types have no producer within {km} km of {place}; {none} more are offered by nobody in the catalogue.', gapNearest: 'nearest producer {km} km away ({n} producers further)',
    moreGaps: '… and {n} more',
    producerPopup: '{name}, {place}: {offers} offers, {inStock} in stock', markerLabel: '{name} ({offers} offers)',
    offersOf: 'Show its offers', producer: 'Producer', allProducers: 'All producers',
    townLabel: '{place}: {producers} producers, {offers} offers', townPopup: '{place}: {producers} producers, {offers} offers, {inStock} in stock',
    nearTown: 'Producers within 10 km', byTown: '{n} producers: shown by town (each producer shows from {max} or fewer).',
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
    peersTitle: 'Pairs', colQuarantine: 'Quarantaine', recordOne: '1 enregistrement', recordMany: '{n} enregistrements',
    quarantineOf: 'Enregistrements en quarantaine de {name}', noType: 'type inconnu', loading: 'Chargement…',
    quarantineMore: '… et {n} autres : maillon peer status {id} les liste tous.',
    statusOk: 'ok', statusFailed: 'en échec', statusStopped: 'interrompu', statusNew: 'nouveau', statusSyncing: 'synchronisation en cours', feedPush: 'Flux et notifications',
    reachTitle: 'Comment les changements de chaque pair nous parviennent', colChanges: 'Changements', colPush: 'Notre abonnement',
    colSubscribedAt: 'Abonné le', colLastNotification: 'Dernière notification', colNotifications: 'Notifications reçues',
    colSubscribeFailures: 'Tentatives d’abonnement échouées', colSubscribeError: 'Pourquoi l’abonnement a échoué',
    changesPush: 'À chaque notification, et toutes les {interval} : {read}', changesInterval: 'Toutes les {interval} : {read}',
    readFeed: 'son flux de changements', readSnapshot: 'un instantané complet', readUnknown: 'inconnu avant la première synchronisation',
    pushSubscribed: 'abonné', pushFailing: 'en échec', pushNone: 'non abonné', ownFeed: 'Notre flux de changements',
    feedLatest: 'Dernière séquence', feedLastEvent: 'Dernier événement écrit', feedEvents: 'Événements conservés', feedStream: 'Flux',
    subscribersTitle: 'Abonnements aux notifications de ce nœud', noSubscribers: 'Aucun nœud n’est abonné aux changements de ce nœud.',
    colTarget: 'Destination', colWatches: 'Suit', wholeNode: 'tout le nœud', colLastDelivery: 'Dernière livraison', colUpToDate: 'À jour',
    subActive: 'actif', subFailing: 'en échec', subDead: 'abandonné', behind: 'en retard',
    retryAt: 'nouvel essai {when}', subscribe: 'S’abonner', subscribing: 'Abonnement à {name}…',
    subscribedTo: 'Abonné aux notifications de {name}.', subscribeFailed: '{name} : {error}',
    colPeer: 'Pair', colStatus: 'État', colLastSuccess: 'Dernier succès', colNextAttempt: 'Prochaine tentative', colFailures: 'Échecs',
    colError: 'Dernière erreur', colActions: 'Actions', syncNow: 'Synchroniser', syncing: 'Synchronisation de {name}…',
    synced: '{name} synchronisé.', syncFailed: '{name} : échec de la synchronisation : {error}', never: 'jamais',
    loadFailed: 'Chargement impossible : {error}', thisNode: 'ce nœud',
    near: 'Près de (commune, code postal ou point sur la carte)', within: 'dans un rayon de', clear: 'Effacer',
    nearHelp: 'Saisissez une commune ou un code postal, ou cliquez sur la carte pour choisir un point.', point: 'point {lat}, {lon}',
    narrowerOf: 'Types sous {type}', typeCount: '{label} ({n})', untyped: '(sans type)', unknownArea: '(inconnu)', skipMap: 'Passer la carte',
    gaps: 'Manques : aucun producteur à moins de {km} km',
    gapsNone: 'Chaque type de produit proposé dans le catalogue a un producteur à moins de {km} km.',
    gapsSummary: '{n} types de produits n’ont aucun producteur à moins de {km} km de {place} ; {none} autres ne sont proposés par personne dans le catalogue.',
    gapNearest: 'producteur le plus proche à {km} km ({n} producteurs plus loin)',
    moreGaps: '… et {n} de plus', producerPopup: '{name}, {place} : {offers} offres, dont {inStock} en stock',
    markerLabel: '{name} ({offers} offres)', offersOf: 'Voir ses offres', producer: 'Producteur', allProducers: 'Tous les producteurs',
    townLabel: '{place} : {producers} producteurs, {offers} offres',
    townPopup: '{place} : {producers} producteurs, {offers} offres, dont {inStock} en stock', nearTown: 'Producteurs à moins de 10 km',
    byTown: '{n} producteurs : regroupés par commune (chaque producteur apparaît à partir de {max} ou moins).',
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

/**
 * Text a peer gave, isolated for the bidirectional algorithm (FSI … PDI) before it is put into a sentence: a
 * right-to-left override in a producer's name must not reverse the rest of the sentence (a postcode 87120 read
 * 02178). Its own isolates are balanced first: a PDI of its own would close ours early, an initiator left open
 * would take ours.
 *
 * @param {unknown} text
 * @returns {string}
 */
export function isolate(text) {
  let open = 0;
  let balanced = '';
  for (const character of String(text)) {
    if (character === '\u2066' || character === '\u2067' || character === '\u2068') open += 1;
    else if (character === '\u2069') {
      if (open === 0) continue;
      open -= 1;
    }
    balanced += character;
  }
  return `\u2068${balanced}${'\u2069'.repeat(open)}\u2069`;
}
