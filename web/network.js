/**
 * The dashboard's network view, for the node's operator and the network's coordinators (admin token): each peer's
 * sync status with its quarantined records (a disclosure per peer, loaded when opened), how each peer's changes
 * reach us (pushed or at its interval, from its change feed or snapshots) with our push subscription there, our own
 * change feed, and the push subscriptions other nodes hold at ours.
 *
 * It reads `GET /api/sync/status`, `GET /api/sync/feed` and `GET /api/sync/peers/{id}`; none of them says a secret.
 */

/** The admin token lives in this tab's session only: never in localStorage, never in a URL. */
export const TOKEN_KEY = 'maillon.adminToken';

import { isolate } from './i18n.js';

const $ = (selector) => document.querySelector(selector);

const PEER_COLUMNS = ['colPeer', 'colStatus', 'colLastSuccess', 'colNextAttempt', 'colFailures', 'colError', 'colQuarantine', 'colActions'];
const REACH_COLUMNS = ['colPeer', 'colChanges', 'colPush', 'colSubscribedAt', 'colLastNotification', 'colNotifications', 'colSubscribeFailures', 'colSubscribeError', 'colActions'];
const SUBSCRIBER_COLUMNS = ['colTarget', 'colWatches', 'colStatus', 'colLastDelivery', 'colFailures', 'colError', 'colUpToDate'];

/** Text of the keys the API gives, in the page's language. */
// `syncing`: a sync of the peer is under way now (here or in another process, `maillon sync`); its last outcome is
// `lastStatus`.
const PEER_STATUS = { ok: 'statusOk', failed: 'statusFailed', stopped: 'statusStopped', new: 'statusNew', syncing: 'statusSyncing' };
const PUSH_STATE = { subscribed: 'pushSubscribed', failing: 'pushFailing', none: 'pushNone' };
const SUBSCRIBER_STATUS = { active: 'subActive', failing: 'subFailing', dead: 'subDead' };
const READ = { feed: 'readFeed', snapshot: 'readSnapshot', unknown: 'readUnknown' };
/** Quarantined records drawn per peer: a peer refusing thousands of records must not freeze the page. */
const SHOWN_RECORDS = 100;

/** An element with some text (textContent only: what peers say is never read as HTML). */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

/** A header row of column headers (`scope="col"`). */
function headerRow(tr, keys) {
  return keys.map((key) => {
    const th = el('th', tr(key));
    th.scope = 'col';
    return th;
  });
}

/** A row whose first cell heads it (`scope="row"`), then plain cells (strings or elements). */
function row(head, cells, className) {
  const line = el('tr', undefined, className);
  const th = el('th');
  th.scope = 'row';
  th.append(head);
  line.append(th);
  for (const cell of cells) {
    const td = el('td');
    td.append(cell);
    line.append(td);
  }
  return line;
}

/**
 * Builds the view.
 *
 * @param {{ tr: (key: string, values?: Record<string, string | number>) => string,
 *   getJson: (path: string, init?: RequestInit) => Promise<any>, language: () => string }} ui
 */
