/**
 * The territory dashboard: asks this node's API for aggregates and pages (never the whole catalogue) and shows
 * them as a map, charts and a table; the network view (`network.js`) shows the peers, the feed and push
 * notifications to whoever has the admin token. No framework and no build step: what runs is what is in `web/`,
 * and Leaflet from its npm package.
 */
import * as L from '/dashboard/vendor/leaflet/leaflet-src.esm.js';
import { isolate, t } from './i18n.js';
import { networkView, TOKEN_KEY } from './network.js';

const PAGE_SIZE = 25;
const LANGUAGE_KEY = 'maillon.language';

const $ = (selector) => document.querySelector(selector);

const state = {
  language: initialLanguage(),
  q: '', type: '', peer: '', inStock: false,
  /** What `near=` is given: a town as the API writes it (`Limoges (87000)`), a postcode, or `lat,lon` from the map. */
  near: '', radius: '25',
  enterprise: '', enterpriseName: '',
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
  if (state.near !== '') {
    params.set('near', state.near);
    params.set('radius_km', state.radius);
  }
  if (state.enterprise !== '') params.set('enterprise', state.enterprise);
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
let circle;

function setUpMap() {
  const tileUrl = document.querySelector('meta[name="maillon-tile-url"]')?.content ?? '';
  map = L.map('map', { center: [46.5, 2.5], zoom: 5, attributionControl: tileUrl !== '' });
  L.control.scale({ imperial: false }).addTo(map);
  markers = L.featureGroup().addTo(map);
  if (tileUrl === '') {
    // Written now too: the labels were put in their language before the map was set up (applyLanguage).
    $('#map-note').dataset.i18n = 'offlineMap';
    $('#map-note').textContent = tr('offlineMap');
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
  // A click on the map (not on a marker) chooses the point a distance is measured from.
  map.on('click', (event) => {
    // Wrapped: zoomed out, the world repeats side by side, and a click on a copy is at a longitude past ±180.
    const { lat, lng } = event.latlng.wrap();
    setNear(`${lat.toFixed(4)},${lng.toFixed(4)}`);
  });
}

/**
 * Makes a marker a button for the keyboard and screen readers: named, opened with Enter (Leaflet) or Space (here),
 * its popup's button focused when it opens, and the focus back on the marker when it closes (Escape or ×).
 */
function accessible(marker, label) {
  marker.on('add', () => {
    const element = marker.getElement();
    element.setAttribute('aria-label', label);
    element.setAttribute('role', 'button');
    element.addEventListener('keydown', (event) => {
      if (event.key !== ' ') return;
      event.preventDefault();
      marker.openPopup();
    });
  });
  marker.on('popupopen', (event) => {
    const popup = event.popup.getElement();
    // Leaflet closes a popup on Escape only while the map itself has the focus; here the focus is in the popup.
    popup?.addEventListener('keydown', (key) => {
      if (key.key !== 'Escape') return;
      key.preventDefault();
      key.stopPropagation();
      marker.closePopup();
    });
    popup?.querySelector('button')?.focus();
  });
  marker.on('popupclose', (event) => {
    // Only when the focus was in the popup: a popup closed by a click elsewhere leaves the focus where it went.
    // Leaflet fires this before it takes the popup away (it fades out), so the focus may still be in it.
    const element = marker.getElement();
    const active = document.activeElement;
    const inPopup = active === null || active === document.body || (event.popup.getElement()?.contains(active) ?? false);
    if (element !== undefined && inPopup) element.focus();
  });
  return marker;
}

/**
 * A producer's marker: an element that takes the keyboard's focus (Tab), opens its popup with Enter, and is named
 * for screen readers; Leaflet's vector circles can do none of that.
 */
function producerMarker(p) {
  // What peers wrote is isolated in each sentence (see isolate): a name's right-to-left override reverses only the name.
  const label = tr('markerLabel', { name: isolate(p.name ?? p.iri), offers: numbers().format(p.offers) });
  const marker = L.marker([p.lat, p.lon], {
    icon: L.divIcon({ className: 'producer-marker', iconSize: [16, 16] }), keyboard: true, title: label, riseOnHover: true,
  });
  marker.bindPopup(() => {
    const box = document.createElement('div');
    const text = document.createElement('p');
    text.textContent = tr('producerPopup', {
      name: isolate(p.name ?? p.iri), place: isolate([p.city, p.postcode].filter((x) => x !== null).join(' ')),
      offers: numbers().format(p.offers), inStock: numbers().format(p.inStock),
    });
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = tr('offersOf');
    button.addEventListener('click', () => {
      map.closePopup();
      state.enterprise = p.iri;
      state.enterpriseName = p.name ?? p.iri;
      showProducerFilter();
      onFilter();
      // To the table that now lists its offers (the popup's close gave the focus back to the marker first).
      $('#table-title').focus();
    });
    box.append(text, button);
    return box;
  });
  return accessible(marker, label);
}

/**
 * Above this many producers, the node sends the map their towns (every producer counted): a thousand points
 * overlap, and cost the browser dearly.
 */
const MAX_POINTS = 250;

/** A town's marker: as reachable as a producer's, sized by its producers; its popup narrows the view to it. */
function townMarker(town) {
  const place = town.label !== null && town.label !== undefined ? isolate(town.label) : tr('point', { lat: town.lat.toFixed(2), lon: town.lon.toFixed(2) });
  const label = tr('townLabel', { place, producers: numbers().format(town.producers), offers: numbers().format(town.offers) });
  const size = Math.round(18 + Math.min(22, Math.sqrt(town.producers) * 2));
  const marker = L.marker([town.lat, town.lon], {
    icon: L.divIcon({ className: 'town-marker', html: `<span>${numbers().format(town.producers)}</span>`, iconSize: [size, size] }),
    keyboard: true, title: label,
  });
  marker.bindPopup(() => {
    const box = document.createElement('div');
    const text = document.createElement('p');
    text.textContent = tr('townPopup', { place, producers: numbers().format(town.producers), offers: numbers().format(town.offers), inStock: numbers().format(town.inStock) });
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = tr('nearTown');
    button.addEventListener('click', () => {
      map.closePopup();
      $('#f-radius').value = '10';
      state.radius = '10';
      setNear(town.label ?? `${town.lat.toFixed(4)},${town.lon.toFixed(4)}`);
    });
    box.append(text, button);
    return box;
  });
  return accessible(marker, label);
}

/**
 * The answers each part of the page is waiting for, numbered: an answer that comes after a newer request of the
 * same part is dropped, so that a slow old answer never overwrites a newer one.
 */
const asked = { table: 0, map: 0, charts: 0, gaps: 0 };

async function loadMap() {
  const ticket = ++asked.map;
  const params = filterParams();
  params.set('max_points', String(MAX_POINTS));
  const data = await getJson(`/api/federation/producers?${params}`);
  if (ticket !== asked.map) return;
  // Built aside, then put on the map at once: one layout, not one per marker.
  const layers = data.towns !== undefined ? data.towns.map(townMarker) : data.producers.map(producerMarker);
  markers.remove();
  markers = L.featureGroup(layers).addTo(map);
  $('#map-mode').textContent = data.towns !== undefined ? tr('byTown', { n: numbers().format(data.total), max: MAX_POINTS }) : '';
  // With a distance, the circle frames the map (see loadGaps, which knows where a town is).
  if (state.near === '' && layers.length > 0) map.fitBounds(markers.getBounds(), { padding: [24, 24], maxZoom: 11 });
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
  const ticket = ++asked.charts;
  const params = filterParams();
  const stats = await getJson(`/api/federation/stats?${params}`);
  if (ticket !== asked.charts) return;
  const inStock = stats.inStock;
  $('#summary').textContent = tr('summary', { offers: numbers().format(stats.totals.offers), producers: numbers().format(stats.totals.producers) });
  const sourceName = (s) => (s.source === 'local' ? tr('thisNode') : s.name);
  const charts = $('#charts');
  charts.replaceChildren(
    barChart('chart-type', tr('byType'), stats.byProductType.filter((s) => s.depth <= 1 || state.type !== '').slice(0, 10)
      .map((s) => ({ label: s.type === '(untyped)' ? tr('untyped') : (typeLabels.get(s.type) ?? s.label ?? s.type), value: s.offers }))),
    barChart('chart-area', tr('byArea'), stats.byPostcodeArea.map((s) => ({ label: s.area === '(unknown)' ? tr('unknownArea') : s.area, value: s.offers }))),
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
  typeLabels = new Map(stats.byProductType.map((s) => [s.type, s.labels?.[state.language] ?? s.label ?? s.type.replace(/^dfc-pt:/u, '')]));
  renderTypeTree(stats.byProductType.filter((s) => s.type !== '(untyped)'));
  const peerSelect = $('#f-peer');
  peerSelect.replaceChildren(option('', tr('allSources'), 'allSources'), ...stats.bySource
    .map((s) => option(s.source === 'local' ? 'local' : s.source.slice('peer:'.length), s.source === 'local' ? tr('thisNode') : s.name)));
  peerSelect.value = state.peer;
}

/** A type's local name (`goat-cheese` of `dfc-pt:goat-cheese`), to name a type that has no label. */
const localName = (type) => type.replace(/^dfc-pt:/u, '');

/**
 * The product types as a tree (the taxonomy's broader links), each with its offers rolled up: a button chooses a
 * type, a + / − button shows or hides the narrower types. Buttons all: the keyboard reaches each one with Tab,
 * and a screen reader hears whether it is chosen (aria-pressed) or open (aria-expanded).
 */
function renderTypeTree(types) {
  const known = new Set(types.map((s) => s.type));
  const children = new Map();
  const roots = [];
  for (const type of types) {
    if (type.broader !== null && type.broader !== undefined && known.has(type.broader)) {
      children.set(type.broader, [...(children.get(type.broader) ?? []), type]);
    } else roots.push(type);
  }
  const byLabel = (x, y) => (typeLabels.get(x.type) ?? x.type).localeCompare(typeLabels.get(y.type) ?? y.type, state.language);
  const branch = (type) => {
    const item = document.createElement('li');
    const label = typeLabels.get(type.type) ?? localName(type.type);
    const below = (children.get(type.type) ?? []).sort(byLabel);
    let list;
    if (below.length > 0) {
      const toggle = document.createElement('button');
      toggle.type = 'button';
      toggle.className = 'toggle';
      // Open down to the chosen type, so that it can be seen chosen.
      const open = state.type !== '' && below.some((b) => isUnder(b.type, state.type, children));
      toggle.setAttribute('aria-expanded', String(open));
      // One name; whether it is open is said by aria-expanded (a name that changes too would say it twice).
      toggle.setAttribute('aria-label', tr('narrowerOf', { type: isolate(label) }));
      toggle.addEventListener('click', () => {
        const now = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(now));
        list.hidden = !now;
      });
      item.append(toggle);
      list = document.createElement('ul');
      list.hidden = !open;
      list.append(...below.map(branch));
    } else {
      const spacer = document.createElement('span');
      spacer.className = 'leaf';
      item.append(spacer);
    }
    const choose = document.createElement('button');
    choose.type = 'button';
    choose.className = 'type';
    // The type as the stats write it, a CURIE or an IRI, is what the API is sent: a local name is resolved through
    // the taxonomy's labels too, and a peer's type outside the taxonomy (`dfc-pt:apple`) would find another's
    // (`dfc-pt:apples`, labelled "apple"), or be refused as ambiguous.
    choose.dataset.type = type.type;
    choose.setAttribute('aria-pressed', String(state.type === type.type));
    choose.textContent = tr('typeCount', { label: isolate(label), n: numbers().format(type.offers) });
    choose.addEventListener('click', () => chooseType(type.type, label));
    item.append(choose);
    if (list !== undefined) item.append(list);
    return item;
  };
  $('#type-tree').replaceChildren(...roots.sort(byLabel).map(branch));
  $('#type-all').setAttribute('aria-pressed', String(state.type === ''));
  $('#type-chosen').textContent = state.type === '' ? tr('allTypes') : (typeLabels.get(state.type) ?? localName(state.type));
  $('#type-chosen').dataset.i18n = state.type === '' ? 'allTypes' : '';
  if (state.type !== '') delete $('#type-chosen').dataset.i18n;
}

/** Whether `type` is `ancestor` or lies under it in the tree being drawn. */
function isUnder(type, ancestor, children) {
  if (type === ancestor) return true;
  return (children.get(type) ?? []).some((c) => isUnder(c.type, ancestor, children));
}

function chooseType(type, label) {
  state.type = type;
  for (const button of document.querySelectorAll('#type-filter button.type')) {
    button.setAttribute('aria-pressed', String((button.dataset.type ?? '') === type));
  }
  const chosen = $('#type-chosen');
  chosen.textContent = type === '' ? tr('allTypes') : label;
  if (type === '') chosen.dataset.i18n = 'allTypes';
  else delete chosen.dataset.i18n;
  const details = $('#type-filter');
  details.open = false;
  details.querySelector('summary').focus();
  onFilter();
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
      void tableOnly().then(() => document.querySelector(`#table th:nth-child(${COLUMNS.indexOf(column) + 1}) button`)?.focus());
    });
    th.append(button);
    return th;
  }));
}

