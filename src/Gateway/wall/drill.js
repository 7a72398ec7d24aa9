// Drill-down for supervisors: a locality, project, department or the province with its members; a
// unit with its metrics; a metric's history as a uPlot chart. Each view subscribes to what it shows
// and releases it when it is left, so nothing outlives the page it belongs to.
import { h, setText, setStatus } from './dom.js';
import { getJson } from './api.js';
import { t, nameOf, statusLabel, kindLabel, roleLabel, formatNumber, formatTime, shortMetricLabel, failureText } from './i18n.js';
import { isLocality } from './catalog.js';

// Rows of a group's table per page: a locality of 2,000 units is read and drawn a page at a time, and
// only the page on screen is subscribed to.
export const pageSize = 50;

function crumbs(catalog, id, metric) {
  const trail = [];
  const entity = catalog.entities.get(id);
  trail.push(h('a', { href: '#/' }, t('province')));
  if (entity?.kind === 'unit') {
    const locality = entity.parents.map(p => catalog.entities.get(p)).find(isLocality);
    if (locality) trail.push(h('a', { href: `#/entity/${locality.id}` }, nameOf(locality)));
  }
  if (entity && entity.kind !== 'province') trail.push(h(metric ? 'a' : 'span', metric ? { href: `#/entity/${id}` } : null, nameOf(entity)));
  if (metric) trail.push(h('span', null, nameOf(catalog.metrics.get(metric)) || metric));
  const nav = h('nav.crumbs');
  trail.forEach((item, i) => { if (i) nav.append(h('span.sep', null, '›')); nav.append(item); });
  return nav;
}

function metricTargetText(metric) {
  const parts = [];
  if (metric?.target) parts.push(t(metric.target.direction === 'atMost' ? 'atMost' : 'atLeast', { value: `${formatNumber(metric.target.value)} ${metric.unitOfMeasure}`.trim() }));
  if (metric?.thresholds?.warning != null) parts.push(t('warning', { value: formatNumber(metric.thresholds.warning) }));
  if (metric?.thresholds?.critical != null) parts.push(t('critical', { value: formatNumber(metric.thresholds.critical) }));
  return parts.join(' · ');
}

/**
 * A locality, project, department or the province: its members with their status and latest values,
 * a page at a time.
 */
export class GroupView {
  constructor({ catalog, live, id }) {
    this.catalog = catalog;
    this.live = live;
    this.id = id;
    this.entity = catalog.entities.get(id);
    this.rows = new Map();
    this.offset = 0;
    this.total = this.entity.childCount ?? 0;
    this.abort = null;
    live.watch(id);
    this.build();
    this.load(0);
  }

  build() {
    const { catalog, entity } = this;
    this.pill = h('span.pill');
    this.counts = h('span.muted');
    this.kpis = h('div.kpis.wide');
    this.kpiCells = new Map();
    for (const metric of catalog.keyMetricsFor(this.id)) {
      const value = h('span.value', null, '—');
      const cell = h('a.kpi', { href: `#/entity/${this.id}/metric/${metric.id}`, dataset: { metric: metric.id } },
        h('span.label', { title: nameOf(metric) }, shortMetricLabel(metric)), h('div.reading', null, value, h('span.uom', null, metric.unitOfMeasure)));
      this.kpis.append(cell);
      this.kpiCells.set(metric.id, { value });
    }
    this.body = h('tbody');
    this.message = h('p.chart-message', { hidden: true });
    this.range = h('span.muted.page-range');
    this.previous = h('button', { type: 'button', dataset: { page: 'previous' } }, t('previous'));
    this.next = h('button', { type: 'button', dataset: { page: 'next' } }, t('next'));
    this.previous.addEventListener('click', () => this.load(Math.max(0, this.offset - pageSize)));
    this.next.addEventListener('click', () => this.load(this.offset + pageSize));
    this.pager = h('div.pager', null, this.range, h('div.range', null, this.previous, this.next));
    const table = h('table.members', null,
      h('thead', null, h('tr', null, h('th', null, t('status')), h('th', null, t('name')), h('th', null, t('role')), h('th', null, t('lastReport')), h('th', null, t('values')))),
      this.body);
    this.el = h('section.drill', { dataset: { view: 'group', entity: this.id, state: 'loading' } },
      crumbs(catalog, this.id),
      h('header.drill-head', null, h('div', null, h('p.kind', null, kindLabel(entity.kind)), h('h1', null, nameOf(entity))), h('div.head-status', null, this.pill, this.counts)),
      this.kpis,
      h('div.members-head', null, h('h2.section-title', null, entity.kind === 'province' ? t('childrenHeader') : t('unitsHeader')), this.pager),
      this.message,
      h('div.table-wrap', null, table));
    this.refresh();
  }

