// The operators' wall: boots the catalog and the live connection, routes between the overview and
// the drill-down views, and keeps the clock, the connection state and the periodic panels going.
import { obtainToken, getJson } from './api.js';
import { Live } from './live.js';
import { Sparklines } from './spark.js';
import { Overview } from './overview.js';
import { GroupView, UnitView, ChartView, MissingView } from './drill.js';
import { t, lang, setLanguage, formatClock, formatDate, formatTime } from './i18n.js';

const graceFactor = 2; // as the hub's Hub:OfflineGraceFactor: silent for two reporting intervals is offline
const lowAchievementPeriodMs = 60_000;

/** The catalog as the read API gives it, with the few derived facts the wall needs. */
class Catalog {
  constructor(entities, metrics) {
    this.list = entities.map(e => ({ ...e, kind: String(e.kind).toLowerCase(), parents: e.parents ?? [], children: e.children ?? [], metrics: e.metrics ?? [] }));
    this.entities = new Map(this.list.map(e => [e.id, e]));
    this.metrics = new Map(metrics.map(m => [m.id, { ...m, intervalMs: parseTimeSpan(m.interval) }]));
    this.province = this.list.find(e => e.kind === 'province') ?? this.list[0];
    this.units = this.list.filter(e => e.kind === 'unit');
    this.under = new Map();
    this.keyMetrics = new Map();
    this.staleAfter = new Map();
  }

  unitsUnder(id) {
    let units = this.under.get(id);
    if (!units) {
      const entity = this.entities.get(id);
      units = !entity ? [] : entity.kind === 'unit' ? [entity]
        : entity.kind === 'province' ? this.units : this.units.filter(u => u.parents.includes(id));
      this.under.set(id, units);
    }
    return units;
  }

  /** Key metrics (catalog order) that some unit under the entity reports, so that it has roll-ups for them. */
  keyMetricsFor(id) {
    let list = this.keyMetrics.get(id);
    if (!list) {
      const reported = new Set(this.unitsUnder(id).flatMap(u => u.metrics));
      list = [...this.metrics.values()].filter(m => m.key && reported.has(m.id));
      this.keyMetrics.set(id, list);
    }
    return list;
  }

  /** How long an entity may stay silent before its values are no longer live. */
  staleAfterMs(id) {
    let ms = this.staleAfter.get(id);
    if (ms === undefined) {
      const intervals = this.unitsUnder(id).flatMap(u => u.metrics).map(m => this.metrics.get(m)?.intervalMs).filter(Number.isFinite);
      ms = (intervals.length ? Math.min(...intervals) : 60_000) * graceFactor;
      this.staleAfter.set(id, ms);
    }
    return ms;
  }

  /** Whether an entity's values may be shown as live, and if not, why. */
  freshness(id, state, connection) {
    if (!state) return { live: false, reason: 'waiting' };
    if (connection !== 'connected') return { live: false, reason: 'connection' };
    if (state.status === 'offline') return { live: false, reason: 'offline' };
    const last = Date.parse(state.lastReport ?? '');
    if (!Number.isFinite(last) || Date.now() - last > this.staleAfterMs(id)) return { live: false, reason: 'stale' };
    return { live: true, reason: null };
  }

  /** How a value stands against the metric's thresholds and target, as the hub judges it. */
  judge(metricId, value) {
    const m = this.metrics.get(metricId);
    if (!m || !Number.isFinite(value)) return 'ok';
    const th = m.thresholds;
    const breaches = limit => limit !== null && limit !== undefined && (th.direction === 'atMost' ? value > limit : value < limit);
    if (th && breaches(th.critical)) return 'critical';
    if (th && breaches(th.warning)) return 'warning';
    if (m.target && (m.target.direction === 'atMost' ? value > m.target.value : value < m.target.value)) return 'belowTarget';
    return 'ok';
  }
}

/** "d.hh:mm:ss.fff" or "hh:mm:ss" to milliseconds. */
function parseTimeSpan(text) {
  const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(String(text ?? ''));
  if (!match) return NaN;
  const [, d, hh, mm, ss] = match;
  return (((Number(d ?? 0) * 24 + Number(hh)) * 60 + Number(mm)) * 60 + Number(ss)) * 1000;
}

const main = document.getElementById('main');
const banner = document.getElementById('banner');
const connection = document.getElementById('connection');
let catalog;
let live;
let sparks;
let overview;
let view = null;

async function loadCatalog() {
  for (let attempt = 0; ; attempt++) {
    const [entities, metrics] = await Promise.all([getJson('/api/v1/entities'), getJson('/api/v1/metrics')]);
    if (entities.data && metrics.data) return new Catalog(entities.data, metrics.data);
    showBanner(`${t('disconnected')} (${entities.status || metrics.status || 0})`);
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

async function loadAlerts() {
  const { data } = await getJson('/api/v1/alerts?scope=hung-yen&state=active');
  overview.replaceAlerts(Array.isArray(data) ? data : Array.isArray(data?.items) ? data.items : []);
}

async function loadLowAchievement() {
  const { status, data } = await getJson('/api/v1/low-achievement?scope=hung-yen');
  overview.lowKnown = status !== 404;
  overview.takeLowAchievement(Array.isArray(data) ? data : Array.isArray(data?.items) ? data.items : []);
}

function route() {
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
  const entity = catalog.entities.get(id);
  const context = { catalog, live, sparks, id, metric };
  view = !entity ? new MissingView(context)
    : metric ? new ChartView(context)
      : entity.kind === 'unit' ? new UnitView(context)
        : new GroupView(context);
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
  if (view) route();
}

function tick() {
  const now = new Date();
  document.getElementById('clock-time').textContent = formatClock(now);
  document.getElementById('clock-date').textContent = formatDate(now);
}

async function boot() {
  setLanguage(lang());
  relabel();
  setInterval(tick, 1000);
  for (const b of document.querySelectorAll('.lang button')) {
    b.addEventListener('click', () => { setLanguage(b.dataset.lang); relabel(); });
  }
  await obtainToken();
  catalog = await loadCatalog();
  showBanner(null);
  sparks = new Sparklines();
  live = new Live({ onEntity, onConnection, onAlerts: alerts => overview.takeAlerts(alerts), onResynced: () => loadAlerts() });
  overview = new Overview({ catalog, live, sparks });
  main.append(overview.el);
  for (const id of overview.watched()) live.watch(id);
  relabel();
  route();
  window.addEventListener('hashchange', route);
  live.start();
  loadAlerts();
  loadLowAchievement();
  setInterval(loadLowAchievement, lowAchievementPeriodMs);
  // Values age even when nothing arrives: re-judge freshness every few seconds and slide the sparklines.
  setInterval(() => { overview.refreshAll(); view?.refresh(); }, 5000);
  setInterval(() => sparks.redrawAll(), 30_000);
}

boot();
