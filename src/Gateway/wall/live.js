// The live connection: one SignalR connection to /hubs/live, the entities this screen watches, and
// their state, kept exact with per-entity sequence numbers. A delta that does not follow on from what
// the screen holds means something was missed: the screen subscribes again for a fresh snapshot. After
// every (re)connect, every watched entity is subscribed again and its state replaced by the snapshot.
import { currentToken, renewToken } from './api.js';

const maxBuffered = 64;

export class Live {
  /**
   * @param {object} handlers  onEntity(id, state), onAlerts(alerts), onAlertList(alerts), onConnection(state), onResynced()
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.entities = new Map(); // id -> { refs, state, syncing, buffer, again }
    this.connectionState = 'connecting';
    this.connectedSince = null;
    this.lostAt = null;
    this.connection = new signalR.HubConnectionBuilder()
      .withUrl('/hubs/live', { accessTokenFactory: () => currentToken() })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: context => backoff(context.previousRetryCount) })
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    // A wall sits idle for hours: tolerate a slow network, and notice a dead one.
    this.connection.serverTimeoutInMilliseconds = 30_000;
    this.connection.keepAliveIntervalInMilliseconds = 10_000;
    this.connection.on('update', frame => this.onFrame(frame));
    this.connection.on('alert', alerts => this.handlers.onAlerts?.(Array.isArray(alerts) ? alerts : [alerts]));
    this.connection.onreconnecting(() => this.setConnection('reconnecting'));
    this.connection.onreconnected(() => this.onConnected());
    // Automatic reconnection never gives up, so a close means the start itself failed or was refused.
    this.connection.onclose(() => {
      this.setConnection('disconnected');
      this.start();
    });
  }

  /** Connects, retrying forever with a capped backoff. */
  async start() {
    for (let attempt = 0; ; attempt++) {
      if (this.connection.state !== signalR.HubConnectionState.Disconnected) return;
      try {
        this.setConnection(attempt === 0 && !this.lostAt ? 'connecting' : 'reconnecting');
        await this.connection.start();
        this.onConnected();
        return;
      } catch (error) {
        if (String(error?.message ?? error).includes('401')) await renewToken();
        await delay(backoff(attempt));
      }
    }
  }

  /** connecting, connected, reconnecting or disconnected. */
  get state() { return this.connectionState; }

  /** Starts watching an entity (reference counted); its snapshot follows through onEntity. */
  watch(id) {
    let entry = this.entities.get(id);
    if (entry) {
      entry.refs++;
      return entry.state;
    }
    entry = { refs: 1, state: null, syncing: false, buffer: [], again: false };
    this.entities.set(id, entry);
    if (this.connectionState === 'connected') this.subscribe(id);
    return null;
  }

  /** Stops watching an entity once nothing on screen needs it. */
  release(id) {
    const entry = this.entities.get(id);
    if (!entry || --entry.refs > 0) return;
    this.entities.delete(id);
    if (this.connectionState === 'connected') this.connection.invoke('Unsubscribe', id).catch(() => {});
  }

  /** The state of a watched entity, or null before its first snapshot. */
  get(id) { return this.entities.get(id)?.state ?? null; }

  onConnected() {
    this.connectedSince = new Date();
    this.setConnection('connected');
    for (const id of this.entities.keys()) this.subscribe(id);
    this.subscribeAlerts();
  }

  /**
   * Asks for alert frames on this connection; the answer (the newest open alerts) replaces the list, since
   * frames sent while the connection was down are lost. If the hub refuses, the page reloads the list itself.
   */
  async subscribeAlerts() {
    try {
      const alerts = await this.connection.invoke('SubscribeAlerts');
      this.handlers.onAlertList?.(alerts);
    } catch {
      this.handlers.onResynced?.();
    }
  }

  setConnection(state) {
    if (state !== 'connected' && this.connectionState === 'connected') this.lostAt = new Date();
    if (state === 'connected') this.lostAt = null;
    this.connectionState = state;
    this.handlers.onConnection?.(state);
  }

  async subscribe(id) {
    const entry = this.entities.get(id);
    if (!entry) return;
    if (entry.syncing) {
      entry.again = true;
      return;
    }
    entry.syncing = true;
    entry.again = false;
    entry.buffer.length = 0;
    let snapshot = null;
    try {
      snapshot = await this.connection.invoke('Subscribe', id);
    } catch {
      // Unknown entity, or the connection dropped; a reconnect subscribes again.
    }
    entry.syncing = false;
    if (this.entities.get(id) !== entry) return;
    if (snapshot) {
      entry.state = fromSnapshot(snapshot);
      // Deltas that raced the snapshot apply on top of it, by the usual rule.
      const buffered = entry.buffer.splice(0);
      this.handlers.onEntity?.(id, entry.state, null);
      for (const update of buffered) this.apply(entry, update);
    }
    if (entry.again) this.subscribe(id);
  }

  onFrame(frame) {
    if (!Array.isArray(frame)) return;
    for (const update of frame) {
      const entry = this.entities.get(update.id);
      if (!entry) continue;
      if (entry.syncing) {
        if (entry.buffer.length < maxBuffered) entry.buffer.push(update);
        else entry.again = true;
        continue;
      }
      this.apply(entry, update);
    }
  }

  apply(entry, update) {
    const state = entry.state;
    if (!state) return;
    if (update.sequence <= state.sequence) return;
    if (update.fromSequence > state.sequence + 1) {
      this.subscribe(update.id);
      return;
    }
    state.sequence = update.sequence;
    state.status = update.status;
    state.lastReport = update.lastReport ?? state.lastReport;
    state.units = update.units ?? state.units;
    for (const m of update.metrics ?? []) state.metrics.set(m.metric, { value: toNumber(m.value), timestamp: m.timestamp, status: m.status });
    for (const r of update.rollups ?? []) {
      const value = toNumber(r.value);
      // A roll-up with no units has been withdrawn: no unit under the entity contributes any more.
      if (!r.units || Number.isNaN(value)) state.rollups.delete(r.metric);
      else state.rollups.set(r.metric, { value, units: r.units, timestamp: r.timestamp });
    }
    for (const c of update.children ?? []) state.children.set(c.id, { status: c.status, lastReport: c.lastReport });
    this.handlers.onEntity?.(update.id, state, update);
  }
}

function fromSnapshot(s) {
  const state = {
    id: s.id,
    sequence: s.sequence,
    status: s.status,
    lastReport: s.lastReport,
    units: s.units,
    metrics: new Map(),
    rollups: new Map(),
    children: new Map(),
  };
  for (const m of s.metrics ?? []) state.metrics.set(m.metric, { value: toNumber(m.value), timestamp: m.timestamp, status: m.status });
  for (const r of s.rollups ?? []) {
    const value = toNumber(r.value);
    if (r.units && !Number.isNaN(value)) state.rollups.set(r.metric, { value, units: r.units, timestamp: r.timestamp });
  }
  for (const c of s.children ?? []) state.children.set(c.id, { status: c.status, lastReport: c.lastReport });
  return state;
}

// The hub writes non-finite numbers as strings ("NaN").
const toNumber = v => (typeof v === 'number' ? v : Number(v));

/** 0.5 s, 1 s, 2 s, … capped at 30 s, with jitter so that a wall of screens does not reconnect in step. */
export function backoff(attempt) {
  const base = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

const delay = ms => new Promise(resolve => setTimeout(resolve, ms));