  /** Shows the page starting at `offset`: asks for it, then swaps the rows and what they watch. */
  async load(offset) {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    this.el.dataset.state = 'loading';
    let page;
    try {
      page = await this.catalog.page(this.id, offset, pageSize, abort.signal);
    } catch {
      return; // superseded by another page, or the view was left
    }
    if (abort.signal.aborted) return;
    if (page.error) {
      this.el.dataset.state = 'error';
      setText(this.message, failureText(page.error));
      this.message.hidden = false;
      return;
    }
    this.message.hidden = true;
    this.offset = offset;
    this.total = page.total;
    this.showRows(page.items);
    this.el.dataset.state = 'ready';
  }

  showRows(members) {
    for (const id of this.rows.keys()) this.live.release(id);
    this.rows.clear();
    const rows = members.map(member => {
      const status = h('span.pill');
      const when = h('td.when');
      const values = h('td.values');
      const row = h('tr', { dataset: { entity: member.id } },
        h('td', null, status),
        h('td', null, h('a', { href: `#/entity/${member.id}` }, nameOf(member))),
        h('td.muted', null, member.kind === 'unit' ? roleLabel(member.role) : kindLabel(member.kind)),
        when, values);
      this.rows.set(member.id, { row, status, when, values, member });
      return row;
    });
    this.body.replaceChildren(...rows);
    for (const id of this.rows.keys()) this.live.watch(id);
    const last = this.offset + members.length;
    this.pager.hidden = this.total <= pageSize;
    setText(this.range, t('pageRange', { from: formatNumber(members.length ? this.offset + 1 : 0), to: formatNumber(last), total: formatNumber(this.total) }));
    this.previous.disabled = this.offset === 0;
    this.next.disabled = last >= this.total;
    this.refresh();
  }

  refresh() {
    this.update(this.id);
    for (const id of this.rows.keys()) this.update(id);
  }

  update(id) {
    const state = this.live.get(id);
    const freshness = this.catalog.freshness(id, state, this.live.state);
    const shown = state && freshness.live ? state.status : 'offline';
    if (id === this.id) {
      setStatus(this.pill, shown);
      setText(this.pill, statusLabel(shown));
      const u = state?.units;
      setText(this.counts, u ? `${t('unitCount', { n: u.ok + u.belowTarget + u.warning + u.critical + u.offline })} · ${state.lastReport ? (freshness.live ? t('updated', { time: formatTime(state.lastReport) }) : t('lastSeen', { time: formatTime(state.lastReport) })) : t('never')}` : '');
      for (const [metric, { value }] of this.kpiCells) {
        const r = state?.rollups.get(metric);
        setText(value, r && freshness.live ? formatNumber(r.value) : '—');
      }
      return;
    }
    const row = this.rows.get(id);
    if (!row) return;
    setStatus(row.status, shown);
    setText(row.status, statusLabel(shown));
    row.row.classList.toggle('is-stale', !freshness.live);
    setText(row.when, state?.lastReport ? formatTime(state.lastReport) : t('never'));
    const source = row.member.kind === 'unit' ? state?.metrics : state?.rollups;
    const parts = [];
    if (source && freshness.live) {
      for (const [metricId, v] of source) {
        const metric = this.catalog.metrics.get(metricId);
        if (!metric || (row.member.kind !== 'unit' && !metric.key)) continue;
        parts.push(`${shortMetricLabel(metric)} ${formatNumber(v.value)}${metric.unitOfMeasure ? ` ${metric.unitOfMeasure}` : ''}`);
      }
    }
    setText(row.values, parts.length ? parts.join(' · ') : '—');
  }

  dispose() {
    this.abort?.abort();
    this.live.release(this.id);
    for (const id of this.rows.keys()) this.live.release(id);
  }
}

/** One unit: each metric it reports, with its status, time, target and a link to its history. */
export class UnitView {
  constructor({ catalog, live, id, sparks }) {
    this.catalog = catalog;
    this.live = live;
    this.sparks = sparks;
    this.id = id;
    this.entity = catalog.entities.get(id);
    this.cards = new Map();
    this.sparkBindings = [];
    live.watch(id);
    this.build();
  }

