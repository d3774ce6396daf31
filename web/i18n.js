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
    statusOk: 'ok', statusFailed: 'failed', statusNew: 'new', feedPush: 'Feed and push', reachTitle: 'How each peer’s changes reach us',
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
    statusOk: 'ok', statusFailed: 'en échec', statusNew: 'nouveau', feedPush: 'Flux et notifications',
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
