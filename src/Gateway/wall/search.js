// The supervisors' search box: an id or a name, with or without Vietnamese diacritics, answered by
// GET /api/v1/entities/search from the hub's folded name index. One request per pause in typing, and
// a newer query cancels the one in flight.
import { h, setText } from './dom.js';
import { getJson } from './api.js';
import { t, nameOf, kindLabel, roleLabel, failureText } from './i18n.js';

const debounceMs = 200;
const shown = 10;

export class Search {
  constructor({ catalog, el }) {
    this.catalog = catalog;
    this.el = el;
    this.input = el.querySelector('input');
    this.results = el.querySelector('ol');
    this.note = el.querySelector('p');
    this.timer = 0;
    this.abort = null;
    this.items = [];
    el.hidden = false;
    this.input.addEventListener('input', () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.run(), debounceMs);
    });
    this.input.addEventListener('keydown', event => {
      if (event.key === 'Enter' && this.items.length) this.open(this.items[0]);
      if (event.key === 'Escape') this.close();
    });
    this.input.addEventListener('blur', () => setTimeout(() => this.close(false), 150));
    this.relabel();
  }

  relabel() {
    this.input.placeholder = t('search');
    this.input.setAttribute('aria-label', t('search'));
  }

  async run() {
    const q = this.input.value.trim();
    this.abort?.abort();
    if (!q) return this.close(false);
    const abort = (this.abort = new AbortController());
    let result;
    try {
      result = await getJson(`/api/v1/entities/search?q=${encodeURIComponent(q)}&limit=${shown}`, abort.signal);
    } catch {
      return; // a newer query took over
    }
    if (abort.signal.aborted) return;
    this.el.dataset.state = result.data ? 'ready' : 'error';
    if (!result.data) {
      this.items = [];
      this.results.replaceChildren();
      return this.say(failureText({ status: result.status, detail: result.problem?.detail }));
    }
    this.items = result.data.items.map(e => this.catalog.take(e));
    this.results.replaceChildren(...this.items.map(e => {
      const item = h('li', { dataset: { entity: e.id }, tabindex: '-1' },
        h('span.search-name', null, nameOf(e)),
        h('span.search-kind', null, `${e.kind === 'unit' ? roleLabel(e.role) || kindLabel('unit') : kindLabel(e.kind)} · ${e.id}`));
      item.addEventListener('mousedown', event => { event.preventDefault(); this.open(e); });
      return item;
    }));
    const more = result.data.total - this.items.length;
    if (more > 0) this.results.append(h('li.search-more', null, t('searchMore', { n: more })));
    this.say(this.items.length ? null : t('searchNone', { q }));
    this.results.hidden = !this.items.length;
  }

  say(text) {
    setText(this.note, text ?? '');
    this.note.hidden = !text;
  }

  open(entity) {
    location.hash = `#/entity/${encodeURIComponent(entity.id)}`;
    this.close();
  }

  close(clear = true) {
    this.results.hidden = true;
    this.note.hidden = true;
    if (clear) {
      this.input.value = '';
      this.input.blur();
    }
  }
}