  build() {
    const { entity, catalog } = this;
    this.pill = h('span.pill');
    this.seen = h('span.muted');
    const grid = h('div.metric-cards');
    for (const metricId of entity.metrics) {
      const metric = catalog.metrics.get(metricId);
      if (!metric) continue;
      const value = h('span.value', null, '—');
      const when = h('span.when');
      const status = h('span.pill');
      const spark = this.sparks.create(this.id, metricId);
      this.sparkBindings.push([spark, this.id, metricId]);
      const card = h('a.metric-card', { href: `#/entity/${this.id}/metric/${metricId}`, dataset: { metric: metricId } },
        h('header', null, h('span.label', null, nameOf(metric)), status),
        h('div.reading', null, value, h('span.uom', null, metric.unitOfMeasure)),
        spark,
        h('footer', null, when, h('span.target', null, metricTargetText(metric))));
      grid.append(card);
      this.cards.set(metricId, { card, value, when, status });
    }
    const parents = entity.parents.map(p => catalog.entities.get(p)).filter(Boolean)
      .map(p => h('a.chip', { href: `#/entity/${p.id}` }, `${kindLabel(p.kind)} · ${nameOf(p)}`));
    this.el = h('section.drill', { dataset: { view: 'unit', entity: this.id } },
      crumbs(catalog, this.id),
      h('header.drill-head', null,
        h('div', null, h('p.kind', null, roleLabel(entity.role) || kindLabel('unit')), h('h1', null, nameOf(entity)), h('div.chips', null, ...parents)),
        h('div.head-status', null, this.pill, this.seen)),
      h('h2.section-title', null, t('metricsHeader')),
      grid);
    this.refresh();
  }

  refresh() { this.update(this.id); }

  update(id) {
    if (id !== this.id) return;
    const state = this.live.get(id);
    const freshness = this.catalog.freshness(id, state, this.live.state);
    const shown = state && freshness.live ? state.status : 'offline';
    setStatus(this.pill, shown);
    setText(this.pill, statusLabel(shown));
    setText(this.seen, state?.lastReport ? (freshness.live ? t('updated', { time: formatTime(state.lastReport) }) : t('lastSeen', { time: formatTime(state.lastReport) })) : t('never'));
    for (const [metricId, card] of this.cards) {
      const m = state?.metrics.get(metricId);
      const live = m && freshness.live && m.status !== 'offline';
      setText(card.value, live ? formatNumber(m.value) : '—');
      setStatus(card.card, live ? m.status : 'offline');
      setStatus(card.status, live ? m.status : 'offline');
      setText(card.status, statusLabel(live ? m.status : 'offline'));
      setText(card.when, m ? (live ? t('updated', { time: formatTime(m.timestamp) }) : t('lastSeen', { time: formatTime(m.timestamp) })) : t('never'));
    }
  }

  dispose() {
    for (const [svg, entity, metric] of this.sparkBindings) this.sparks.unbind(svg, entity, metric);
    this.live.release(this.id);
  }
}

const ranges = {
  '1h': { ms: 3600_000, step: '1m' },
  '24h': { ms: 24 * 3600_000, step: '5m' },
  '7d': { ms: 7 * 24 * 3600_000, step: '1h' },
};

/** A metric's history for an entity, from the history API, drawn with uPlot. */
export class ChartView {
  constructor({ catalog, live, id, metric, me }) {
    this.catalog = catalog;
    this.live = live;
    this.id = id;
    this.me = me;
    this.metricId = metric;
    this.metric = catalog.metrics.get(metric);
    this.range = sessionStorage.getItem('ioc.range') in ranges ? sessionStorage.getItem('ioc.range') : '1h';
    this.plot = null;
    this.abort = null;
    this.live.watch(id);
    this.build();
    this.load();
    this.onResize = () => this.resize();
    window.addEventListener('resize', this.onResize);
  }

  build() {
    const entity = this.catalog.entities.get(this.id);
    this.current = h('span.value', null, '—');
    this.message = h('p.chart-message');
    this.chart = h('div.chart');
    this.buttons = new Map();
    const picker = h('div.range', { role: 'group', 'aria-label': t('range') });
    for (const key of Object.keys(ranges)) {
      const button = h('button', { type: 'button', dataset: { range: key } }, key);
      button.addEventListener('click', () => { this.range = key; sessionStorage.setItem('ioc.range', key); this.load(); });
      picker.append(button);
      this.buttons.set(key, button);
    }
    this.el = h('section.drill.chart-view', { dataset: { view: 'chart', entity: this.id, metric: this.metricId } },
      crumbs(this.catalog, this.id, this.metricId),
      h('header.drill-head', null,
        h('div', null, h('p.kind', null, `${nameOf(entity)} · ${t('history')}`), h('h1', null, nameOf(this.metric) || this.metricId),
          h('p.muted', null, metricTargetText(this.metric))),
        h('div.head-status', null, h('div.reading.big', null, this.current, h('span.uom', null, this.metric?.unitOfMeasure ?? '')), picker)),
      this.message, this.chart);
    this.refresh();
  }

