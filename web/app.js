/**
 * The territory dashboard: asks this node's API for aggregates and pages (never the whole catalogue) and shows
 * them as a map, charts and a table; the network view (`network.js`) shows the peers, the feed and push
 * notifications to whoever has the admin token. No framework and no build step: what runs is what is in `web/`,
 * and Leaflet from its npm package.
 */
import * as L from '/dashboard/vendor/leaflet/leaflet-src.esm.js';
import { t } from './i18n.js';
import { networkView, TOKEN_KEY } from './network.js';

const PAGE_SIZE = 25;
const LANGUAGE_KEY = 'maillon.language';

const $ = (selector) => document.querySelector(selector);

const state = {
  language: initialLanguage(),
  q: '', type: '', peer: '', inStock: false,
  page: 1, sort: 'relevance', total: 0,
  view: 'catalogue',
};

/** The language chosen before in this browser, else the browser's first (French or English). */
function initialLanguage() {
  const chosen = localStorage.getItem(LANGUAGE_KEY);
  if (chosen === 'fr' || chosen === 'en') return chosen;
  const first = (navigator.languages?.[0] ?? navigator.language ?? 'en').toLowerCase();
  return first.startsWith('fr') ? 'fr' : 'en';
}

const tr = (key, values) => t(state.language, key, values);

