// The province at a glance: the localities on a map-like grid, the projects and the departments,
// the province summary, live alerts, indicators below target and a ticker. Built once; every update
// changes text and classes of nodes that already exist.
import { h, setText, setAttr, setStatus, statuses } from './dom.js';
import { t, nameOf, shortMetricLabel, statusLabel, formatNumber, formatTime, kindLabel, failureText } from './i18n.js';
import { isLocality } from './catalog.js';

const alertSlots = 12;
const sparklineMaxIntervalMs = 600_000;
const lowSlots = 10;
const missingSlots = 8;

/**
 * Places the localities on a grid that keeps the map's order (rows top to bottom, columns left to
 * right) and leaves no empty cell: empty rows are dropped, and a tile widens over the empty cells up to
 * its right-hand neighbour (the first tile of a row also over those to its left).
 */
export function mapLayout(localities) {
  const columns = Math.max(...localities.map(e => (e.map?.[0] ?? 0) + 1), 1);
  const byRow = new Map();
  for (const e of localities) {
    const row = e.map?.[1] ?? 0;
    if (!byRow.has(row)) byRow.set(row, []);
    byRow.get(row).push(e);
  }
  const rows = [...byRow.keys()].sort((a, b) => a - b);
  const cells = new Map();
  rows.forEach((row, r) => {
    const tiles = byRow.get(row).sort((a, b) => (a.map?.[0] ?? 0) - (b.map?.[0] ?? 0));
    tiles.forEach((e, i) => {
      const start = i === 0 ? 0 : Math.min(e.map?.[0] ?? 0, columns - 1);
      const next = i + 1 < tiles.length ? Math.max(tiles[i + 1].map?.[0] ?? 0, start + 1) : columns;
      cells.set(e.id, { column: start + 1, span: Math.max(1, next - start), row: r + 1 });
    });
  });
  return { columns, rows: rows.length, cells };
}

export class Overview {
  constructor({ catalog, live, sparks }) {
    this.catalog = catalog;
    this.live = live;
    this.sparks = sparks;
    this.tiles = new Map();
    this.alerts = new Map();
    this.low = [];
    this.missing = [];
    // Each list panel is loading, ready or failed (with the reason); a failed list is never shown as empty.
    this.lists = { alerts: { state: 'loading' }, low: { state: 'loading' }, missing: { state: 'loading' } };
    this.el = h('section.overview', { id: 'overview' });
    this.build();
  }

  build() {
    const { catalog } = this;
    const localities = catalog.top.filter(isLocality);
    const projects = catalog.top.filter(e => e.kind === 'project');
    const departments = catalog.top.filter(e => e.kind === 'department');
    const { columns, rows, cells } = mapLayout(localities);

    this.mapTitle = h('h2.section-title');
    const map = h('div.map', { style: `--columns:${columns};--rows:${rows}` });
    for (const e of localities) {
      const tile = this.tile(e, 'locality', { cells: 6, footerIndicators: 2 });
      const cell = cells.get(e.id);
      tile.el.style.gridColumn = `${cell.column} / span ${cell.span}`;
      tile.el.style.gridRow = String(cell.row);
      map.append(tile.el);
    }
    // In map order, top to bottom and left to right: the order a kiosk shows them in.
    this.localities = [...localities].sort((a, b) => cells.get(a.id).row - cells.get(b.id).row || cells.get(a.id).column - cells.get(b.id).column);
    this.projectsTitle = h('h2.section-title');
    const projectRow = h('div.row.projects');
    for (const e of projects) projectRow.append(this.tile(e, 'project', { cells: 4, indicatorCells: true, countsInFooter: true }).el);
    this.departmentsTitle = h('h2.section-title');
    const departmentRow = h('div.row.departments');
    for (const e of departments) departmentRow.append(this.tile(e, 'department', { cells: 0, footerIndicators: 2, compact: true }).el);

    const main = h('div.ov-main', null,
      h('div.block.block-map', null, this.mapTitle, map),
      h('div.block', null, this.projectsTitle, projectRow),
      h('div.block', null, this.departmentsTitle, departmentRow));

    const side = h('aside.ov-side', null, this.buildProvince(), this.buildAlerts(), this.buildLow(), this.buildMissing());
    // Rows that do not fit a panel are left out rather than cut in half; the count still says how many there are.
    this.fitter = new ResizeObserver(() => this.fitAll());
    for (const box of [this.alertsBox, this.lowBox, this.missingBox]) this.fitter.observe(box.list);
    this.ticker = h('div.ticker-text');
    this.tickerBar = h('footer.ticker', null, h('span.ticker-label'), h('div.ticker-window', null, this.ticker));
    this.el.append(main, side, this.tickerBar);
  }