/**
 * A price with its currency: formatted as money when the node gives an ISO 4217 code (`EUR`), else the number
 * and the unit's short name (`2 doge`, `2 Kilogram`; the node gives its CURIE or IRI). A peer's unit is whatever it sends:
 * Intl refuses a code that is no currency, and one such row must not make the whole page fail.
 */
function price(value, currency) {
  if (currency === null || currency === undefined || currency === '') return numbers().format(value);
  if (/^[A-Z]{3}$/u.test(currency)) {
    try {
      return new Intl.NumberFormat(state.language, { style: 'currency', currency }).format(value);
    } catch {
      // Not a currency Intl knows: written as any other unit, below.
    }
  }
  // The unit's short name: `dfc-m:Kilogram` is Kilogram, `https://evil.example/unit#doge` is doge.
  const unit = currency.replace(/^dfc-m:/u, '').replace(/^.*[#/]/u, '');
  return unit === '' ? numbers().format(value) : `${numbers().format(value)} ${isolate(unit)}`;
}

function cell(row, column) {
  const value = row[column.key];
  if (value === null || value === undefined) return '—';
  if (column.key === 'price') return price(value, row.currency);
  if (column.key === 'stock') return numbers().format(value);
  if (column.key === 'sourceName' && row.source === 'local') return tr('thisNode');
  return String(value);
}

/** How deep the table pages (the node serves rows down to the 50,000th; the CSV has them all). */
const MAX_DEPTH = 50000;

async function loadTable() {
  const ticket = ++asked.table;
  const params = filterParams();
  params.set('page', String(state.page));
  params.set('page_size', String(PAGE_SIZE));
  params.set('sort', state.sort);
  const data = await getJson(`/api/federation/rows?${params}`);
  if (ticket !== asked.table) return;
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
  const pages = Math.max(1, Math.min(Math.ceil(data.total / PAGE_SIZE), Math.floor(MAX_DEPTH / PAGE_SIZE)));
  $('#page-info').textContent = tr('pageOf', { page: state.page, pages });
  $('#prev').disabled = state.page <= 1;
  $('#next').disabled = state.page >= pages;
  $('#table-caption').textContent = `${tr('catalogue')}: ${tr('pageOf', { page: state.page, pages })}`;
  // The CSV is what the filters select (every page), in the order the API gives (it takes no sort), written for
  // a spreadsheet in the page's language: the browser's Accept-Language, which the node would go by, may differ.
  const csv = filterParams();
  csv.set('sep', state.language === 'fr' ? ';' : ',');
  csv.set('decimal', state.language === 'fr' ? 'comma' : 'point');
  $('#csv').href = `/api/federation/catalog.csv?${csv}`;
  $('#csv').removeAttribute('aria-disabled');
}

/**
 * The table's rows, its pager and the CSV link taken away: after a failed request they would be the previous
 * filters' answer under the new filters (and the CSV downloaded would not be what the filters say). A link
 * without `href` is plain text, out of the Tab order; it comes back with the next answer.
 */
function clearTable() {
  $('#table tbody').replaceChildren();
  $('#page-info').textContent = '';
  $('#prev').disabled = true;
  $('#next').disabled = true;
  $('#table-caption').textContent = tr('catalogue');
  $('#csv').removeAttribute('href');
  $('#csv').setAttribute('aria-disabled', 'true');
}

/** A request failed: the error said, and nothing of the previous filters' answer left on screen as if it were this one's. */
function showFailure(error) {
  $('#summary').textContent = tr('loadFailed', { error: isolate(error.message) });
  clearTable();
  markers.clearLayers();
  $('#map-mode').textContent = '';
  $('#charts').replaceChildren();
  circle?.remove();
  circle = undefined;
  $('#gaps').hidden = true;
}

// ---- Distance and gaps ----

let placesLoaded = false;

/** The towns of the catalogue, for the distance filter's suggestions (once, when first wanted). */
async function loadPlaces() {
  if (placesLoaded) return;
  placesLoaded = true;
  try {
    const { places } = await getJson('/api/federation/places');
    $('#places').replaceChildren(...places.map((p) => {
      const element = document.createElement('option');
      element.value = p.label;
      return element;
    }));
  } catch {
    placesLoaded = false;
  }
}

function setNear(value) {
  $('#f-near').value = value.trim();
  // Enter, then the change event the same Enter fires: one answer, not two.
  if (value.trim() === state.near) return;
  state.near = value.trim();
  onFilter();
}

/** What the territory lacks around the chosen point: product types with no producer within the radius. */
async function loadGaps() {
  const ticket = ++asked.gaps;
  const section = $('#gaps');
  if (state.near === '') {
    circle?.remove();
    circle = undefined;
    section.hidden = true;
    return;
  }
  const params = filterParams();
  // Every type is looked at: the type and text filters do not apply.
  params.delete('type');
  params.delete('q');
  const data = await getJson(`/api/federation/gaps?${params}`);
  if (ticket !== asked.gaps) return;
  circle?.remove();
  // The circle the distance filter keeps, around the point the API resolved the town to.
  circle = L.circle([data.near.lat, data.near.lon], { radius: data.radiusKm * 1000, color: '#0b4f8a', fill: false, interactive: false }).addTo(map);
  map.fitBounds(circle.getBounds(), { padding: [24, 24] });
  const km = numbers().format(data.radiusKm);
  $('#gaps-title').textContent = tr('gaps', { km });
  const offered = data.gaps.filter((g) => g.nearestKm !== null);
  $('#gaps-summary').textContent = offered.length === 0
    ? tr('gapsNone', { km })
    : tr('gapsSummary', { n: numbers().format(offered.length), km, place: isolate(state.near), none: numbers().format(data.gaps.length - offered.length) });
  const shown = offered.slice(0, 15);
  const list = $('#gaps-list');
  list.replaceChildren(...shown.map((g) => {
    const item = document.createElement('li');
    const label = g.labels?.[state.language] ?? g.labels?.en ?? localName(g.type);
    item.textContent = `${isolate(label)}: ${tr('gapNearest', { km: numbers().format(g.nearestKm), n: numbers().format(g.producersElsewhere) })}`;
    return item;
  }));
  if (offered.length > shown.length) {
    const more = document.createElement('li');
    more.className = 'gap-far';
    more.textContent = tr('moreGaps', { n: numbers().format(offered.length - shown.length) });
    list.append(more);
  }
  section.hidden = false;
}

function showProducerFilter() {
  $('#producer-filter').hidden = state.enterprise === '';
  $('#producer-name').textContent = state.enterpriseName;
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

/** Another page or order of the table: the table alone, with a failure said as for a whole refresh. */
async function tableOnly() {
  try {
    await loadTable();
  } catch (error) {
    $('#summary').textContent = tr('loadFailed', { error: isolate(error.message) });
    clearTable();
  }
}

let refreshing;
let refreshAgain = false;

/**
 * Loads the table, map, charts and gaps for the current filters. One load at a time: a filter changed while one
 * runs makes it run again when it ends, so that what is on screen is always the last filters' answer (never an
 * older, slower answer written over a newer one). `body[data-ready]` says when it is done: `true`, or `error`
 * with the reason in the summary.
 */
function refresh() {
  if (refreshing !== undefined) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    let failure;
    do {
      refreshAgain = false;
      // Every part to its end (a failed one does not leave the others running into the next pass).
      const results = await Promise.allSettled([loadTable(), loadMap(), loadCharts(), loadGaps()]);
      failure = results.find((r) => r.status === 'rejected')?.reason;
    } while (refreshAgain);
    if (failure !== undefined) {
      showFailure(failure);
      document.body.dataset.ready = 'error';
    } else document.body.dataset.ready = 'true';
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

let typing;

/** A filter changed: back to the first page, and everything again. */
function onFilter() {
  state.page = 1;
  document.body.dataset.ready = 'false';
  void refresh();
}

function wire() {
  $('#filters').addEventListener('submit', (event) => event.preventDefault());
  $('#f-q').addEventListener('input', (event) => {
    state.q = event.target.value;
    document.body.dataset.ready = 'false';
    clearTimeout(typing);
    // One request per pause in typing, not per key.
    typing = setTimeout(onFilter, 250);
  });
  $('#type-all').addEventListener('click', () => chooseType('', tr('allTypes')));
  $('#f-near').addEventListener('focus', () => void loadPlaces());
  // A town is chosen when the field is left or Enter pressed, not at each key (a half-typed town is no town).
  $('#f-near').addEventListener('change', (event) => setNear(event.target.value));
  $('#f-near').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') setNear(event.target.value);
  });
  $('#f-radius').addEventListener('change', (event) => {
    state.radius = event.target.value;
    if (state.near !== '') onFilter();
  });
  $('#f-near-clear').addEventListener('click', () => setNear(''));
  $('#producer-clear').addEventListener('click', () => {
    state.enterprise = '';
    state.enterpriseName = '';
    showProducerFilter();
    onFilter();
  });
  $('#f-peer').addEventListener('change', (event) => { state.peer = event.target.value; onFilter(); });
  $('#f-stock').addEventListener('change', (event) => { state.inStock = event.target.checked; onFilter(); });
  $('#prev').addEventListener('click', () => { state.page = Math.max(1, state.page - 1); void tableOnly(); });
  $('#next').addEventListener('click', () => { state.page += 1; void tableOnly(); });
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
  // The choices and the first answer at once: both start from the whole catalogue's summary, which the node
  // computes once for the two.
  await Promise.all([
    loadChoices().catch((error) => {
      $('#summary').textContent = tr('loadFailed', { error: isolate(error.message) });
    }),
    refresh(),
  ]);
}

void start();