/** Fetches JSON from our own API, with the page's language (labels, number formats). */
async function getJson(path, init = {}) {
  const response = await fetch(path, { ...init, headers: { accept: 'application/json', 'accept-language': state.language, ...(init.headers ?? {}) } });
  if (!response.ok) {
    let detail = `${response.status}`;
    try { detail = (await response.json()).detail ?? detail; } catch { /* not a problem document */ }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

/** The API query of the current filters. */
function filterParams() {
  const params = new URLSearchParams();
  if (state.q.trim() !== '') params.set('q', state.q.trim());
  if (state.type !== '') params.set('type', state.type);
  if (state.peer !== '') params.set('peer', state.peer);
  if (state.inStock) params.set('in_stock', 'true');
  return params;
}

const numbers = () => new Intl.NumberFormat(state.language);

// ---- Static labels ----

function applyLanguage() {
  document.documentElement.lang = state.language;
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = tr(element.dataset.i18n);
  for (const element of document.querySelectorAll('[data-i18n-label]')) element.setAttribute('aria-label', tr(element.dataset.i18nLabel));
  const switcher = $('#lang');
  switcher.textContent = tr('otherLanguage');
  switcher.lang = tr('otherLanguageCode');
}

// ---- Map ----

let map;
let markers;

function setUpMap() {
  const tileUrl = document.querySelector('meta[name="maillon-tile-url"]')?.content ?? '';
  map = L.map('map', { center: [46.5, 2.5], zoom: 5, attributionControl: tileUrl !== '' });
  L.control.scale({ imperial: false }).addTo(map);
  markers = L.featureGroup().addTo(map);
  if (tileUrl === '') {
    $('#map-note').dataset.i18n = 'offlineMap';
  } else {
    let failed = false;
    // Tiles that cannot load leave the points on the blank background, and say so once.
    L.tileLayer(tileUrl, { maxZoom: 18, attribution: '© OpenStreetMap' }).on('tileerror', () => {
      if (failed) return;
      failed = true;
      $('#map-note').dataset.i18n = 'tilesFailed';
      $('#map-note').textContent = tr('tilesFailed');
    }).addTo(map);
  }
}

async function loadMap() {
  const { producers } = await getJson(`/api/federation/producers?${filterParams()}`);
  markers.clearLayers();
  for (const p of producers) {
    L.circleMarker([p.lat, p.lon], { radius: 7, color: '#1b5e20', weight: 2, fillColor: '#43a047', fillOpacity: 0.8, className: 'producer-marker' })
      .bindTooltip(`${p.name ?? p.iri} (${p.offers})`)
      .addTo(markers);
  }
  if (producers.length > 0) map.fitBounds(markers.getBounds(), { padding: [24, 24], maxZoom: 11 });
}

// ---- Charts ----

/** A bar chart as a list: each bar's length is set through the CSSOM (the CSP forbids style attributes). */
function barChart(id, title, entries) {
  const figure = document.createElement('figure');
  figure.id = id;
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  figure.append(caption);
  const list = document.createElement('ul');
  list.className = 'bars';
  const max = Math.max(1, ...entries.map((e) => e.value));
  for (const entry of entries) {
    const item = document.createElement('li');
    const label = document.createElement('span');
    label.className = 'bar-label';
    label.textContent = entry.label;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${(100 * entry.value) / max}%`;
    const value = document.createElement('span');
    value.className = 'bar-value';
    value.textContent = numbers().format(entry.value);
    item.append(label, bar, value);
    list.append(item);
  }
  figure.append(list);
  return figure;
}

let typeLabels = new Map();

async function loadCharts() {
  const params = filterParams();
  const stats = await getJson(`/api/federation/stats?${params}`);
  const stocked = new URLSearchParams(params);
  stocked.set('in_stock', 'true');
  stocked.set('page_size', '1');
  const inStock = state.inStock ? stats.totals.offers : (await getJson(`/api/federation/rows?${stocked}`)).total;
  $('#summary').textContent = tr('summary', { offers: numbers().format(stats.totals.offers), producers: numbers().format(stats.totals.producers) });
  const sourceName = (s) => (s.source === 'local' ? tr('thisNode') : s.name);
  const charts = $('#charts');
  charts.replaceChildren(
    barChart('chart-type', tr('byType'), stats.byProductType.filter((s) => s.depth <= 1 || state.type !== '').slice(0, 10)
      .map((s) => ({ label: typeLabels.get(s.type) ?? s.label ?? s.type, value: s.offers }))),
    barChart('chart-area', tr('byArea'), stats.byPostcodeArea.map((s) => ({ label: s.area, value: s.offers }))),
    barChart('chart-source', tr('bySource'), stats.bySource.map((s) => ({ label: sourceName(s), value: s.offers }))),
    barChart('chart-producers', tr('producersBySource'), stats.bySource.map((s) => ({ label: sourceName(s), value: s.producers }))),
    barChart('chart-stock', tr('inStockShare'), [{
      label: tr('inStockOf', { n: numbers().format(inStock), total: numbers().format(stats.totals.offers) }),
      value: stats.totals.offers === 0 ? 0 : Math.round((100 * inStock) / stats.totals.offers),
    }]),
  );
  // The share is a percentage of a whole, not of the largest bar.
  const share = $('#chart-stock .bar');
  if (share !== null) share.style.width = `${stats.totals.offers === 0 ? 0 : (100 * inStock) / stats.totals.offers}%`;
  const shareValue = $('#chart-stock .bar-value');
  if (shareValue !== null) shareValue.textContent = `${shareValue.textContent} %`;
}

/** The filters' choices, from the whole catalogue's aggregates (not the filtered ones: a choice must stay). */
async function loadChoices() {
  const stats = await getJson('/api/federation/stats');
  const typeSelect = $('#f-type');
  typeLabels = new Map(stats.byProductType.map((s) => [s.type, s.labels?.[state.language] ?? s.label]));
  typeSelect.replaceChildren(option('', tr('allTypes'), 'allTypes'), ...stats.byProductType
    .filter((s) => s.type !== '(untyped)')
    // The API takes a type's local name (`goat-cheese`); the stats write it as a CURIE (`dfc-pt:goat-cheese`).
    .map((s) => option(s.type.replace(/^dfc-pt:/u, ''), `${'\u00a0\u00a0'.repeat(s.depth)}${typeLabels.get(s.type) ?? s.label ?? s.type} (${s.offers})`)));
  typeSelect.value = state.type;
  const peerSelect = $('#f-peer');
  peerSelect.replaceChildren(option('', tr('allSources'), 'allSources'), ...stats.bySource
    .map((s) => option(s.source === 'local' ? 'local' : s.source.slice('peer:'.length), s.source === 'local' ? tr('thisNode') : s.name)));
  peerSelect.value = state.peer;
}

function option(value, label, i18n) {
  const element = document.createElement('option');
  element.value = value;
  element.textContent = label;
  if (i18n !== undefined) element.dataset.i18n = i18n;
  return element;
}

// ---- Table ----

const COLUMNS = [
  { key: 'name', label: 'colName' }, { key: 'typeLabel', label: 'colType' }, { key: 'price', label: 'colPrice', numeric: true },
  { key: 'stock', label: 'colStock', numeric: true }, { key: 'enterpriseName', label: 'colEnterprise' }, { key: 'city', label: 'colCity' },
  { key: 'postcode', label: 'colPostcode' }, { key: 'sourceName', label: 'colSource' },
];

function renderHead() {
  const row = $('#table thead tr');
  row.replaceChildren(...COLUMNS.map((column) => {
    const th = document.createElement('th');
    th.scope = 'col';
    const direction = state.sort === column.key ? 'ascending' : state.sort === `-${column.key}` ? 'descending' : 'none';
    th.setAttribute('aria-sort', direction);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sort';
    button.textContent = tr(column.label);
    button.setAttribute('aria-label', tr('sortBy', { column: tr(column.label) }));
    button.addEventListener('click', () => {
      state.sort = state.sort === column.key ? `-${column.key}` : column.key;
      state.page = 1;
      void loadTable().then(() => document.querySelector(`#table th:nth-child(${COLUMNS.indexOf(column) + 1}) button`)?.focus());
    });
    th.append(button);
    return th;
  }));
}

