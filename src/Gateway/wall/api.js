// The bearer token and the read API. A token comes from ?token= (then kept in localStorage), else from
// localStorage, else, in Development, from /dev/token; failing all that, the screen asks for one.
import { t } from './i18n.js';

const storageKey = 'ioc.token';
let token = null;

/** Kiosk mode (?kiosk=1): an unattended wall, which never asks anyone to sign in. */
export const kiosk = new URLSearchParams(location.search).get('kiosk') === '1';

export function currentToken() { return token; }

/** Finds a token, asking the person at the screen when there is none. */
export async function obtainToken() {
  const params = new URLSearchParams(location.search);
  const given = params.get('token');
  if (given) {
    localStorage.setItem(storageKey, given);
    params.delete('token');
    // Keep the token out of the address bar, bookmarks and screenshots.
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
    return (token = given);
  }
  const stored = localStorage.getItem(storageKey);
  if (stored) return (token = stored);
  const developed = await developmentToken(params.get('role') ?? 'operator');
  if (developed) return (token = developed);
  return (token = await askForToken());
}

/** After a 401: drops the token and finds another. */
export async function renewToken() {
  localStorage.removeItem(storageKey);
  token = null;
  const developed = await developmentToken(new URLSearchParams(location.search).get('role') ?? 'operator');
  return (token = developed ?? await askForToken(true));
}

async function developmentToken(role) {
  try {
    const response = await fetch(`/dev/token?role=${encodeURIComponent(role)}`);
    if (!response.ok) return null;
    const text = (await response.text()).trim();
    if (text) localStorage.setItem(storageKey, text);
    return text || null;
  } catch {
    return null;
  }
}

function askForToken(invalid = false) {
  if (kiosk) return Promise.resolve(null);
  const box = document.getElementById('sign-in');
  const form = box.querySelector('form');
  const input = box.querySelector('textarea');
  box.querySelector('h2').textContent = t('signInTitle');
  box.querySelector('p').textContent = invalid ? t('signInInvalid') : t('signInHint');
  box.querySelector('button').textContent = t('signIn');
  box.hidden = false;
  input.focus();
  return new Promise(resolve => {
    form.onsubmit = event => {
      event.preventDefault();
      const value = input.value.trim().replace(/^Bearer\s+/i, '');
      if (!value) return;
      localStorage.setItem(storageKey, value);
      box.hidden = true;
      form.onsubmit = null;
      input.value = '';
      resolve(value);
    };
  });
}

/**
 * GETs a JSON resource with the bearer token. Resolves to { status, data, problem }: data is the body
 * of a 2xx JSON answer, problem the ProblemDetails of an error answer, if any. Never throws: a missing endpoint or a network failure is a status to show.
 */
export async function getJson(path, signal) {
  for (let attempt = 0; attempt < 2; attempt++) {
    let response;
    try {
      response = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, signal });
    } catch (error) {
      if (error?.name === 'AbortError') throw error;
      return { status: 0, data: null };
    }
    if (response.status === 401 && attempt === 0) {
      await renewToken();
      continue;
    }
    if (!response.ok) {
      let problem = null;
      if ((response.headers.get('content-type') ?? '').includes('json')) problem = await response.json().catch(() => null);
      return { status: response.status, data: null, problem };
    }
    try {
      return { status: response.status, data: await response.json() };
    } catch {
      return { status: response.status, data: null };
    }
  }
  return { status: 401, data: null };
}