  async load() {
    for (const [key, button] of this.buttons) button.classList.toggle('active', key === this.range);
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    // The wall knows what its sign-in may read: it says so instead of sending a request bound to be refused.
    if (this.me && !this.me.supervise) return this.fail('forbidden', t('historyForbidden'));
    const { ms, step } = ranges[this.range];
    const to = new Date();
    const from = new Date(to.getTime() - ms);
    setText(this.message, t('loading'));
    this.message.hidden = false;
    this.el.dataset.state = 'loading';
    let result;
    try {
      result = await getJson(`/api/v1/entities/${encodeURIComponent(this.id)}/metrics/${encodeURIComponent(this.metricId)}/history`
        + `?from=${from.toISOString()}&to=${to.toISOString()}&step=${step}&agg=avg`, abort.signal);
    } catch {
      return; // superseded by another range
    }
    if (abort.signal.aborted || !this.el.isConnected && this.disposed) return;
    const { status, data } = result;
    if (status === 403) return this.fail('forbidden', t('historyForbidden'));
    if (status === 404) return this.fail('missing', t('historyMissing'));
    if (!data) return this.fail('error', t('historyError', { status }));
    const xs = [];
    const ys = [];
    for (const p of data.points ?? []) {
      const ts = Date.parse(p.ts);
      const v = typeof p.value === 'number' ? p.value : Number(p.value);
      if (Number.isFinite(ts)) {
        xs.push(ts / 1000);
        ys.push(Number.isFinite(v) ? v : null);
      }
    }
    if (!xs.length) this.fail('empty', t('historyEmpty'));
    else {
      this.message.hidden = true;
      this.el.dataset.state = 'ready';
    }
    this.draw([xs, ys], from.getTime() / 1000, to.getTime() / 1000);
  }

  fail(state, text) {
    this.el.dataset.state = state;
    setText(this.message, text);
    this.message.hidden = false;
    this.plot?.destroy();
    this.plot = null;
  }

  draw(data, min, max) {
    this.plot?.destroy();
    const css = getComputedStyle(document.documentElement);
    const font = `${css.fontSize} ${getComputedStyle(document.body).fontFamily}`;
    const axis = { stroke: css.getPropertyValue('--text-dim').trim(), grid: { stroke: 'rgba(120,150,190,0.12)', width: 1 }, ticks: { stroke: 'rgba(120,150,190,0.2)' }, font };
    // Times on the wall's clock (24-hour, the screen's language), not uPlot's default am/pm.
    const timeAxis = { ...axis, values: (u, splits) => splits.map(s => formatTime(new Date(s * 1000))) };
    const target = this.metric?.target?.value;
    const series = [{}, {
      label: nameOf(this.metric),
      stroke: css.getPropertyValue('--accent').trim(),
      width: 2,
      fill: 'rgba(56,189,248,0.12)',
      points: { show: false },
    }];
    const plotData = [data[0], data[1]];
    if (Number.isFinite(target)) {
      series.push({ label: t('target'), stroke: css.getPropertyValue('--amber').trim(), width: 1, dash: [6, 6], points: { show: false } });
      plotData.push(data[0].map(() => target));
    }
    const { width, height } = this.size();
    this.plot = new uPlot({
      width, height,
      scales: { x: { time: true, min, max } },
      series,
      axes: [timeAxis, { ...axis, size: 70, values: (u, splits) => splits.map(v => formatNumber(v)) }],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    }, plotData, this.chart);
  }

  size() {
    const rect = this.chart.getBoundingClientRect();
    return { width: Math.max(320, Math.floor(rect.width)), height: Math.max(200, Math.floor(window.innerHeight - rect.top - 40)) };
  }

  resize() { this.plot?.setSize(this.size()); }

  refresh() { this.update(this.id); }

  update(id) {
    if (id !== this.id) return;
    const state = this.live.get(id);
    const freshness = this.catalog.freshness(id, state, this.live.state);
    const v = state?.metrics.get(this.metricId) ?? state?.rollups.get(this.metricId);
    setText(this.current, v && freshness.live ? formatNumber(v.value) : '—');
  }

  dispose() {
    this.disposed = true;
    this.abort?.abort();
    window.removeEventListener('resize', this.onResize);
    this.plot?.destroy();
    this.plot = null;
    this.live.release(this.id);
  }
}

/** Shown for an unknown entity, or one that could not be loaded. */
export class MissingView {
  constructor({ catalog, id, error }) {
    const text = !error || error.status === 404 ? t('unknownEntity', { id }) : failureText(error);
    this.el = h('section.drill', { dataset: { view: 'missing' } }, crumbs(catalog, id), h('p.chart-message', null, text));
  }
  refresh() {}
  update() {}
  dispose() {}
}

/** Shown while an entity the wall does not hold yet is asked for. */
export class LoadingView {
  constructor({ catalog, id }) {
    this.el = h('section.drill', { dataset: { view: 'loading' } }, crumbs(catalog, id), h('p.chart-message', null, t('loading')));
  }
  refresh() {}
  update() {}
  dispose() {}
}