function cell(row, column) {
  const value = row[column.key];
  if (value === null || value === undefined) return '—';
  if (column.key === 'price') {
    return row.currency !== null ? new Intl.NumberFormat(state.language, { style: 'currency', currency: row.currency }).format(value) : numbers().format(value);
  }
  if (column.key === 'stock') return numbers().format(value);
  if (column.key === 'sourceName' && row.source === 'local') return tr('thisNode');
  return String(value);
}

async function loadTable() {
  const params = filterParams();
  params.set('page', String(state.page));
  params.set('page_size', String(PAGE_SIZE));
  params.set('sort', state.sort);
  const data = await getJson(`/api/federation/rows?${params}`);
  state.total = data.total;
  renderHead();
  const body = $('#table tbody');
  if (data.rows.length === 0) {
    const tr_ = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = COLUMNS.length;
    td.textContent = tr('noRows');
    tr_.append(td);
    body.replaceChildren(tr_);
  } else {
    body.replaceChildren(...data.rows.map((row) => {
      const line = document.createElement('tr');
      for (const column of COLUMNS) {
        const td = document.createElement('td');
        td.textContent = cell(row, column);
        if (column.numeric) td.className = 'numeric';
        line.append(td);
      }
      return line;
    }));
  }
  const pages = Math.max(1, Math.ceil(data.total / PAGE_SIZE));
  $('#page-info').textContent = tr('pageOf', { page: state.page, pages });
  $('#prev').disabled = state.page <= 1;
  $('#next').disabled = state.page >= pages;
  $('#table-caption').textContent = `${tr('catalogue')}: ${tr('pageOf', { page: state.page, pages })}`;
  // The CSV is what the filters select (every page), in the order the API gives.
  $('#csv').href = `/api/federation/catalog.csv?${filterParams()}`;
}

// ---- Network view ----

// In its own module (web/network.js): what it needs of this one is the language, the strings and the API reader.
const network = networkView({ tr, getJson, language: () => state.language });
const loadNetwork = () => network.load();

// ---- Wiring ----

function show(view) {
  state.view = view;
  $('#catalogue-view').hidden = view !== 'catalogue';
  $('#network-view').hidden = view !== 'network';
  $('#tab-catalogue').setAttribute('aria-pressed', String(view === 'catalogue'));
  $('#tab-network').setAttribute('aria-pressed', String(view === 'network'));
  if (view === 'network') void loadNetwork();
  else map.invalidateSize();
}

async function refresh() {
  try {
    await Promise.all([loadTable(), loadMap(), loadCharts()]);
    document.body.dataset.ready = 'true';
  } catch (error) {
    $('#summary').textContent = tr('loadFailed', { error: error.message });
  }
}

let typing;

function wire() {
  const onFilter = () => {
    state.page = 1;
    document.body.dataset.ready = 'false';
    void refresh();
  };
  $('#filters').addEventListener('submit', (event) => event.preventDefault());
  $('#f-q').addEventListener('input', (event) => {
    state.q = event.target.value;
    document.body.dataset.ready = 'false';
    clearTimeout(typing);
    // One request per pause in typing, not per key.
    typing = setTimeout(onFilter, 250);
  });
  $('#f-type').addEventListener('change', (event) => { state.type = event.target.value; onFilter(); });
  $('#f-peer').addEventListener('change', (event) => { state.peer = event.target.value; onFilter(); });
  $('#f-stock').addEventListener('change', (event) => { state.inStock = event.target.checked; onFilter(); });
  $('#prev').addEventListener('click', () => { state.page = Math.max(1, state.page - 1); void loadTable(); });
  $('#next').addEventListener('click', () => { state.page += 1; void loadTable(); });
  $('#lang').addEventListener('click', async () => {
    state.language = state.language === 'fr' ? 'en' : 'fr';
    localStorage.setItem(LANGUAGE_KEY, state.language);
    applyLanguage();
    document.body.dataset.ready = 'false';
    await loadChoices();
    await refresh();
    if (state.view === 'network') await loadNetwork();
  });
  $('#tab-catalogue').addEventListener('click', () => show('catalogue'));
  $('#tab-network').addEventListener('click', () => show('network'));
  $('#token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('#token').value.trim();
    if (value !== '') sessionStorage.setItem(TOKEN_KEY, value);
    $('#token').value = '';
    void loadNetwork();
  });
  $('#forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    void loadNetwork();
  });
}

async function start() {
  applyLanguage();
  setUpMap();
  wire();
  try {
    await loadChoices();
  } catch (error) {
    $('#summary').textContent = tr('loadFailed', { error: error.message });
  }
  applyLanguage();
  await refresh();
}

void start();