  /**
   * A tile. Operational key metrics (reported every few minutes at most) are cells with a sparkline of
   * the last hour; the slow digital-transformation indicators, whose hour would be a flat line, are
   * either value cells (`indicatorCells`) or a line of values in the footer.
   */
  tile(entity, kind, { cells, indicatorCells = false, footerIndicators = 0, countsInFooter = false, compact = false }) {
    const metrics = new Map();
    const key = this.catalog.keyMetricsFor(entity.id);
    const live = key.filter(m => m.intervalMs <= sparklineMaxIntervalMs);
    const slow = key.filter(m => m.intervalMs > sparklineMaxIntervalMs);
    const grid = h('div.metrics');
    for (const metric of [...live, ...(indicatorCells ? slow : [])].slice(0, cells)) {
      const label = h('span.label');
      const value = h('span.value', null, '—');
      const uom = h('span.uom', null, metric.unitOfMeasure ?? '');
      const spark = live.includes(metric) ? this.sparks.create(entity.id, metric.id) : null;
      const cell = h('div.metric', { dataset: { metric: metric.id } }, label, h('div.line', null, h('div.reading', null, value, uom), spark));
      grid.append(cell);
      metrics.set(metric.id, { cell, label, value, metric });
    }
    const indicators = h('div.indicators');
    for (const metric of indicatorCells ? [] : slow.slice(0, footerIndicators)) {
      const label = h('span.label');
      const value = h('span.value', null, '—');
      const cell = h('span.indicator', { dataset: { metric: metric.id } }, label, h('span.reading', null, value, h('span.uom', null, metric.unitOfMeasure ?? '')));
      indicators.append(cell);
      metrics.set(metric.id, { cell, label, value, metric });
    }
    const name = h('h3.name');
    const pill = h('span.pill');
    const counts = new Map();
    const countBox = h('div.counts');
    for (const s of statuses) {
      const n = h('span.n', null, '0');
      const chip = h(`span.count.status-${s}`, null, h('i.dot'), n);
      counts.set(s, { chip, n });
      countBox.append(chip);
    }
    const updated = h('span.updated');
    const el = h(`article.tile.${kind}.status-offline.is-waiting`, { dataset: { entity: entity.id }, tabindex: '0' },
      h('header', null, name, countsInFooter ? null : countBox, pill),
      grid.childElementCount ? grid : null,
      h('footer', null, countsInFooter ? countBox : indicators, updated));
    el.addEventListener('click', () => { location.hash = `#/entity/${entity.id}`; });
    const tile = { entity, el, name, pill, metrics, counts, updated, compact };
    this.tiles.set(entity.id, tile);
    return tile;
  }

  buildProvince() {
    this.provinceTitle = h('h2.panel-title');
    this.provincePill = h('span.pill');
    this.provinceBar = h('div.stack-bar');
    this.provinceBarParts = new Map();
    this.provinceLegend = h('div.legend');
    this.provinceLegendParts = new Map();
    for (const s of statuses) {
      const part = h(`i.status-${s}`);
      this.provinceBar.append(part);
      this.provinceBarParts.set(s, part);
      const n = h('b', null, '0');
      const label = h('span');
      this.provinceLegend.append(h(`span.legend-item.status-${s}`, null, h('i.dot'), label, n));
      this.provinceLegendParts.set(s, { n, label });
    }
    this.provinceTotal = h('span.total');
    this.provinceUpdated = h('span.updated');
    this.provinceMetrics = new Map();
    const grid = h('div.kpis');
    for (const metric of this.catalog.keyMetricsFor(this.catalog.province.id).slice(0, 6)) {
      const value = h('span.value', null, '—');
      const label = h('span.label');
      grid.append(h('div.kpi', { dataset: { metric: metric.id } }, label, h('div.reading', null, value, h('span.uom', null, metric.unitOfMeasure ?? ''))));
      this.provinceMetrics.set(metric.id, { value, label, metric });
    }
    this.provincePanel = h('section.panel.province.status-offline', { dataset: { entity: this.catalog.province.id } },
      h('header', null, this.provinceTitle, this.provincePill),
      h('div.province-units', null, this.provinceTotal, this.provinceUpdated),
      this.provinceBar, this.provinceLegend, grid);
    this.provincePanel.addEventListener('click', () => { location.hash = `#/entity/${this.catalog.province.id}`; });
    return this.provincePanel;
  }

