/*
 * deflect embeddable help widget.
 *
 *   <script src="https://help.example.com/widget.js" defer></script>
 *
 * adds a round "Help" button to any page. It opens a panel to search the help
 * center, read articles and, if nothing helps, contact support, without
 * leaving the page. Everything lives in a Shadow DOM: no style goes in or out.
 *
 * Optional attributes on the <script> tag:
 *   data-lang="fr"   language of the widget's own texts (default: the page's
 *                    <html lang>, else English).
 *
 * Vanilla ES2017, no dependencies. Talks only to the origin it was loaded from.
 * ASCII only (non-ASCII text is \u-escaped): host pages may load it with any charset.
 */
(function () {
  'use strict';

  if (window.__deflectWidget) return; // loaded twice: keep the first one
  window.__deflectWidget = true;

  // Capture the script element now: document.currentScript is only set while
  // this file runs for the first time.
  const SCRIPT = document.currentScript || (function () {
    const all = document.querySelectorAll('script[src]');
    for (let i = all.length - 1; i >= 0; i -= 1) {
      if (/\/widget\.js(?:[?#]|$)/.test(all[i].src)) return all[i];
    }
    return null;
  }());

  const BASE = (function () {
    try {
      return new URL(SCRIPT.src, window.location.href).origin;
    } catch (e) {
      return window.location.origin;
    }
  }());

  const SESSION_KEY = 'deflect-widget-session';
  const SEARCH_DEBOUNCE_MS = 250;
  // Results show while the customer types, but a search is counted (for
  // the leads' reports) only once they settle on it: they pause this long,
  // press Enter, or open a result. Prefixes ("r", "re", "ref") never count.
  const SETTLE_MS = 1500;
  // Results listed in the panel; "see all" opens the rest in the help center.
  const RESULTS = 5;
  const SUGGEST_DEBOUNCE_MS = 350;
  const SUGGEST_MIN_CHARS = 12;
  const MAX_SUGGESTIONS = 3;

  // -- Texts ----------------------------------------------------

  const STRINGS = {
    en: {
      help: 'Help',
      closeHelp: 'Close help',
      title: 'How can we help?',
      searchLabel: 'Search for answers',
      searchPlaceholder: 'Describe your question',
      searchPrompt: 'Type a few words to find articles that can help.',
      searching: 'Searching\u2026',
      resultsOne: '1 article found',
      resultsOther: '{n} articles found',
      resultsSome: '{shown} of {n} articles',
      seeAll: 'See all {n} in the help center',
      unavailable: 'Help isn\u2019t available on this page right now. You can still search the help center itself.',
      openHelpCenter: 'Open the help center',
      resultsLabel: 'Articles',
      noResults: 'No article matches your search. Try other words, or contact us.',
      networkError: 'We couldn\u2019t reach the help center. Check your connection and try again.',
      retry: 'Try again',
      noAnswer: 'Didn\u2019t find an answer?',
      contactUs: 'Contact us',
      back: 'Back',
      loading: 'Loading\u2026',
      openInHelpCenter: 'Open in the help center',
      newTab: '(opens in a new tab)',
      answered: 'This answered my question',
      glad: 'Glad we could help!',
      gladText: 'Thanks for letting us know.',
      contactTitle: 'Contact us',
      contactIntro: 'Tell us what\u2019s going on and we\u2019ll reply by email.',
      subject: 'Subject',
      description: 'Describe your problem',
      descriptionHint: 'At least 10 characters.',
      email: 'Your email address',
      required: '(required)',
      send: 'Send request',
      sending: 'Sending\u2026',
      suggestionsTitle: 'These articles may answer your question',
      ticketTitle: 'We got your request #{id}',
      ticketText: 'We\u2019ll reply to {email}.',
      tooMany: 'Too many requests. Please wait a moment and try again.',
      invalid: 'Please check the form and try again.',
      requiredField: 'Please fill in this field.',
      invalidEmail: 'Please enter a valid email address, like name@example.com.',
      close: 'Close',
      newSearch: 'Search again'
    },
    fr: {
      help: 'Aide',
      closeHelp: 'Fermer l\u2019aide',
      title: 'Comment pouvons-nous vous aider\u00a0?',
      searchLabel: 'Rechercher une r\u00e9ponse',
      searchPlaceholder: 'D\u00e9crivez votre question',
      searchPrompt: 'Saisissez quelques mots pour trouver des articles utiles.',
      searching: 'Recherche\u2026',
      resultsOne: '1 article trouv\u00e9',
      resultsOther: '{n} articles trouv\u00e9s',
      resultsSome: '{shown} articles sur {n}',
      seeAll: 'Voir les {n} dans le centre d\u2019aide',
      unavailable: 'L\u2019aide n\u2019est pas disponible sur cette page pour le moment. Vous pouvez chercher directement dans le centre d\u2019aide.',
      openHelpCenter: 'Ouvrir le centre d\u2019aide',
      resultsLabel: 'Articles',
      noResults: 'Aucun article ne correspond. Essayez d\u2019autres mots ou contactez-nous.',
      networkError: 'Impossible de joindre le centre d\u2019aide. V\u00e9rifiez votre connexion et r\u00e9essayez.',
      retry: 'R\u00e9essayer',
      noAnswer: 'Vous n\u2019avez pas trouv\u00e9 de r\u00e9ponse\u00a0?',
      contactUs: 'Nous contacter',
      back: 'Retour',
      loading: 'Chargement\u2026',
      openInHelpCenter: 'Ouvrir dans le centre d\u2019aide',
      newTab: '(s\u2019ouvre dans un nouvel onglet)',
      answered: 'J\u2019ai trouv\u00e9 ma r\u00e9ponse',
      glad: 'Ravis d\u2019avoir pu vous aider\u00a0!',
      gladText: 'Merci de nous l\u2019avoir signal\u00e9.',
      contactTitle: 'Nous contacter',
      contactIntro: 'Expliquez-nous ce qui se passe et nous vous r\u00e9pondrons par e-mail.',
      subject: 'Objet',
      description: 'D\u00e9crivez votre probl\u00e8me',
      descriptionHint: '10\u00a0caract\u00e8res minimum.',
      email: 'Votre adresse e-mail',
      required: '(obligatoire)',
      send: 'Envoyer la demande',
      sending: 'Envoi\u2026',
      suggestionsTitle: 'Ces articles r\u00e9pondent peut-\u00eatre \u00e0 votre question',
      ticketTitle: 'Nous avons bien re\u00e7u votre demande n\u00b0\u00a0{id}',
      ticketText: 'Nous vous r\u00e9pondrons \u00e0 {email}.',
      tooMany: 'Trop de demandes. Patientez un instant puis r\u00e9essayez.',
      invalid: 'V\u00e9rifiez le formulaire puis r\u00e9essayez.',
      requiredField: 'Veuillez remplir ce champ.',
      invalidEmail: 'Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.',
      close: 'Fermer',
      newSearch: 'Nouvelle recherche'
    }
  };

  const LANG = (function () {
    const wanted = ((SCRIPT && SCRIPT.getAttribute('data-lang')) ||
      document.documentElement.getAttribute('lang') || 'en').toLowerCase();
    return wanted.split('-')[0] === 'fr' ? 'fr' : 'en';
  }());
  const T = STRINGS[LANG];

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
    });
  }

  // -- Anonymous session ----------------------------------------

  function randomHex(bytes) {
    const buf = new Uint8Array(bytes);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(buf);
    } else {
      for (let i = 0; i < bytes; i += 1) buf[i] = Math.floor(Math.random() * 256);
    }
    let out = '';
    for (let i = 0; i < buf.length; i += 1) out += (buf[i] < 16 ? '0' : '') + buf[i].toString(16);
    return out;
  }

  const SESSION = (function () {
    try {
      const saved = window.localStorage.getItem(SESSION_KEY);
      if (saved && /^[0-9a-f]{16,64}$/.test(saved)) return saved;
      const fresh = randomHex(16);
      window.localStorage.setItem(SESSION_KEY, fresh);
      return fresh;
    } catch (e) {
      return randomHex(16); // storage blocked: a session for this page view only
    }
  }());

  // -- HTTP -----------------------------------------------------

  /** An error carrying the HTTP status and the parsed JSON body, if any. */
  function HttpError(status, body) {
    this.status = status;
    this.body = body;
  }

  function apiUrl(path, params) {
    const all = Object.assign({}, params, { source: 'widget', session: SESSION });
    const query = Object.keys(all)
      .filter(function (k) { return all[k] !== undefined && all[k] !== null; })
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(String(all[k])); })
      .join('&');
    return BASE + path + '?' + query;
  }

  function parse(response) {
    return response.text().then(function (raw) {
      let body = null;
      if (raw) {
        try { body = JSON.parse(raw); } catch (e) { body = null; }
      }
      if (!response.ok) throw new HttpError(response.status, body);
      return body;
    });
  }

  function getJson(path, params, signal) {
    return fetch(apiUrl(path, params), {
      method: 'GET',
      mode: 'cors',
      credentials: 'omit',
      headers: { Accept: 'application/json' },
      signal: signal
    }).then(parse);
  }

  function postJson(path, body) {
    return fetch(BASE + path, {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body)
    }).then(parse);
  }

  function isAbort(err) {
    return err && err.name === 'AbortError';
  }

  /** A server-provided error message, when the body has one. */
  function serverMessage(err) {
    const e = err && err.body && err.body.error;
    return e && typeof e.message === 'string' && e.message ? e.message : '';
  }

  let corsVerdict = null;  // a promise: whether this site's origin is refused

  /**
   * What to tell the customer when a request failed. A request that got no
   * HTTP answer, from a page on another site, while the help center still
   * answers a plain (no-cors) request, was refused by the help center's CORS
   * settings: not the customer's connection. The site owner is told in the
   * console (the server logs it and lists it on /healthz too); the customer
   * gets a link to the help center itself.
   */
  function failure(err) {
    const message = serverMessage(err);
    if (message || err instanceof HttpError) return Promise.resolve({ text: message || T.networkError });
    if (window.location.origin === BASE) return Promise.resolve({ text: T.networkError });
    if (!corsVerdict) {
      corsVerdict = fetch(BASE + '/healthz', { mode: 'no-cors', credentials: 'omit' })
        .then(function () {
          if (window.console) {
            window.console.error('deflect help widget: the help center at ' + BASE + ' does not allow this site (' +
              window.location.origin + '), so the browser hides its answers. Add "' + window.location.origin +
              '" to cors_origins in its deflect.toml (its /healthz lists the sites it refused).');
          }
          return true;
        }, function () { corsVerdict = null; return false; });
    }
    return corsVerdict.then(function (refused) {
      return refused ? { text: T.unavailable, link: BASE + '/' } : { text: T.networkError };
    });
  }

  /** The slug (and locale) of a link to an article of the help center. */
  function articleOf(href) {
    let url;
    try { url = new URL(href); } catch (e) { return null; }
    if (url.origin !== BASE) return null;
    const m = /^\/(?:([a-z]{2,3}(?:-[a-z0-9]{2,8})*)\/)?articles\/(.+?)\/?$/.exec(url.pathname);
    if (!m) return null;
    let slug = m[2];
    try { slug = decodeURIComponent(slug); } catch (e) { return null; }
    return { slug: slug, locale: m[1] || '' };
  }

  function str(value) {
    return typeof value === 'string' ? value : (typeof value === 'number' ? String(value) : '');
  }

  /** Path part of an article address: each segment encoded, slashes kept. */
  function slugPath(slug) {
    return str(slug).split('/').map(encodeURIComponent).join('/');
  }

  /** An absolute http(s) URL for a server-given address, or null. */
  function absolute(url) {
    if (!str(url)) return null;
    try {
      const u = new URL(url, BASE);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  // -- DOM helpers ----------------------------------------------

  let uid = 0;
  function nextId(prefix) {
    uid += 1;
    return 'dw-' + prefix + '-' + uid;
  }

  /** createElement with attributes and children; strings become text nodes. */
  function h(tag, attrs, children) {
    const el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        const value = attrs[key];
        if (value === undefined || value === null || value === false) return;
        if (key === 'class') el.className = value;
        else if (key === 'text') el.textContent = value;
        else if (key.slice(0, 2) === 'on' && typeof value === 'function') el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? '' : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return el;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  /** A small decorative icon from path data. */
  function icon(paths, size) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', String(size || 18));
    svg.setAttribute('height', String(size || 18));
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    paths.forEach(function (d) {
      const p = document.createElementNS(SVG_NS, 'path');
      p.setAttribute('d', d);
      p.setAttribute('fill', 'none');
      p.setAttribute('stroke', 'currentColor');
      p.setAttribute('stroke-width', '2');
      p.setAttribute('stroke-linecap', 'round');
      p.setAttribute('stroke-linejoin', 'round');
      svg.appendChild(p);
    });
    return svg;
  }

  const ICONS = {
    help: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M9.3 9.2a2.8 2.8 0 0 1 5.4 1c0 1.9-2.7 2.4-2.7 4', 'M12 17.3v.2'],
    close: ['M6 6l12 12M18 6L6 18'],
    back: ['M15 6l-6 6 6 6'],
    search: ['M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14z', 'M20 20l-3.5-3.5'],
    chat: ['M4 6.5A2.5 2.5 0 0 1 6.5 4h11A2.5 2.5 0 0 1 20 6.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 3.5V17A2.5 2.5 0 0 1 4 14.5z'],
    check: ['M5 12.5l4.5 4.5L19 7.5'],
    external: ['M14 4h6v6', 'M20 4l-9 9', 'M18 14v4.5a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 4 18.5v-11A1.5 1.5 0 0 1 5.5 6H10'],
    doc: ['M7 3.5h7l4 4v13H7z', 'M14 3.5v4h4'],
    alert: ['M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z', 'M12 7.5v5.5', 'M12 16.2v.3']
  };

  // -- Styles (scoped to the shadow root) -----------------------

  const CSS = `
:host { all: initial; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }

.root {
  --accent: #3347d6;
  --accent-hover: #2636b3;
  --accent-contrast: #ffffff;
  --accent-soft: #eef1ff;
  --accent-soft-border: #cdd5fb;
  --bg: #ffffff;
  --bg-subtle: #f5f7fb;
  --text: #171b26;
  --text-muted: #525b6e;
  --border: #dfe3ec;
  --field-border: #7d869a;
  --focus: #3347d6;
  --error: #a40e26;
  --error-bg: #fff0f0;
  --ok: #116329;
  --ok-bg: #edf8f0;
  --code-bg: #f3f5f9;
  --shadow: 0 6px 16px rgba(20, 27, 45, 0.14), 0 20px 48px rgba(20, 27, 45, 0.22);
  color-scheme: light;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
  font-size: 15px;
  line-height: 1.5;
  color: var(--text);
  text-align: left;
  -webkit-font-smoothing: antialiased;
}
@media (prefers-color-scheme: dark) {
  .root {
    --accent: #93a5ff;
    --accent-hover: #b8c4ff;
    --accent-contrast: #0e1117;
    --accent-soft: #1d2442;
    --accent-soft-border: #35407a;
    --bg: #171c26;
    --bg-subtle: #1f2533;
    --text: #e7eaf1;
    --text-muted: #a7afbf;
    --border: #333c4f;
    --field-border: #6b768c;
    --focus: #a9b8ff;
    --error: #ff8a84;
    --error-bg: #33171a;
    --ok: #6fdd8b;
    --ok-bg: #13291c;
    --code-bg: #222938;
    --shadow: 0 6px 16px rgba(0, 0, 0, 0.45), 0 20px 48px rgba(0, 0, 0, 0.55);
    color-scheme: dark;
  }
}

button, input, textarea { font: inherit; color: inherit; margin: 0; }
h2, h3, p, ul, ol { margin: 0; padding: 0; }
a { color: var(--accent); text-underline-offset: 0.18em; }
a:hover { color: var(--accent-hover); }
svg { flex: none; }

:focus { outline: none; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }

.visually-hidden {
  position: absolute !important; width: 1px !important; height: 1px !important;
  margin: -1px !important; padding: 0 !important; overflow: hidden !important;
  clip: rect(0, 0, 0, 0) !important; white-space: nowrap !important; border: 0 !important;
}

/* Launcher: accent disc with a white ring, visible on light and dark pages. */
.launcher {
  position: fixed;
  right: 20px;
  bottom: 20px;
  z-index: 2;
  display: grid;
  place-items: center;
  width: 56px;
  height: 56px;
  padding: 0;
  border: 2px solid #ffffff;
  border-radius: 50%;
  background: #3347d6;
  color: #ffffff;
  box-shadow: 0 0 0 1px rgba(20, 27, 45, 0.35), 0 4px 14px rgba(20, 27, 45, 0.35);
  cursor: pointer;
  transition: transform 0.15s ease, background-color 0.15s ease;
}
.launcher:hover { background: #2636b3; transform: scale(1.05); }
.launcher:focus-visible { outline: 3px solid #ffffff; outline-offset: 2px; box-shadow: 0 0 0 6px #171b26, 0 4px 14px rgba(20, 27, 45, 0.35); }
.launcher svg { width: 28px; height: 28px; }

.panel {
  position: fixed;
  right: 20px;
  bottom: 88px;
  z-index: 3;
  display: flex;
  flex-direction: column;
  width: 380px;
  max-width: calc(100vw - 40px);
  height: min(620px, calc(100vh - 112px));
  background: var(--bg);
  color: var(--text);
  border: 1px solid var(--border);
  border-radius: 16px;
  box-shadow: var(--shadow);
  overflow: hidden;
}
@supports (height: 100dvh) {
  .panel { height: min(620px, calc(100dvh - 112px)); }
}
@media (max-width: 479.98px) {
  .panel {
    right: 0;
    left: 0;
    bottom: 0;
    width: 100%;
    max-width: none;
    height: 88vh;
    border-radius: 16px 16px 0 0;
    border-bottom: 0;
  }
  /* The sheet covers the button: take it out of the focus order meanwhile. */
  .is-open .launcher { visibility: hidden; }
  @supports (height: 100dvh) {
    .panel { height: 88dvh; }
  }
}

.header {
  display: flex;
  align-items: center;
  gap: 8px;
  min-height: 56px;
  padding: 8px 8px 8px 18px;
  background: var(--accent);
  color: var(--accent-contrast);
}
.header__title { flex: 1; min-width: 0; font-size: 16px; font-weight: 700; line-height: 1.3; }
.icon-button {
  display: inline-grid;
  place-items: center;
  flex: none;
  width: 40px;
  height: 40px;
  padding: 0;
  border: 0;
  border-radius: 8px;
  background: transparent;
  color: inherit;
  cursor: pointer;
}
.icon-button:hover { background: rgba(255, 255, 255, 0.16); }
.header .icon-button:focus-visible { outline-color: var(--accent-contrast); outline-offset: -3px; }

.body {
  flex: 1;
  min-height: 0;
  overflow-y: auto;
  overscroll-behavior: contain;
  padding: 16px 18px 20px;
}
.view { display: grid; grid-template-columns: minmax(0, 1fr); gap: 14px; min-width: 0; }
.prose, .box, .actions, .results { min-width: 0; }
.view:focus { outline: none; }

.label { display: block; font-weight: 650; font-size: 14px; }
.hint { color: var(--text-muted); font-size: 13px; }
.muted { color: var(--text-muted); }
.field { display: grid; gap: 5px; }
.input {
  display: block;
  width: 100%;
  min-height: 44px;
  padding: 9px 12px;
  border: 1px solid var(--field-border);
  border-radius: 8px;
  background: var(--bg);
  color: var(--text);
  font-size: 16px; /* no zoom-on-focus on iOS */
  line-height: 1.4;
}
.input::placeholder { color: var(--text-muted); opacity: 1; }
.input:focus-visible, .input:focus { outline: 3px solid var(--focus); outline-offset: 1px; border-color: var(--focus); }
.input[aria-invalid="true"] { border: 2px solid var(--error); padding: 8px 11px; }
textarea.input { min-height: 110px; resize: vertical; }
.search-field { position: relative; }
.search-field svg { position: absolute; left: 12px; top: 13px; color: var(--text-muted); pointer-events: none; }
.search-field .input { padding-left: 38px; }
.field-error { display: flex; gap: 5px; color: var(--error); font-size: 13px; font-weight: 600; }
.field-error svg { margin-top: 2px; }

.button {
  display: inline-flex;
  align-items: center;
  justify-content: center;
  gap: 7px;
  min-height: 44px;
  padding: 9px 16px;
  border: 1px solid transparent;
  border-radius: 8px;
  font-size: 15px;
  font-weight: 600;
  line-height: 1.2;
  text-decoration: none;
  cursor: pointer;
}
.button--primary { background: var(--accent); color: var(--accent-contrast); }
.button--primary:hover { background: var(--accent-hover); color: var(--accent-contrast); }
.button--secondary { background: var(--bg); color: var(--text); border-color: var(--field-border); }
.button--secondary:hover { background: var(--bg-subtle); color: var(--text); }
.button--link { min-height: 40px; padding: 6px 8px; background: transparent; color: var(--accent); }
.button--link:hover { background: var(--accent-soft); color: var(--accent-hover); }
.button--block { width: 100%; }
.button[aria-disabled="true"] { opacity: 0.7; cursor: progress; }

.status { color: var(--text-muted); font-size: 13px; min-height: 1px; }

.results { display: grid; gap: 8px; list-style: none; }
.see-all { display: inline-block; margin-top: 10px; font-weight: 600; color: var(--accent); }
.result {
  display: grid;
  gap: 2px;
  width: 100%;
  padding: 10px 12px;
  border: 1px solid var(--border);
  border-radius: 10px;
  background: var(--bg);
  color: var(--text);
  text-align: left;
  cursor: pointer;
}
.result:hover { border-color: var(--accent); background: var(--bg-subtle); }
.result__title { color: var(--accent); font-weight: 650; line-height: 1.35; }
.result__summary {
  color: var(--text-muted);
  font-size: 13px;
  line-height: 1.45;
  display: -webkit-box;
  -webkit-line-clamp: 2;
  -webkit-box-orient: vertical;
  overflow: hidden;
}
.result__category { color: var(--text-muted); font-size: 12px; font-weight: 600; }

.box {
  display: grid;
  gap: 10px;
  padding: 14px;
  border: 1px solid var(--border);
  border-radius: 12px;
  background: var(--bg-subtle);
}
.box--accent { background: var(--accent-soft); border-color: var(--accent-soft-border); }
.box__title { font-size: 15px; font-weight: 700; }

.alert {
  display: flex;
  align-items: flex-start;
  gap: 8px;
  padding: 10px 12px;
  border-left: 4px solid var(--error);
  border-radius: 8px;
  background: var(--error-bg);
  color: var(--text);
  font-size: 14px;
}
.alert svg { margin-top: 2px; color: var(--error); }
.alert__body { display: grid; gap: 8px; justify-items: start; }

.success { display: grid; gap: 10px; justify-items: center; padding: 16px 4px; text-align: center; }
.success__icon {
  display: grid; place-items: center;
  width: 52px; height: 52px; border-radius: 50%;
  background: var(--ok-bg); color: var(--ok);
}
.success__icon svg { width: 28px; height: 28px; }
.success__title { font-size: 18px; font-weight: 700; line-height: 1.3; overflow-wrap: anywhere; }
.success__text { overflow-wrap: anywhere; }

.article-title { font-size: 19px; font-weight: 700; line-height: 1.3; }
.article-title:focus { outline: none; }
.actions { display: grid; gap: 8px; }

/* Article content (sanitized HTML from the help center). */
.prose { font-size: 15px; line-height: 1.65; overflow-wrap: break-word; }
.prose > :first-child { margin-top: 0; }
.prose > :last-child { margin-bottom: 0; }
.prose p, .prose ul, .prose ol, .prose pre, .prose blockquote, .prose table, .prose figure, .prose details, .prose .callout { margin: 0 0 12px; }
.prose h2, .prose h3, .prose h4 { margin: 18px 0 8px; line-height: 1.3; }
.prose h2 { font-size: 17px; }
.prose h3 { font-size: 16px; }
.prose h4 { font-size: 15px; }
.prose ul, .prose ol { padding-left: 22px; }
.prose li { margin: 4px 0; }
.prose img { max-width: 100%; height: auto; border-radius: 6px; }
.prose code { padding: 1px 5px; border-radius: 4px; background: var(--code-bg); font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.88em; }
.prose pre { padding: 10px 12px; overflow-x: auto; border: 1px solid var(--border); border-radius: 8px; background: var(--code-bg); }
.prose pre > code { padding: 0; background: none; }
.prose blockquote { padding-left: 12px; border-left: 3px solid var(--border); color: var(--text-muted); }
.prose table { display: block; max-width: 100%; overflow-x: auto; border-collapse: collapse; font-size: 14px; }
.prose th, .prose td { padding: 6px 9px; border: 1px solid var(--border); text-align: left; vertical-align: top; }
.prose .callout { padding: 10px 12px; border-left: 4px solid var(--accent); border-radius: 6px; background: var(--bg-subtle); }
.prose .callout-title { font-weight: 700; }
.prose b, .prose mark { font-weight: 700; }
.prose a { text-decoration: underline; }

@media (forced-colors: active) {
  .launcher, .panel, .result, .input, .button { border: 1px solid CanvasText; }
  .launcher:focus-visible, .button:focus-visible, .result:focus-visible { outline: 3px solid Highlight; }
}
@media (prefers-reduced-motion: reduce) {
  .launcher { transition: none; }
  .launcher:hover { transform: none; }
}
`;

  // -- The widget -----------------------------------------------

  function mount() {
    if (!document.body) return;

    const host = document.createElement('deflect-help-widget');
    // Position the host itself out of the page's flow, whatever the page's CSS says.
    ['all:initial', 'position:fixed', 'right:0', 'bottom:0', 'width:0', 'height:0',
      'z-index:2147483000', 'display:block'].forEach(function (rule) {
      const at = rule.indexOf(':');
      host.style.setProperty(rule.slice(0, at), rule.slice(at + 1), 'important');
    });
    const shadow = host.attachShadow({ mode: 'open' });

    // Constructable stylesheets are not blocked by a page's style-src CSP; fall back to <style>.
    let styled = false;
    try {
      if ('adoptedStyleSheets' in shadow && typeof CSSStyleSheet === 'function') {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
        styled = true;
      }
    } catch (e) { styled = false; }
    if (!styled) shadow.appendChild(h('style', { text: CSS }));

    const root = h('div', { class: 'root', lang: LANG });
    shadow.appendChild(root);

    // -- Launcher and panel frame --

    const panelId = nextId('panel');
    const titleId = nextId('title');

    const launcherIcon = h('span', { 'aria-hidden': 'true' }, [icon(ICONS.help, 28)]);
    const launcher = h('button', {
      class: 'launcher',
      type: 'button',
      'aria-expanded': 'false',
      'aria-controls': panelId,
      'aria-haspopup': 'dialog'
    }, [launcherIcon, h('span', { class: 'visually-hidden', text: T.help })]);

    const headerTitle = h('h2', { class: 'header__title', id: titleId, text: T.title });
    const backButton = h('button', { class: 'icon-button', type: 'button', hidden: true },
      [icon(ICONS.back, 22), h('span', { class: 'visually-hidden', text: T.back })]);
    const closeButton = h('button', { class: 'icon-button', type: 'button' },
      [icon(ICONS.close, 22), h('span', { class: 'visually-hidden', text: T.closeHelp })]);
    const body = h('div', { class: 'body' });
    const panel = h('div', {
      class: 'panel',
      id: panelId,
      role: 'dialog',
      'aria-modal': 'false',
      'aria-labelledby': titleId,
      hidden: true
    }, [h('div', { class: 'header' }, [backButton, headerTitle, closeButton]), body]);

    // The button first, then the panel it controls: Tab goes from one to the other.
    root.appendChild(launcher);
    root.appendChild(panel);

    // -- Views --

    const views = {};
    let current = 'search';
    let backTarget = null;      // view to return to from the article view
    let backFocus = null;       // element to focus when coming back

    function show(name, focusEl) {
      Object.keys(views).forEach(function (k) { views[k].hidden = k !== name; });
      current = name;
      backButton.hidden = name === 'search';
      headerTitle.textContent = name === 'contact' || name === 'ticket' ? T.contactTitle : T.title;
      body.scrollTop = 0;
      if (focusEl) focusEl.focus();
    }

    function goBack() {
      if (current === 'article' && backTarget) {
        const target = backTarget;
        const focusEl = backFocus && backFocus.isConnected ? backFocus : null;
        show(target, focusEl || firstField(target));
      } else {
        show('search', searchInput);
      }
    }

    function firstField(name) {
      return name === 'contact' ? subjectInput : searchInput;
    }

    function isOpen() { return !panel.hidden; }

    function open() {
      if (isOpen()) return;
      panel.hidden = false;
      root.classList.add('is-open');
      launcher.setAttribute('aria-expanded', 'true');
      launcherIcon.textContent = '';
      launcherIcon.appendChild(icon(ICONS.close, 28));
      const focusEl = current === 'search' ? searchInput
        : current === 'contact' ? subjectInput
          : current === 'article' ? articleTitle
            : ticketTitle;
      if (focusEl) focusEl.focus();
    }

    function close() {
      if (!isOpen()) return;
      panel.hidden = true;
      root.classList.remove('is-open');
      launcher.setAttribute('aria-expanded', 'false');
      launcherIcon.textContent = '';
      launcherIcon.appendChild(icon(ICONS.help, 28));
      launcher.focus();
    }

    launcher.addEventListener('click', function () {
      if (isOpen()) close(); else open();
    });
    closeButton.addEventListener('click', close);
    backButton.addEventListener('click', goBack);

    root.addEventListener('keydown', function (event) {
      if ((event.key === 'Escape' || event.key === 'Esc') && isOpen()) {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });

    // -- Alerts with retry --

    /** An alert; `problem` is a message, or {text, link} from failure(). */
    function alertBox(problem, onRetry) {
      const text = typeof problem === 'string' ? problem : problem.text;
      const link = typeof problem === 'string' ? null : problem.link;
      return h('div', { class: 'alert', role: 'alert' }, [
        icon(ICONS.alert, 18),
        h('div', { class: 'alert__body' }, [
          h('p', { text: text }),
          link ? h('a', { class: 'button button--secondary', href: link, target: '_blank', rel: 'noopener', text: T.openHelpCenter })
            : onRetry ? h('button', { class: 'button button--secondary', type: 'button', text: T.retry, onclick: onRetry }) : null
        ])
      ]);
    }

    // -- Search view --

    const searchId = nextId('q');
    const resultsTitleId = nextId('results');
    const searchInput = h('input', {
      class: 'input',
      id: searchId,
      type: 'search',
      autocomplete: 'off',
      spellcheck: 'false',
      enterkeyhint: 'search',
      placeholder: T.searchPlaceholder
    });
    const searchStatus = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true', text: T.searchPrompt });
    const searchError = h('div', { hidden: true });
    const resultsHeading = h('h3', { class: 'visually-hidden', id: resultsTitleId, text: T.resultsLabel });
    const resultsList = h('ul', { class: 'results', 'aria-labelledby': resultsTitleId });
    const seeAll = h('a', { class: 'see-all', target: '_blank', rel: 'noopener', hidden: true });
    const contactFromSearch = h('button', { class: 'button button--primary', type: 'button' },
      [icon(ICONS.chat, 18), T.contactUs]);

    views.search = h('div', { class: 'view' }, [
      h('form', { class: 'field', role: 'search', onsubmit: function (e) { e.preventDefault(); runSearch(true); } }, [
        h('label', { class: 'label', for: searchId, text: T.searchLabel }),
        h('div', { class: 'search-field' }, [icon(ICONS.search, 18), searchInput])
      ]),
      searchStatus,
      searchError,
      resultsHeading,
      resultsList,
      seeAll,
      h('div', { class: 'box box--accent' }, [
        h('p', { class: 'box__title', text: T.noAnswer }),
        contactFromSearch
      ])
    ]);

    let searchTimer = 0;
    let settleTimer = 0;
    let recordedQuery = null;
    let searchSeq = 0;
    let searchController = null;
    let lastSearched = null;

    /**
     * Counts `q` as the customer's search, once (the server records it).
     * Resolves when it is recorded, so a click on one of its results is
     * recorded after it, as the reports expect; never rejects.
     */
    function settle(q) {
      window.clearTimeout(settleTimer);
      if (!q || q === recordedQuery) return Promise.resolve();
      recordedQuery = q;
      return getJson('/api/v1/search', { q: q, limit: RESULTS }).catch(function () {});
    }

    function runSearch(force) {
      window.clearTimeout(searchTimer);
      window.clearTimeout(settleTimer);
      const q = searchInput.value.trim();
      if (!force && q === lastSearched) return;
      lastSearched = q;
      const id = ++searchSeq;
      if (searchController) searchController.abort();
      searchController = null;
      searchError.hidden = true;
      searchError.textContent = '';

      if (!q) {
        resultsList.textContent = '';
        searchStatus.textContent = T.searchPrompt;
        return;
      }
      searchController = typeof AbortController === 'function' ? new AbortController() : null;
      searchStatus.textContent = T.searching;
      // Enter is settling: that search counts at once.
      const counted = force && q !== recordedQuery;
      if (counted) recordedQuery = q;
      getJson('/api/v1/search', { q: q, limit: RESULTS, record: counted ? 1 : 0 }, searchController ? searchController.signal : undefined)
        .then(function (data) {
          if (id !== searchSeq) return;
          if (!counted) settleTimer = window.setTimeout(function () { settle(q); }, SETTLE_MS);
          const hits = data && Array.isArray(data.hits) ? data.hits : [];
          const shown = hits.slice(0, RESULTS);
          const total = Math.max(typeof data.total === 'number' ? data.total : 0, shown.length);
          renderResults(resultsList, shown, 'widget_search', q, 'search');
          searchStatus.textContent = total === 0 ? T.noResults
            : total === 1 ? T.resultsOne
            : total > shown.length ? fill(T.resultsSome, { shown: shown.length, n: total })
            : fill(T.resultsOther, { n: total });
          seeAll.hidden = total <= shown.length;
          if (!seeAll.hidden) {
            // The search page in the results' language: their URLs carry its prefix.
            const prefix = /^(\/[^/]+)?\/articles\//.exec(str(shown[0] && shown[0].url));
            seeAll.setAttribute('href', BASE + (prefix && prefix[1] ? prefix[1] : '') + '/search?q=' + encodeURIComponent(q));
            seeAll.textContent = fill(T.seeAll, { n: total });
          }
        })
        .catch(function (err) {
          if (isAbort(err) || id !== searchSeq) return;
          lastSearched = null;
          searchStatus.textContent = '';
          failure(err).then(function (problem) {
            if (id !== searchSeq) return;
            searchError.textContent = '';
            searchError.appendChild(alertBox(problem, function () { runSearch(true); }));
            searchError.hidden = false;
          });
        });
    }

    searchInput.addEventListener('input', function () {
      window.clearTimeout(searchTimer);
      searchTimer = window.setTimeout(function () { runSearch(false); }, SEARCH_DEBOUNCE_MS);
    });
    // Down arrow from the search box goes to the first result.
    searchInput.addEventListener('keydown', function (event) {
      if (event.key === 'ArrowDown' || event.key === 'Down') {
        const first = resultsList.querySelector('button');
        if (first) { event.preventDefault(); first.focus(); }
      }
    });

    /** Lists articles as buttons; each opens the article view. */
    function renderResults(list, items, from, q, fromView) {
      list.textContent = '';
      items.forEach(function (item, i) {
        if (!item || !str(item.slug) || !str(item.title)) return;
        const rank = i + 1;
        const button = h('button', { class: 'result', type: 'button' }, [
          h('span', { class: 'result__title', text: str(item.title) }),
          str(item.summary) ? h('span', { class: 'result__summary', text: str(item.summary) }) : null,
          str(item.category_title) ? h('span', { class: 'result__category', text: str(item.category_title) }) : null
        ]);
        button.addEventListener('click', function () {
          const counted = from === 'widget_search' ? settle(q) : Promise.resolve();
          counted.then(function () {
            openArticle(item.slug, { from: from, q: q, rank: rank }, fromView, button);
          });
        });
        list.appendChild(h('li', null, [button]));
      });
    }

    // Up/down arrows move between results of a list.
    function arrowNavigation(list, before) {
      list.addEventListener('keydown', function (event) {
        const buttons = Array.prototype.slice.call(list.querySelectorAll('button.result'));
        const at = buttons.indexOf(shadow.activeElement);
        if (at < 0) return;
        if (event.key === 'ArrowDown' || event.key === 'Down') {
          event.preventDefault();
          buttons[(at + 1) % buttons.length].focus();
        } else if (event.key === 'ArrowUp' || event.key === 'Up') {
          event.preventDefault();
          if (at === 0 && before) before.focus();
          else buttons[(at - 1 + buttons.length) % buttons.length].focus();
        }
      });
    }
    arrowNavigation(resultsList, searchInput);

    // -- Article view --

    const articleTitle = h('h3', { class: 'article-title', id: nextId('article'), tabindex: '-1' });
    const articleStatus = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    const articleError = h('div', { hidden: true });
    const articleBody = h('div', { class: 'prose' });
    const articleOpen = h('a', { class: 'button button--secondary', target: '_blank', rel: 'noopener' }, [
      icon(ICONS.external, 18),
      T.openInHelpCenter,
      h('span', { class: 'visually-hidden', text: ' ' + T.newTab })
    ]);
    const answeredButton = h('button', { class: 'button button--primary', type: 'button' }, [icon(ICONS.check, 18), T.answered]);
    const answeredError = h('div', { hidden: true });
    const gladBox = h('div', { class: 'success', role: 'status', hidden: true }, [
      h('span', { class: 'success__icon' }, [icon(ICONS.check, 28)]),
      h('p', { class: 'success__title', text: T.glad }),
      h('p', { class: 'success__text muted', text: T.gladText }),
      h('button', { class: 'button button--secondary', type: 'button', text: T.close, onclick: function () { close(); } })
    ]);
    const articleActions = h('div', { class: 'actions' }, [answeredButton, answeredError, articleOpen]);
    const articleFooter = h('div', { class: 'box' }, [articleActions, gladBox]);

    views.article = h('div', { class: 'view' }, [
      articleTitle, articleStatus, articleError, articleBody, articleFooter
    ]);

    let articleSeq = 0;
    let answering = false;     // a "this answered my question" request is in flight
    let articleSlug = '';
    let articleController = null;

    function openArticle(slug, params, fromView, opener) {
      backTarget = fromView;
      backFocus = opener || null;
      const id = ++articleSeq;
      articleSlug = str(slug);
      if (articleController) articleController.abort();
      articleController = typeof AbortController === 'function' ? new AbortController() : null;

      articleTitle.textContent = T.loading;
      articleStatus.textContent = '';
      articleBody.textContent = '';
      articleError.hidden = true;
      articleError.textContent = '';
      articleFooter.hidden = true;
      answering = false;
      answeredButton.removeAttribute('aria-disabled');
      answeredError.hidden = true;
      articleActions.hidden = false;
      gladBox.hidden = true;
      show('article', articleTitle);

      getJson('/api/v1/articles/' + slugPath(slug), params, articleController ? articleController.signal : undefined)
        .then(function (data) {
          if (id !== articleSeq) return;
          articleTitle.textContent = str(data && data.title);
          // Server-sanitized HTML, rendered inside the shadow root only.
          articleBody.innerHTML = data && typeof data.html === 'string' ? data.html : '';
          fixLinks(articleBody);
          const href = absolute(data && data.url);
          if (href) {
            articleOpen.setAttribute('href', href);
            articleOpen.hidden = false;
          } else {
            articleOpen.removeAttribute('href');
            articleOpen.hidden = true;
          }
          articleFooter.hidden = false;
          articleTitle.focus();
        })
        .catch(function (err) {
          if (isAbort(err) || id !== articleSeq) return;
          articleTitle.textContent = '';
          failure(err).then(function (problem) {
            if (id !== articleSeq) return;
            articleError.appendChild(alertBox(problem, function () {
              openArticle(slug, params, fromView, opener);
            }));
            articleError.hidden = false;
          });
        });
    }

    /**
     * Links of article HTML. `#anchors` (footnotes, sections) scroll the
     * panel and never the host page; links to other articles of the help
     * center open them in the panel; anything else opens in a new tab.
     */
    function fixLinks(container) {
      Array.prototype.forEach.call(container.querySelectorAll('a[href]'), function (a) {
        const raw = a.getAttribute('href') || '';
        if (raw.charAt(0) === '#') {
          a.addEventListener('click', function (event) {
            event.preventDefault();
            let id = raw.slice(1);
            try { id = decodeURIComponent(id); } catch (e) { /* keep it as written */ }
            const target = Array.prototype.find.call(container.querySelectorAll('[id]'), function (el) {
              return el.id === id;
            });
            if (target) target.scrollIntoView({ block: 'start' });
          });
          return;
        }
        const href = absolute(raw);
        if (!href) { a.removeAttribute('href'); return; }
        a.setAttribute('href', href);
        const article = articleOf(href);
        if (article) {
          a.addEventListener('click', function (event) {
            // A modified click still opens a tab, as the visitor asked.
            if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
            event.preventDefault();
            openArticle(article.slug, article.locale ? { locale: article.locale } : {}, backTarget, backFocus);
          });
          return;
        }
        a.setAttribute('target', '_blank');
        a.setAttribute('rel', 'noopener');
      });
      Array.prototype.forEach.call(container.querySelectorAll('img[src]'), function (img) {
        const src = absolute(img.getAttribute('src'));
        if (src) img.setAttribute('src', src); else img.removeAttribute('src');
        img.setAttribute('loading', 'lazy');
      });
      // Ids from the article must not clash with the widget's own.
      Array.prototype.forEach.call(container.querySelectorAll('[id]'), function (el) {
        if (el.id.indexOf('dw-') === 0) el.removeAttribute('id');
      });
    }

    function cssEscape(value) {
      return window.CSS && window.CSS.escape ? window.CSS.escape(value) : value.replace(/[^\w-]/g, '\\$&');
    }

    answeredButton.addEventListener('click', function () {
      if (!articleSlug || answering) return;
      answering = true;
      answeredButton.setAttribute('aria-disabled', 'true');
      answeredError.hidden = true;
      answeredError.textContent = '';
      postJson('/api/v1/events', { kind: 'deflected', slug: articleSlug, session: SESSION, source: 'widget' })
        .then(function () {
          answering = false;
          answeredButton.removeAttribute('aria-disabled');
          articleActions.hidden = true;
          gladBox.hidden = false;
          const closeBtn = gladBox.querySelector('button');
          if (closeBtn) closeBtn.focus();
        })
        .catch(function (err) {
          answering = false;
          answeredButton.removeAttribute('aria-disabled');
          failure(err).then(function (problem) {
            answeredError.appendChild(alertBox(problem, null));
            answeredError.hidden = false;
          });
        });
    });

    // -- Contact view --

    function field(name, label, control, hint) {
      const errorEl = h('p', { class: 'field-error', id: nextId('err-' + name), hidden: true });
      const hintEl = hint ? h('p', { class: 'hint', id: nextId('hint-' + name), text: hint }) : null;
      control.id = nextId(name);
      control.name = name;
      control.required = true;
      if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
      const wrapper = h('div', { class: 'field' }, [
        h('label', { class: 'label', for: control.id }, [label, ' ', h('span', { class: 'muted', text: T.required })]),
        hintEl,
        control,
        errorEl
      ]);
      return { wrapper: wrapper, control: control, error: errorEl, hint: hintEl };
    }

    const subjectField = field('subject', T.subject, h('input', { class: 'input', type: 'text', autocomplete: 'off', enterkeyhint: 'next' }));
    const descriptionField = field('description', T.description, h('textarea', { class: 'input', rows: '5', minlength: '10' }), T.descriptionHint);
    const emailField = field('email', T.email, h('input', {
      class: 'input', type: 'email', autocomplete: 'email', autocapitalize: 'off', spellcheck: 'false', inputmode: 'email'
    }));
    const fieldsByName = { subject: subjectField, description: descriptionField, email: emailField };
    const subjectInput = subjectField.control;

    const contactError = h('div', { hidden: true });
    const sendButton = h('button', { class: 'button button--primary button--block', type: 'submit' }, [T.send]);
    const suggestTitleId = nextId('suggest');
    const suggestList = h('ul', { class: 'results', 'aria-labelledby': suggestTitleId });
    const suggestBox = h('div', { class: 'box box--accent', hidden: true }, [
      h('h3', { class: 'box__title', id: suggestTitleId, text: T.suggestionsTitle }),
      suggestList
    ]);
    const suggestLive = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    arrowNavigation(suggestList, null);

    const contactForm = h('form', { class: 'view', novalidate: true }, [
      contactError,
      subjectField.wrapper,
      descriptionField.wrapper,
      suggestBox,
      suggestLive,
      emailField.wrapper,
      sendButton
    ]);

    views.contact = h('div', { class: 'view' }, [
      h('p', { class: 'muted', text: T.contactIntro }),
      contactForm
    ]);

    // Ticket confirmation.
    const ticketTitle = h('p', { class: 'success__title', tabindex: '-1' });
    const ticketText = h('p', { class: 'success__text muted' });
    views.ticket = h('div', { class: 'view' }, [
      h('div', { class: 'success', role: 'status' }, [
        h('span', { class: 'success__icon' }, [icon(ICONS.check, 28)]),
        ticketTitle,
        ticketText,
        h('button', { class: 'button button--secondary', type: 'button', text: T.close, onclick: function () { close(); } })
      ])
    ]);

    Object.keys(views).forEach(function (k) {
      views[k].hidden = k !== 'search';
      body.appendChild(views[k]);
    });

    function sendEvent(kind) {
      postJson('/api/v1/events', { kind: kind, session: SESSION, source: 'widget' }).catch(function () {
        /* analytics only: never bother the customer */
      });
    }

    contactFromSearch.addEventListener('click', function () {
      // Carry what was searched into the subject, as a head start.
      if (!subjectInput.value && searchInput.value.trim()) subjectInput.value = searchInput.value.trim();
      show('contact', subjectInput);
      sendEvent('contact_open');
      scheduleSuggest();
    });

    // Suggestions while typing the request.
    let suggestTimer = 0;
    let suggestSeq = 0;
    let suggestController = null;
    let suggestedKey = '';

    function suggestText() {
      return (subjectInput.value + ' ' + descriptionField.control.value).trim();
    }

    function hideSuggestions() {
      suggestList.textContent = '';
      suggestBox.hidden = true;
      suggestedKey = '';
    }

    function runSuggest() {
      const text = suggestText();
      const id = ++suggestSeq;
      if (suggestController) suggestController.abort();
      suggestController = null;
      if (text.length < SUGGEST_MIN_CHARS) {
        hideSuggestions();
        return;
      }
      suggestController = typeof AbortController === 'function' ? new AbortController() : null;
      getJson('/api/v1/contact/suggest', { q: text }, suggestController ? suggestController.signal : undefined)
        .then(function (data) {
          if (id !== suggestSeq) return;
          const items = (data && Array.isArray(data.suggestions) ? data.suggestions : [])
            .filter(function (s) { return s && str(s.slug) && str(s.title); })
            .slice(0, MAX_SUGGESTIONS);
          const q = data && str(data.query) ? data.query : text;
          if (!items.length) { hideSuggestions(); return; }
          const key = items.map(function (s) { return s.slug; }).join('\n');
          renderResults(suggestList, items, 'widget_contact', q, 'contact');
          suggestBox.hidden = false;
          if (key !== suggestedKey) {
            suggestedKey = key;
            suggestLive.textContent = T.suggestionsTitle + ': ' + items.map(function (s) { return str(s.title); }).join(', ');
          }
        })
        .catch(function () {
          // Suggestions are a bonus: keep what is shown.
        });
    }

    function scheduleSuggest() {
      window.clearTimeout(suggestTimer);
      suggestTimer = window.setTimeout(runSuggest, SUGGEST_DEBOUNCE_MS);
    }
    subjectInput.addEventListener('input', scheduleSuggest);
    descriptionField.control.addEventListener('input', scheduleSuggest);

    // Errors.
    function clearErrors() {
      contactError.hidden = true;
      contactError.textContent = '';
      Object.keys(fieldsByName).forEach(function (name) {
        const f = fieldsByName[name];
        f.error.hidden = true;
        f.error.textContent = '';
        f.control.removeAttribute('aria-invalid');
        f.control.setAttribute('aria-describedby', f.hint ? f.hint.id : '');
        if (!f.hint) f.control.removeAttribute('aria-describedby');
      });
    }

    function fieldError(name, message) {
      const f = fieldsByName[name];
      if (!f) return false;
      f.error.textContent = '';
      f.error.appendChild(icon(ICONS.alert, 16));
      f.error.appendChild(h('span', { text: message }));
      f.error.hidden = false;
      f.control.setAttribute('aria-invalid', 'true');
      f.control.setAttribute('aria-describedby', (f.hint ? f.hint.id + ' ' : '') + f.error.id);
      return true;
    }

    function formError(message, retry) {
      contactError.textContent = '';
      const box = alertBox(message, retry);
      box.setAttribute('tabindex', '-1');
      contactError.appendChild(box);
      contactError.hidden = false;
      body.scrollTop = 0;
      box.focus();
    }

    // Client-side checks mirror the browser's, with messages next to the fields.
    function validate() {
      let firstInvalid = null;
      Object.keys(fieldsByName).forEach(function (name) {
        const control = fieldsByName[name].control;
        const v = control.validity;
        const message = v.valueMissing || !control.value.trim() ? T.requiredField
          : v.typeMismatch ? T.invalidEmail
            : !v.valid ? T.invalid : '';
        if (message) {
          fieldError(name, message);
          if (!firstInvalid) firstInvalid = control;
        }
      });
      const description = descriptionField.control;
      if (!description.getAttribute('aria-invalid') && description.value.trim().length < 10) {
        fieldError('description', T.descriptionHint);
        if (!firstInvalid) firstInvalid = description;
      }
      if (firstInvalid) firstInvalid.focus();
      return !firstInvalid;
    }

    let sending = false;
    function submitTicket() {
      if (sending) return;
      clearErrors();
      if (!validate()) return;
      sending = true;
      // aria-disabled rather than disabled: the button keeps keyboard focus.
      sendButton.setAttribute('aria-disabled', 'true');
      sendButton.textContent = T.sending;
      const email = emailField.control.value.trim();
      postJson('/api/v1/tickets', {
        subject: subjectInput.value.trim(),
        description: descriptionField.control.value.trim(),
        email: email,
        session: SESSION,
        source: 'widget',
        website: ''
      })
        .then(function (data) {
          const id = str(data && data.id);
          ticketTitle.textContent = fill(T.ticketTitle, { id: id });
          ticketText.textContent = fill(T.ticketText, { email: email });
          contactForm.reset();
          hideSuggestions();
          show('ticket', ticketTitle);
        })
        .catch(function (err) {
          const e = err && err.body && err.body.error;
          const message = serverMessage(err);
          if (err instanceof HttpError && err.status === 400) {
            const name = e && str(e.field);
            if (name && fieldError(name, message || T.invalid)) {
              fieldsByName[name].control.focus();
            } else {
              formError(message || T.invalid, null);
            }
          } else if (err instanceof HttpError && err.status === 429) {
            formError(message || T.tooMany, null);
          } else {
            formError(message || T.networkError, submitTicket);
          }
        })
        .then(function () {
          sending = false;
          sendButton.removeAttribute('aria-disabled');
          sendButton.textContent = T.send;
        });
    }

    contactForm.addEventListener('submit', function (event) {
      event.preventDefault();
      submitTicket();
    });

    // Keep the page's own keyboard shortcuts from firing while typing in the widget.
    root.addEventListener('keydown', function (event) {
      if (event.key !== 'Escape' && event.key !== 'Esc') event.stopPropagation();
    });
    root.addEventListener('keypress', function (event) { event.stopPropagation(); });
    root.addEventListener('keyup', function (event) { event.stopPropagation(); });

    document.body.appendChild(host);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', mount);
  } else {
    mount();
  }
}());
