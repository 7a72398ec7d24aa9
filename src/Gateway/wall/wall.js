// The operators' wall: boots the catalog and the live connection, routes between the overview and
// the drill-down views, and keeps the clock, the connection state and the periodic panels going.
import { obtainToken, getJson, kiosk } from './api.js';
import { Live } from './live.js';
import { Sparklines } from './spark.js';
import { Overview } from './overview.js';
import { GroupView, UnitView, ChartView, MissingView, LoadingView } from './drill.js';
import { Catalog, failure, provinceId } from './catalog.js';
import { Search } from './search.js';
import { t, lang, setLanguage, formatClock, formatDate, formatTime, failureReason } from './i18n.js';

const listPeriodMs = 60_000;
const defaultCycleSeconds = 30;

const main = document.getElementById('main');
const banner = document.getElementById('banner');
const connection = document.getElementById('connection');
let catalog;
let live;
let sparks;
let overview;
let me = { supervise: false, administer: false };
let view = null;
let routed = 0;
let search = null;

async function loadCatalog() {
  for (let attempt = 0; ; attempt++) {
    const { catalog: loaded, error } = await Catalog.load();
    if (loaded) return loaded;
    showBanner(t('catalogBanner', { reason: failureReason(error) }));
    await new Promise(resolve => setTimeout(resolve, Math.min(30_000, 1000 * 2 ** attempt)));
  }
}

function showBanner(text) {
  banner.textContent = text ?? '';
  banner.hidden = !text;
}

function onEntity(id, state, update) {
  // Sparklines follow every roll-up (and a unit's own values) that arrives.
  const rollups = update ? update.rollups ?? [] : [...state.rollups].map(([metric, r]) => ({ metric, ...r }));
  for (const r of rollups) if (r.units) sparks.add(id, r.metric, r.timestamp, Number(r.value));
  const metrics = update ? update.metrics ?? [] : [...state.metrics].map(([metric, m]) => ({ metric, ...m }));
  for (const m of metrics) sparks.add(id, m.metric, m.timestamp, Number(m.value));
  overview.update(id);
  view?.update(id);
}

function onConnection(state) {
  connection.dataset.state = state;
  connection.querySelector('span').textContent = t(state);
  showBanner(state === 'connected' ? null : live?.lostAt ? t('lostBanner', { time: formatTime(live.lostAt) }) : null);
  overview?.refreshAll();
  view?.refresh();
}

/** A list for the province; resolves to the array, or fails the panel with the reason. */
async function loadList(path, name) {
  const result = await getJson(path);
  const items = Array.isArray(result.data) ? result.data : Array.isArray(result.data?.items) ? result.data.items : null;
  if (!items) {
    overview.failList(name, failure(result));
    return null;
  }
  return items;
}

async function loadAlerts() {
  // The panel keeps the newest 200, as the hub's subscription answer does.
  const items = await loadList(`/api/v1/alerts?scope=${provinceId}&state=active&limit=200`, 'alerts');
  if (items) overview.replaceAlerts(items);
}

async function loadStandings() {
  const [low, missing] = await Promise.all([
    loadList(`/api/v1/low-achievement?scope=${provinceId}`, 'low'),
    loadList(`/api/v1/compliance?scope=${provinceId}`, 'missing'),
  ]);
  if (low) overview.takeLowAchievement(low);
  if (missing) overview.takeMissing(missing);
}

async function route() {
  const ticket = ++routed;
  view?.dispose();
  view?.el.remove();
  view = null;
  const match = /^#\/entity\/([^/]+)(?:\/metric\/([^/]+))?\/?$/.exec(location.hash);
  document.body.dataset.route = match ? (match[2] ? 'chart' : 'entity') : 'overview';
  if (!match) {
    overview.el.hidden = false;
    overview.refreshAll();
    sparks.redrawAll();
    return;
  }
  overview.el.hidden = true;
  const id = decodeURIComponent(match[1]);
  const metric = match[2] && decodeURIComponent(match[2]);
  const context = { catalog, live, sparks, id, metric, me };
  let entity = catalog.entities.get(id);
  if (!entity) {
    // Not among what the wall holds: ask for this one entity, not for the tree.
    show(new LoadingView(context));
    const found = await catalog.ensure(id);
    if (ticket !== routed) return;
    view?.el.remove();
    view = null;
    entity = found.entity;
    if (!entity) return show(new MissingView({ ...context, error: found.error }));
  }
  show(metric ? new ChartView(context)
    : entity.kind === 'unit' ? new UnitView(context)
      : new GroupView(context));
}

function show(next) {
  view = next;
  main.append(view.el);
  view.refresh();
}

function relabel() {
  document.getElementById('title').textContent = t('title');
  document.getElementById('subtitle').textContent = t('subtitle');
  for (const b of document.querySelectorAll('.lang button')) b.classList.toggle('active', b.dataset.lang === lang());
  connection.querySelector('span').textContent = t(live?.state ?? 'connecting');
  tick();
  overview?.relabel();
  search?.relabel();
  if (view) route();
}

function tick() {
  const now = new Date();
  document.getElementById('clock-time').textContent = formatClock(now);
  document.getElementById('clock-date').textContent = formatDate(now);
}

/**
 * Kiosk mode (?kiosk=1): no sign-in or language controls, and the wall shows the overview and then
 * each locality's detail view in map order, one every ?cycle= seconds.
 */
function startKiosk() {
  const seconds = Number(new URLSearchParams(location.search).get('cycle'));
  const period = (Number.isFinite(seconds) && seconds > 0 ? seconds : defaultCycleSeconds) * 1000;
  const stops = ['#/', ...overview.localities.map(e => `#/entity/${encodeURIComponent(e.id)}`)];
  let next = 1;
  setInterval(() => {
    location.hash = stops[next];
    next = (next + 1) % stops.length;
  }, period);
}


async function boot() {
  if (kiosk) document.body.dataset.kiosk = '';
  setLanguage(lang());
  relabel();
  setInterval(tick, 1000);
  for (const b of document.querySelectorAll('.lang button')) {
    b.addEventListener('click', () => { setLanguage(b.dataset.lang); relabel(); });
  }
  const token = await obtainToken();
  if (!token) return showBanner(t('kioskNoToken'));
  const [loaded, who] = await Promise.all([loadCatalog(), getJson('/api/v1/me')]);
  catalog = loaded;
  if (who.data) me = who.data;
  showBanner(null);
  // Only a sign-in that may read history seeds the sparklines from it: an operator's wall asks for nothing it would be refused.
  sparks = new Sparklines({ history: me.supervise });
  live = new Live({
    onEntity, onConnection,
    onAlerts: alerts => overview.takeAlerts(alerts),
    // The hub's answer holds acknowledged alerts too; the panel lists the active ones, as its first load does.
    onAlertList: alerts => overview.replaceAlerts(alerts.filter(a => a.state === 'active')),
    onResynced: () => loadAlerts(),
  });
  overview = new Overview({ catalog, live, sparks });
  main.append(overview.el);
  if (me.supervise && !kiosk) search = new Search({ catalog, el: document.getElementById('search') });
  for (const id of overview.watched()) live.watch(id);
  relabel();
  route();
  window.addEventListener('hashchange', route);
  live.start();
  loadAlerts();
  loadStandings();
  setInterval(loadStandings, listPeriodMs);
  // Values age even when nothing arrives: re-judge freshness every few seconds and slide the sparklines.
  setInterval(() => { overview.refreshAll(); view?.refresh(); }, 5000);
  setInterval(() => sparks.redrawAll(), 30_000);
  if (kiosk) startKiosk();
}

boot();