export function networkView({ tr, getJson, language }) {
  /** Peers whose quarantine is open: they stay open when the view is drawn again (after "sync now"). */
  const expanded = new Set();

  const adminHeaders = () => {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return token === null ? undefined : { authorization: `Bearer ${token}` };
  };
  const when = (iso) => (iso === null || iso === undefined ? tr('never') : new Date(iso).toLocaleString(language()));
  const count = (n) => new Intl.NumberFormat(language()).format(n);
  const status = (text) => { $('#network-status').textContent = text; };

  /** 300 → "5 min", 3600 → "1 h", 90 → "90 s": the units read the same in French and English. */
  const interval = (seconds) => {
    if (seconds % 3600 === 0) return `${count(seconds / 3600)} h`;
    if (seconds % 60 === 0) return `${count(seconds / 60)} min`;
    return `${count(seconds)} s`;
  };

  const clear = () => {
    $('#network-data').hidden = true;
    for (const id of ['#peers', '#reach', '#subscribers']) $(`${id} tbody`).replaceChildren();
    $('#own-feed').replaceChildren();
  };

  // ---- Peers, with their quarantine ----

  /** Draws the quarantined records of a peer into its detail cell. */
  async function fillQuarantine(peer, cell) {
    cell.replaceChildren(el('p', tr('loading'), 'note'));
    let detail;
    try {
      detail = await getJson(`/api/sync/peers/${encodeURIComponent(peer.id)}`, { headers: adminHeaders() });
    } catch (error) {
      cell.replaceChildren(el('p', tr('loadFailed', { error: isolate(error.message) })));
      return;
    }
    // What a peer wrote is isolated in each sentence (see isolate): its right-to-left override reverses only itself.
    const title = el('p', tr('quarantineOf', { name: isolate(peer.name) }), 'quarantine-title');
    const list = el('ul', undefined, 'quarantine');
    const records = detail.quarantine ?? [];
    for (const record of records.slice(0, SHOWN_RECORDS)) {
      const item = el('li');
      const head = el('p');
      head.append(el('code', record.iri), ' ', el('span', `(${record.type === null || record.type === undefined ? tr('noType') : isolate(record.type)})`, 'note'));
      const problems = el('ul', undefined, 'problems');
      for (const problem of record.problems ?? []) {
        // The code is the problem's stable title; where it is and what is wrong, its detail.
        const line = el('li');
        line.append(el('strong', problem.code ?? problem.severity ?? '?'));
        if (problem.path) line.append(' ', el('code', problem.path));
        line.append(`: ${isolate(problem.message ?? '')}`);
        problems.append(line);
      }
      item.append(head, problems);
      list.append(item);
    }
    cell.replaceChildren(title, list);
    if (records.length > SHOWN_RECORDS) {
      cell.append(el('p', tr('quarantineMore', { n: count(records.length - SHOWN_RECORDS), id: peer.id }), 'note'));
    }
  }

  /** The peer's row and, when it has quarantined records, a disclosure button and the (hidden) row it opens. */
  function peerRows(peer) {
    const cells = [
      tr(PEER_STATUS[peer.status] ?? 'statusNew'), when(peer.lastSuccessAt), when(peer.nextAttemptAt), count(peer.failures ?? 0), peer.lastError ?? '—',
    ];
    const quarantined = peer.quarantined ?? 0;
    const detailId = `quarantine-${peer.id}`;
    let toggle;
    if (quarantined > 0) {
      toggle = el('button', quarantined === 1 ? tr('recordOne') : tr('recordMany', { n: count(quarantined) }), 'disclosure');
      toggle.type = 'button';
      toggle.setAttribute('aria-expanded', 'false');
      toggle.setAttribute('aria-controls', detailId);
      // The visible text first (the accessible name contains what is seen), then whose records they are.
      toggle.setAttribute('aria-label', `${toggle.textContent}: ${tr('quarantineOf', { name: isolate(peer.name) })}`);
      cells.push(toggle);
    } else {
      cells.push(count(0));
    }
    const sync = el('button', tr('syncNow'));
    sync.type = 'button';
    sync.setAttribute('aria-label', `${tr('syncNow')}: ${isolate(peer.name)}`);
    sync.addEventListener('click', () => void syncNow(peer));
    cells.push(sync);
    const line = row(peer.name, cells, `peer peer-${peer.status ?? 'new'}`);
    if (toggle === undefined) return [line];
    const detail = el('tr', undefined, 'quarantine-row');
    detail.id = detailId;
    const cell = el('td');
    cell.colSpan = PEER_COLUMNS.length;
    detail.append(cell);
    const open = async (isOpen) => {
      toggle.setAttribute('aria-expanded', String(isOpen));
      detail.hidden = !isOpen;
      if (isOpen) {
        expanded.add(peer.id);
        await fillQuarantine(peer, cell);
      } else {
        expanded.delete(peer.id);
      }
    };
    toggle.addEventListener('click', () => void open(toggle.getAttribute('aria-expanded') !== 'true'));
    detail.hidden = true;
    if (expanded.has(peer.id)) void open(true);
    return [line, detail];
  }

  // ---- How each peer's changes reach us ----

  function reachRow(peer) {
    const changes = peer.changes ?? {};
    const push = peer.push ?? {};
    const read = tr(READ[changes.read] ?? 'readUnknown');
    const every = interval(changes.intervalSeconds ?? 300);
    const how = tr(changes.via === 'push' ? 'changesPush' : 'changesInterval', { interval: every, read });
    const state = el('span', tr(PUSH_STATE[push.state] ?? 'pushNone'), `push-${push.state ?? 'none'}`);
    // Only where there is no subscription: a second one would leave the first sending with a secret we forgot.
    let action = '—';
    if (push.state !== 'subscribed') {
      action = el('button', tr('subscribe'));
      action.type = 'button';
      action.setAttribute('aria-label', `${tr('subscribe')}: ${isolate(peer.name)}`);
      action.addEventListener('click', () => void subscribe(peer));
    }
    return row(peer.name, [
      how, state, push.subscribedAt ? when(push.subscribedAt) : '—', when(push.lastNotificationAt), count(push.notifications ?? 0),
      count(push.failures ?? 0), push.lastError ?? '—', action,
    ]);
  }

  // ---- Our feed and its subscribers ----

  /** A subscription's state, with when it is tried again while it fails. */
  function subscriberState(s) {
    const text = tr(SUBSCRIBER_STATUS[s.status] ?? 'subActive');
    const retry = s.status === 'failing' && s.nextAttemptAt ? ` (${tr('retryAt', { when: when(s.nextAttemptAt) })})` : '';
    return el('span', `${text}${retry}`, `sub-${s.status}`);
  }

  function drawFeed(answer) {
    const { feed, subscriptions } = answer;
    const facts = [
      ['feedLatest', count(feed.latestSeq)], ['feedLastEvent', when(feed.lastEventAt)], ['feedEvents', count(feed.events)],
    ];
    const items = facts.flatMap(([key, value]) => [el('dt', tr(key)), el('dd', value)]);
    const stream = el('dd');
    stream.append(el('code', feed.stream));
    $('#own-feed').replaceChildren(...items, el('dt', tr('feedStream')), stream);
    $('#subscribers-empty').hidden = subscriptions.length > 0;
    $('#subscribers').hidden = subscriptions.length === 0;
    $('#subscribers tbody').replaceChildren(...subscriptions.map((s) => row(el('code', s.target), [
      s.enterprise ?? tr('wholeNode'),
      subscriberState(s),
      when(s.lastDeliveryAt), count(s.failures ?? 0), s.lastError ?? '—', s.upToDate ? tr('yes') : tr('behind'),
    ], `subscriber subscriber-${s.status}`)));
  }

  // ---- Loading ----

  async function load() {
    document.body.dataset.network = 'loading';
    $('#peers thead tr').replaceChildren(...headerRow(tr, PEER_COLUMNS));
    $('#reach thead tr').replaceChildren(...headerRow(tr, REACH_COLUMNS));
    $('#subscribers thead tr').replaceChildren(...headerRow(tr, SUBSCRIBER_COLUMNS));
    const headers = adminHeaders();
    if (headers === undefined) {
      clear();
      status(tr('needToken'));
      document.body.dataset.network = 'ready';
      return;
    }
    let answers;
    try {
      answers = await Promise.all([getJson('/api/sync/status', { headers }), getJson('/api/sync/feed', { headers })]);
    } catch (error) {
      clear();
      status(error.status === 401 || error.status === 403 ? tr('badToken') : tr('loadFailed', { error: isolate(error.message) }));
      document.body.dataset.network = 'ready';
      return;
    }
    const [sync, feed] = answers;
    status(sync.peers.length === 0 ? tr('noPeers') : '');
    $('#network-data').hidden = false;
    $('#peers tbody').replaceChildren(...sync.peers.flatMap(peerRows));
    $('#reach tbody').replaceChildren(...sync.peers.map(reachRow));
    drawFeed(feed);
    document.body.dataset.network = 'ready';
  }

  /** Asks our node to subscribe to a peer's notifications, says how it went, and draws the view again. */
  async function subscribe(peer) {
    const name = isolate(peer.name);
    status(tr('subscribing', { name }));
    try {
      await getJson(`/api/sync/peers/${encodeURIComponent(peer.id)}/subscribe`, { method: 'POST', headers: adminHeaders() });
      status(tr('subscribedTo', { name }));
    } catch (error) {
      status(tr('subscribeFailed', { name, error: isolate(error.message) }));
    }
    const message = $('#network-status').textContent;
    await load();
    status(message);
  }

  async function syncNow(peer) {
    const name = isolate(peer.name);
    status(tr('syncing', { name }));
    try {
      // A sync that ran and failed (the peer unreachable, its answer refused) is a 200 too, saying `ok: false`.
      const answer = await getJson(`/api/sync/peers/${encodeURIComponent(peer.id)}/sync`, { method: 'POST', headers: adminHeaders() });
      if (answer?.ok === false) {
        status(tr('syncFailed', { name, error: isolate(answer.failure?.message ?? answer.failure?.kind ?? '?') }));
      } else status(tr('synced', { name }));
    } catch (error) {
      status(tr('syncFailed', { name, error: isolate(error.message) }));
    }
    const message = $('#network-status').textContent;
    await load();
    status(message);
  }

  return { load };
}