  buildAlerts() {
    this.alertsBox = listPanel('section.panel.alerts', 'ol.alert-list', 'span.badge', '0', alertSlots, () => {
      const row = { el: h('li.alert', { hidden: true }), where: h('span.where'), what: h('span.what'), when: h('span.when') };
      row.el.append(h('i.dot'), h('div.alert-text', null, row.where, row.what), row.when);
      return row;
    });
    return this.alertsBox.el;
  }

  buildLow() {
    this.lowBox = listPanel('section.panel.low-achievement', 'ol.low-list', 'span.badge.badge-amber', '0', lowSlots, () => {
      const row = { el: h('li.low', { hidden: true }), who: h('span.who'), what: h('span.what'), value: h('span.low-value'), gap: h('span.gap') };
      row.el.append(h('div.low-text', null, row.who, row.what), h('div.low-figures', null, row.value, row.gap));
      return row;
    });
    return this.lowBox.el;
  }

  buildMissing() {
    this.missingBox = listPanel('section.panel.compliance', 'ol.low-list.missing-list', 'span.badge.badge-amber', '…', missingSlots, () => {
      const row = { el: h('li.low.missing', { hidden: true }), who: h('span.who'), what: h('span.what'), when: h('span.low-value') };
      row.el.append(h('div.low-text', null, row.who, row.what), h('div.low-figures', null, row.when));
      return row;
    });
    return this.missingBox.el;
  }

  /** The entities the overview watches for as long as the page lives. */
  watched() {
    return [this.catalog.province.id, ...this.tiles.keys()];
  }

  /** Re-labels everything in the current language. */
  relabel() {
    setText(this.mapTitle, t('localities'));
    setText(this.projectsTitle, t('projects'));
    setText(this.departmentsTitle, t('departments'));
    setText(this.provinceTitle, `${t('province')} · ${nameOf(this.catalog.province)}`);
    setText(this.alertsBox.title, t('alerts'));
    setText(this.lowBox.title, t('lowAchievement'));
    setText(this.missingBox.title, t('missingReports'));
    setText(this.tickerBar.firstChild, t('alerts'));
    for (const [s, part] of this.provinceLegendParts) setText(part.label, statusLabel(s));
    for (const { label, metric } of this.provinceMetrics.values()) {
      setText(label, shortMetricLabel(metric));
      label.title = nameOf(metric);
    }
    for (const tile of this.tiles.values()) {
      setText(tile.name, nameOf(tile.entity));
      tile.el.title = `${kindLabel(tile.entity.kind)} · ${nameOf(tile.entity)}`;
      for (const { label, cell, metric } of tile.metrics.values()) {
        setText(label, shortMetricLabel(metric));
        cell.title = nameOf(metric);
      }
    }
    this.refreshAll();
    this.renderAlerts();
    this.renderLow();
    this.renderMissing();
  }

  refreshAll() {
    if (!this.el.hidden) this.fitAll();
    for (const id of this.tiles.keys()) this.update(id);
    this.update(this.catalog.province.id);
  }

  /** Redraws one entity from the live state. */
  update(id) {
    const state = this.live.get(id);
    const freshness = this.catalog.freshness(id, state, this.live.state);
    if (id === this.catalog.province.id) return this.updateProvince(state, freshness);
    const tile = this.tiles.get(id);
    if (!tile) return;
    const shown = freshness.live ? state.status : 'offline';
    setStatus(tile.el, shown);
    tile.el.classList.toggle('is-stale', !freshness.live);
    tile.el.classList.toggle('is-waiting', !state);
    tile.el.classList.toggle('is-frozen', freshness.reason === 'connection');
    setText(tile.pill, statusLabel(freshness.reason === 'connection' && state ? state.status : shown));
    for (const [metricId, cell] of tile.metrics) {
      const rollup = state?.rollups.get(metricId);
      const text = rollup && (freshness.live || freshness.reason === 'connection') ? formatNumber(rollup.value) : '—';
      setText(cell.value, text);
      setAttr(cell.value, 'data-value', rollup && freshness.live ? String(rollup.value) : '');
      cell.cell.classList.toggle('breach', !!rollup && this.catalog.judge(metricId, rollup.value) !== 'ok');
      cell.cell.dataset.judged = rollup ? this.catalog.judge(metricId, rollup.value) : 'none';
    }
    const units = state?.units;
    for (const [s, { chip, n }] of tile.counts) {
      const count = units?.[s] ?? 0;
      setText(n, String(count));
      chip.classList.toggle('zero', count === 0);
    }
    const when = state?.lastReport ? formatTime(state.lastReport) : null;
    const full = !when ? t('never') : freshness.live ? t('updated', { time: when }) : t('lastSeen', { time: when });
    setText(tile.updated, tile.compact && when ? when : full);
    tile.updated.title = full;
  }

