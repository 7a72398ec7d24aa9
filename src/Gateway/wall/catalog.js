// The catalog as the wall needs it, loaded a level at a time: the metrics, the province and the
// entities directly under it at start-up, then one page of a level, or one named entity, when a view
// needs it. Nothing here downloads the whole tree, which is megabytes at province scale.
import { getJson } from './api.js';

const graceFactor = 2; // as the hub's Hub:OfflineGraceFactor: silent for two reporting intervals is offline
// The root of the province's catalog; the wall's lists (alerts, low achievement, compliance) are asked for it too.
export const provinceId = 'hung-yen';
const localityKinds = ['city', 'town', 'district'];

export const isLocality = entity => localityKinds.includes(entity?.kind);

/** Why a request failed, as a short reason for a panel or a banner. */
export function failure(result) {
  return { status: result.status, detail: result.problem?.detail ?? result.problem?.title ?? null };
}

export class Catalog {
  constructor(metrics) {
    this.metrics = new Map(metrics.map(m => [m.id, { ...m, intervalMs: parseTimeSpan(m.interval) }]));
    this.entities = new Map();
    this.province = null;
    this.top = [];
    this.keyMetrics = new Map();
    this.staleAfter = new Map();
  }

  /** The metrics, the province and its children; resolves to { catalog } or { error }. */
  static async load() {
    const [metrics, top] = await Promise.all([
      getJson('/api/v1/metrics'),
      getJson(`/api/v1/entities?parent=${encodeURIComponent(provinceId)}&limit=500`),
    ]);
    if (!metrics.data) return { error: failure(metrics) };
    if (!top.data) return { error: failure(top) };
    const catalog = new Catalog(metrics.data);
    catalog.province = catalog.take(top.data.entity);
    catalog.top = top.data.items.map(e => catalog.take(e));
    return { catalog };
  }

  /** Keeps a node the API returned, normalised. */
  take(node) {
    const entity = { ...node, kind: String(node.kind).toLowerCase(), parents: node.parents ?? [], metrics: node.metrics ?? [], map: node.map ?? [] };
    this.entities.set(entity.id, entity);
    return entity;
  }

  /** An entity, from memory or from the API; resolves to { entity } or { error } (status 404 when there is none). */
  async ensure(id) {
    const known = this.entities.get(id);
    if (known) return { entity: known };
    const result = await getJson(`/api/v1/entities?ids=${encodeURIComponent(id)}`);
    if (!result.data?.items?.length) return { error: failure(result) };
    const [entity, ...parents] = result.data.items.map(e => this.take(e));
    return { entity, parents };
  }

  /** One page of the entities under `id`; resolves to { total, items } or { error }. */
  async page(id, offset, limit, signal) {
    const result = await getJson(`/api/v1/entities/${encodeURIComponent(id)}/children?offset=${offset}&limit=${limit}`, signal);
    if (!result.data) return { error: failure(result) };
    return { total: result.data.total, items: result.data.items.map(e => this.take(e)) };
  }

  /** Key metrics (catalog order) that some unit under the entity reports, so that it has roll-ups for them. */
  keyMetricsFor(id) {
    let list = this.keyMetrics.get(id);
    if (!list) {
      const reported = new Set(this.entities.get(id)?.metrics ?? []);
      list = [...this.metrics.values()].filter(m => m.key && reported.has(m.id));
      this.keyMetrics.set(id, list);
    }
    return list;
  }

  /** How long an entity may stay silent before its values are no longer live. */
  staleAfterMs(id) {
    let ms = this.staleAfter.get(id);
    if (ms === undefined) {
      const intervals = (this.entities.get(id)?.metrics ?? []).map(m => this.metrics.get(m)?.intervalMs).filter(Number.isFinite);
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
