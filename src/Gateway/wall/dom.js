// Small DOM helpers: build once, then update text and attributes in place.

/** Creates an element: h('div.tile.ok', { title: 'x' }, child, 'text'). */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key === 'style') el.style.cssText = value;
      else el.setAttribute(key, value === true ? '' : value);
    }
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

/** Sets text only when it changed, so that idle screens do no layout work. */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function setAttr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

export const statuses = ['ok', 'belowTarget', 'warning', 'critical', 'offline'];

/** Sets one `status-*` class on an element, removing the others. */
export function setStatus(el, status) {
  const wanted = `status-${status}`;
  if (el.classList.contains(wanted)) return;
  for (const s of statuses) el.classList.remove(`status-${s}`);
  el.classList.add(wanted);
}