  updateProvince(state, freshness) {
    const shown = freshness.live ? state.status : 'offline';
    setStatus(this.provincePanel, shown);
    setText(this.provincePill, statusLabel(shown));
    const units = state?.units ?? {};
    const total = statuses.reduce((sum, s) => sum + (units[s] ?? 0), 0);
    setText(this.provinceTotal, t('unitCount', { n: formatNumber(total) }));
    setText(this.provinceUpdated, state?.lastReport ? (freshness.live ? t('updated', { time: formatTime(state.lastReport) }) : t('lastSeen', { time: formatTime(state.lastReport) })) : t('never'));
    for (const s of statuses) {
      const count = units[s] ?? 0;
      this.provinceBarParts.get(s).style.flexGrow = String(count);
      setText(this.provinceLegendParts.get(s).n, String(count));
    }
    for (const [metricId, { value }] of this.provinceMetrics) {
      const rollup = state?.rollups.get(metricId);
      setText(value, rollup && (freshness.live || freshness.reason === 'connection') ? formatNumber(rollup.value) : '—');
    }
  }

  /** Takes alerts from the initial list or the hub; cleared ones leave, the rest are kept by id. */
  takeAlerts(alerts) {
    for (const alert of alerts) {
      if (!alert?.id) continue;
      if (alert.state === 'cleared') this.alerts.delete(alert.id);
      else this.alerts.set(alert.id, alert);
    }
    // Bounded: the oldest go first.
    if (this.alerts.size > 200) {
      const oldest = [...this.alerts.values()].sort((a, b) => Date.parse(a.raisedAt) - Date.parse(b.raisedAt));
      for (const a of oldest.slice(0, this.alerts.size - 200)) this.alerts.delete(a.id);
    }
    this.renderAlerts();
  }

  replaceAlerts(alerts) {
    this.alerts.clear();
    this.lists.alerts = { state: 'ready' };
    this.takeAlerts(alerts);
  }

  /** A list could not be loaded: its panel says so, with the reason, until a load succeeds. */
  failList(name, error) {
    this.lists[name] = { state: 'error', error };
    if (name === 'alerts') this.renderAlerts();
    if (name === 'low') this.renderLow();
    if (name === 'missing') this.renderMissing();
  }

