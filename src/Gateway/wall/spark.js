// Sparklines of the last hour. Each (entity, metric) has a fixed-size ring of points, seeded from the
// history API when it answers and extended by live values; nothing here grows with time.
import { getJson } from './api.js';

const capacity = 150;          // one point per 30 s over an hour, with room to spare
const minSpacingMs = 30_000;   // live values closer together than this replace the newest point
const windowMs = 3600_000;
const svgNs = 'http://www.w3.org/2000/svg';

class Ring {
  constructor() {
    this.ts = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.start = 0;
    this.length = 0;
  }

  at(i) { return (this.start + i) % capacity; }

  push(ts, value) {
    if (this.length > 0 && ts < this.ts[this.at(this.length - 1)]) return;
    // The newest point follows the live value until it is far enough from the one before it.
    if (this.length >= 2 && ts - this.ts[this.at(this.length - 2)] < minSpacingMs) {
      const last = this.at(this.length - 1);
      this.ts[last] = ts;
      this.values[last] = value;
      return;
    }
    if (this.length < capacity) {
      const i = this.at(this.length);
      this.ts[i] = ts;
      this.values[i] = value;
      this.length++;
    } else {
      this.ts[this.start] = ts;
      this.values[this.start] = value;
      this.start = (this.start + 1) % capacity;
    }
  }

  /** Puts seeded history before the live points already held. */
  seed(points) {
    const live = [];
    for (let i = 0; i < this.length; i++) live.push([this.ts[this.at(i)], this.values[this.at(i)]]);
    const firstLive = live.length ? live[0][0] : Infinity;
    this.start = 0;
    this.length = 0;
    for (const [ts, value] of points) if (ts < firstLive) this.push(ts, value);
    for (const [ts, value] of live) this.push(ts, value);
  }
}

export class Sparklines {
  /** @param {{ history: boolean }} options  whether this sign-in may read history to seed the lines */
  constructor({ history = true } = {}) {
    this.rings = new Map();     // "entity|metric" -> Ring
    this.views = new Map();     // "entity|metric" -> svg elements drawing it
    this.dirty = new Set();
    this.frame = 0;
    this.historyMissing = !history;
    this.queue = [];
    this.inFlight = 0;
  }

  ring(entity, metric) {
    const key = `${entity}|${metric}`;
    let ring = this.rings.get(key);
    if (!ring) {
      ring = new Ring();
      this.rings.set(key, ring);
      this.enqueueSeed(entity, metric, ring);
    }
    return ring;
  }

  /** A new sparkline element bound to (entity, metric). Call `unbind` when its element leaves the page. */
  create(entity, metric) {
    const svg = document.createElementNS(svgNs, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 100 30');
    svg.setAttribute('preserveAspectRatio', 'none');
    const area = document.createElementNS(svgNs, 'path');
    area.setAttribute('class', 'spark-area');
    const line = document.createElementNS(svgNs, 'path');
    line.setAttribute('class', 'spark-line');
    line.setAttribute('vector-effect', 'non-scaling-stroke');
    svg.append(area, line);
    const key = `${entity}|${metric}`;
    this.ring(entity, metric);
    let views = this.views.get(key);
    if (!views) this.views.set(key, (views = new Set()));
    views.add(svg);
    this.draw(key);
    return svg;
  }

  unbind(svg, entity, metric) {
    this.views.get(`${entity}|${metric}`)?.delete(svg);
  }

  add(entity, metric, timestamp, value) {
    if (!Number.isFinite(value)) return;
    const key = `${entity}|${metric}`;
    if (!this.rings.has(key)) return; // only what is on screen keeps a history
    const ts = Date.parse(timestamp);
    this.rings.get(key).push(Number.isFinite(ts) ? ts : Date.now(), value);
    this.markDirty(key);
  }

  markDirty(key) {
    this.dirty.add(key);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Redraws every sparkline, as the hour window slides. */
  redrawAll() {
    for (const key of this.views.keys()) this.dirty.add(key);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    for (const key of this.dirty) this.draw(key);
    this.dirty.clear();
  }

  draw(key) {
    const views = this.views.get(key);
    const ring = this.rings.get(key);
    if (!views || views.size === 0 || !ring) return;
    const now = Date.now();
    const from = now - windowMs;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < ring.length; i++) {
      const j = ring.at(i);
      if (ring.ts[j] < from) continue;
      min = Math.min(min, ring.values[j]);
      max = Math.max(max, ring.values[j]);
    }
    let d = '';
    let firstX = null;
    let lastX = 0;
    if (min <= max) {
      const span = max - min || Math.abs(max) || 1;
      const low = min - span * 0.15;
      const high = max + span * 0.15;
      for (let i = 0; i < ring.length; i++) {
        const j = ring.at(i);
        if (ring.ts[j] < from) continue;
        const x = ((ring.ts[j] - from) / windowMs) * 100;
        const y = 30 - ((ring.values[j] - low) / (high - low)) * 30;
        d += `${firstX === null ? 'M' : 'L'}${x.toFixed(2)} ${y.toFixed(2)}`;
        if (firstX === null) firstX = x;
        lastX = x;
      }
    }
    const area = firstX === null ? '' : `${d}L${lastX.toFixed(2)} 30L${firstX.toFixed(2)} 30Z`;
    for (const svg of views) {
      svg.lastChild.setAttribute('d', d);
      svg.firstChild.setAttribute('d', area);
    }
  }

  enqueueSeed(entity, metric, ring) {
    if (this.historyMissing) return;
    this.queue.push([entity, metric, ring]);
    this.pump();
  }

  // A few history requests at a time, so that a wall coming up does not flood the server.
  pump() {
    while (this.inFlight < 3 && this.queue.length && !this.historyMissing) {
      const [entity, metric, ring] = this.queue.shift();
      this.inFlight++;
      this.seed(entity, metric, ring).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  async seed(entity, metric, ring) {
    const to = new Date();
    const from = new Date(to.getTime() - windowMs);
    const path = `/api/v1/entities/${encodeURIComponent(entity)}/metrics/${encodeURIComponent(metric)}/history`
      + `?from=${from.toISOString()}&to=${to.toISOString()}&step=1m&agg=avg`;
    const { status, data, problem } = await getJson(path);
    // A bare 404 means the history API is not deployed here; a 403 means this screen may not read
    // history. Either way every other request would answer the same.
    if ((status === 404 && !problem) || status === 403) {
      this.historyMissing = true;
      this.queue.length = 0;
      return;
    }
    if (!data || !Array.isArray(data.points)) return;
    const points = [];
    for (const p of data.points) {
      const ts = Date.parse(p.ts);
      const value = typeof p.value === 'number' ? p.value : Number(p.value);
      if (Number.isFinite(ts) && Number.isFinite(value)) points.push([ts, value]);
    }
    ring.seed(points);
    this.markDirty(`${entity}|${metric}`);
  }
}