  renderAlerts() {
    const rank = { critical: 0, offline: 1, warning: 2 };
    const sorted = [...this.alerts.values()].sort((a, b) =>
      (a.state === 'acknowledged') - (b.state === 'acknowledged')
      || (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3)
      || Date.parse(b.raisedAt) - Date.parse(a.raisedAt));
    const list = this.lists.alerts;
    const ready = list.state === 'ready';
    showList(this.alertsBox, list, sorted, t('noAlerts'), (row, alert) => {
      row.el.dataset.alert = alert.id;
      setStatus(row.el, alert.severity === 'offline' ? 'offline' : alert.severity);
      row.el.classList.toggle('acknowledged', alert.state === 'acknowledged');
      setText(row.where, this.entityName(alert.entity, alert.entityName));
      setText(row.what, this.describeAlert(alert));
      setText(row.when, formatTime(alert.raisedAt));
    });
    const recent = [...this.alerts.values()].sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt)).slice(0, 8);
    const line = !ready ? listMessage(list, t('noAlerts'))
      : recent.length
        ? recent.map(a => `${formatTime(a.raisedAt)} · ${this.entityName(a.entity, a.entityName)} · ${this.describeAlert(a)}`).join('     •     ')
        : t('noAlerts');
    if (this.ticker.textContent !== line) {
      this.ticker.textContent = line;
      this.ticker.classList.toggle('scrolling', ready && recent.length > 0);
    }
    this.fit(this.alertsBox.list);
  }

  describeAlert(alert) {
    const metric = this.catalog.metrics.get(alert.metric);
    const name = metric ? shortMetricLabel(metric) : alert.metric ?? '';
    const uom = metric?.unitOfMeasure ? ` ${metric.unitOfMeasure}` : '';
    const value = alert.value === null || alert.value === undefined ? '' : ` ${formatNumber(Number(alert.value))}${uom}`;
    const threshold = alert.threshold === null || alert.threshold === undefined ? '' : ` / ${formatNumber(Number(alert.threshold))}`;
    const ack = alert.state === 'acknowledged' ? ` · ${t('acknowledged')}` : '';
    return `${statusLabel(alert.severity)} · ${name}${value}${threshold}${ack}`;
  }

  entityName(id, fallback) {
    const entity = this.catalog.entities.get(id);
    return entity ? nameOf(entity) : fallback ?? id ?? '';
  }

  takeLowAchievement(items) {
    this.low = items;
    this.lists.low = { state: 'ready' };
    this.renderLow();
  }

  takeMissing(items) {
    this.missing = items;
    this.lists.missing = { state: 'ready' };
    this.renderMissing();
  }

  renderLow() {
    const list = this.lists.low;
    const ready = list.state === 'ready';
    const items = ready ? [...this.low].sort((a, b) => relativeGap(b) - relativeGap(a)) : [];
    showList(this.lowBox, list, items, t('noLow'), (row, item) => {
      row.el.dataset.unit = item.unit;
      row.el.dataset.metric = item.metric;
      const metric = this.catalog.metrics.get(item.metric);
      const uom = metric?.unitOfMeasure ?? '';
      setText(row.who, this.entityName(item.unit, item.unitName));
      setText(row.what, metric ? shortMetricLabel(metric) : item.metricName ?? item.metric);
      row.what.title = metric ? nameOf(metric) : item.metricName ?? '';
      setText(row.value, `${formatNumber(Number(item.value))} / ${formatNumber(Number(item.target))} ${uom}`.trim());
      setText(row.gap, t('gap', { gap: `${formatNumber(Math.abs(Number(item.gap)))} ${uom}`.trim() }));
    });
    this.fit(this.lowBox.list);
  }

  renderMissing() {
    const list = this.lists.missing;
    const ready = list.state === 'ready';
    // Never reported first, then the longest silent.
    const items = ready ? [...this.missing].sort((a, b) => (Date.parse(a.lastReported ?? '') || 0) - (Date.parse(b.lastReported ?? '') || 0)) : [];
    showList(this.missingBox, list, items, t('noMissing'), (row, item) => {
      row.el.dataset.unit = item.unit;
      row.el.dataset.metric = item.metric;
      const metric = this.catalog.metrics.get(item.metric);
      setText(row.who, item.unitName ?? item.unit);
      setText(row.what, `${metric ? shortMetricLabel(metric) : item.metricName ?? item.metric} · ${t(String(item.period).toLowerCase() === 'monthly' ? 'monthly' : 'daily')}`);
      row.what.title = metric ? nameOf(metric) : item.metricName ?? '';
      setText(row.when, item.lastReported ? t('lastSeen', { time: formatTime(item.lastReported) }) : t('neverReported'));
    });
    this.fit(this.missingBox.list);
  }

  fitAll() {
    for (const box of [this.alertsBox, this.lowBox, this.missingBox]) this.fit(box.list);
  }

  /** Leaves out the rows that would overflow the list's box. */
  fit(list) {
    if (!list || this.el.hidden) return;
    const rows = [...list.children];
    for (const row of rows) row.classList.remove('clipped');
    const bottom = list.getBoundingClientRect().bottom;
    let clipping = false;
    for (const row of rows) {
      if (row.hidden) continue;
      clipping ||= row.getBoundingClientRect().bottom > bottom + 0.5;
      row.classList.toggle('clipped', clipping);
    }
  }
}

/**
 * A side panel listing up to `slots` rows under a title and a count badge, with a line for when it is empty.
 * `makeRow` builds one row, `{ el, … }`; the rows are made once and filled again on each render.
 */
function listPanel(panelClass, listClass, countClass, count, slots, makeRow) {
  const box = { title: h('h2.panel-title'), count: h(countClass, null, count), empty: h('p.empty'), list: h(listClass), rows: [] };
  for (let i = 0; i < slots; i++) {
    const row = makeRow();
    box.list.append(row.el);
    box.rows.push(row);
  }
  box.el = h(panelClass, { dataset: { state: 'loading' } }, h('header', null, box.title, box.count), box.empty, box.list);
  return box;
}

/** Shows `items` in a list panel once its list is ready: the state, the count, the empty line, and `fill` for each shown row. */
function showList(box, list, items, emptyText, fill) {
  const ready = list.state === 'ready';
  box.el.dataset.state = list.state;
  setText(box.count, ready ? String(items.length) : '…');
  box.empty.hidden = ready && items.length > 0;
  setText(box.empty, listMessage(list, emptyText));
  box.rows.forEach((row, i) => {
    const item = ready ? items[i] : undefined;
    row.el.hidden = !item;
    if (item) fill(row, item);
  });
}

/** What an empty or failed list panel says. */
function listMessage(list, empty) {
  if (list.state === 'error') return failureText(list.error);
  if (list.state === 'loading') return t('loading');
  return empty;
}

const relativeGap = item => {
  const target = Math.abs(Number(item.target)) || 1;
  return Math.abs(Number(item.gap)) / target;
};
