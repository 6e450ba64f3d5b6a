/*
 * deflect help center: the contact form.
 *
 * Progressive enhancement of <form data-contact-form>:
 *   - as the customer describes the problem, articles that may answer it are
 *     listed beside the form (GET data-suggest-url?q=…&locale=…);
 *   - what was typed is kept in sessionStorage, so following a suggestion and
 *     coming back does not lose the draft.
 * On pages marked [data-contact-done] (request sent, question answered), the
 * saved draft is forgotten, and only there.
 *
 * Without JavaScript the form simply posts to the server.
 * Vanilla ES2017, no dependencies.
 */
(function () {
  'use strict';

  const STORAGE_KEY = 'deflect-contact';
  const FIELDS = ['subject', 'description', 'email', 'category'];
  // A suggestion link carries at most this much of what was typed.
  const LINK_QUERY_WORDS = 12;
  const LINK_QUERY_CHARS = 100;
  const DEBOUNCE_MS = 350;
  const MIN_CHARS = 12;

  // ── Saved draft ──────────────────────────────────────────────

  function storage() {
    try {
      const s = window.sessionStorage;
      const probe = STORAGE_KEY + '-probe';
      s.setItem(probe, '1');
      s.removeItem(probe);
      return s;
    } catch (e) {
      return null; // Private mode, disabled storage, sandboxed frame…
    }
  }

  function loadDraft(store) {
    if (!store) return null;
    try {
      const data = JSON.parse(store.getItem(STORAGE_KEY) || 'null');
      return data && typeof data === 'object' ? data : null;
    } catch (e) {
      return null;
    }
  }

  function clearDraft() {
    const store = storage();
    if (!store) return;
    try {
      store.removeItem(STORAGE_KEY);
    } catch (e) { /* nothing to do */ }
  }

  // ── Helpers ──────────────────────────────────────────────────

  /** Only same-site relative URLs or http(s) URLs are accepted as link targets. */
  function safeHref(raw) {
    if (typeof raw !== 'string' || raw === '') return null;
    try {
      const url = new URL(raw, window.location.href);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
      return url.origin === window.location.origin
        ? url.pathname + url.search + url.hash
        : url.href;
    } catch (e) {
      return null;
    }
  }

  function withParams(href, params) {
    const hashAt = href.indexOf('#');
    const hash = hashAt >= 0 ? href.slice(hashAt) : '';
    const bare = hashAt >= 0 ? href.slice(0, hashAt) : href;
    const query = Object.keys(params)
      .map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]); })
      .join('&');
    return bare + (bare.indexOf('?') >= 0 ? '&' : '?') + query + hash;
  }

  function text(value) {
    return typeof value === 'string' ? value : '';
  }

  // ── The form ─────────────────────────────────────────────────

  function enhance(form) {
    const fields = {};
    FIELDS.forEach(function (name) {
      const el = form.elements.namedItem(name);
      if (el && typeof el.value === 'string') fields[name] = el;
    });
    const subject = fields.subject;
    const description = fields.description;

    const list = document.getElementById('contact-suggestions');
    const aside = list ? list.closest('.contact-suggestions') || list.parentElement : null;
    const suggestUrl = list ? list.getAttribute('data-suggest-url') : '';

    // Restore the draft into fields the server left empty.
    const store = storage();
    const draft = loadDraft(store);
    if (draft) {
      Object.keys(fields).forEach(function (name) {
        const el = fields[name];
        const saved = text(draft[name]);
        if (!saved || el.value !== '') return;
        if (el.tagName === 'SELECT') {
          const exists = Array.prototype.some.call(el.options, function (o) { return o.value === saved; });
          if (exists) el.value = saved;
        } else {
          el.value = saved;
        }
      });
    }

    function save() {
      if (!store) return;
      const data = {};
      Object.keys(fields).forEach(function (name) { data[name] = fields[name].value; });
      try {
        store.setItem(STORAGE_KEY, JSON.stringify(data));
      } catch (e) { /* quota exceeded: keep going without a draft */ }
    }

    form.addEventListener('input', save);
    form.addEventListener('change', save);
    // The draft is kept through the submission: a request the server could
    // not store (its database briefly unreachable) comes back to the form
    // with everything still typed. The confirmation page forgets it.

    // Server-side errors: move focus to the summary so it is read first.
    const summary = document.getElementById('contact-error-summary');
    if (summary) {
      summary.focus();
    }

    if (!list || !aside || !suggestUrl || !subject || !description) return;

    // ── Suggestions ──

    let timer = 0;
    let seq = 0;         // id of the latest request sent
    let controller = null;
    let shownKey = '';   // slugs currently listed, to avoid re-announcing the same list

    function combined() {
      return (subject.value + ' ' + description.value).trim();
    }

    /**
     * What a suggestion's link says the customer asked, for the reports:
     * the subject, else the description's first words — never the whole
     * description, which may hold account details and would sit in the
     * browser's history and any proxy's logs.
     */
    function linkQuery() {
      const source = subject.value.trim() || description.value.trim();
      const words = source.split(/\s+/).slice(0, LINK_QUERY_WORDS).join(' ');
      return words.length > LINK_QUERY_CHARS ? words.slice(0, LINK_QUERY_CHARS).replace(/\s+\S*$/, '') : words;
    }

    let frame = 0;       // pending fill of a just-revealed list

    function cancelFrame() {
      if (frame) window.cancelAnimationFrame(frame);
      frame = 0;
    }

    function hide() {
      cancelFrame();
      shownKey = '';
      list.textContent = '';
      aside.hidden = true;
    }

    function render(suggestions) {
      const items = suggestions.filter(function (s) {
        return s && typeof s === 'object' && text(s.title) && safeHref(s.url);
      });
      if (!items.length) {
        hide();
        return;
      }

      const label = linkQuery();
      const links = items.map(function (s, i) {
        return withParams(safeHref(s.url), { from: 'contact', q: label, rank: String(i + 1) });
      });

      const key = items.map(function (s) { return text(s.slug) || text(s.url); }).join('\n');
      if (key === shownKey && list.children.length === items.length) {
        // Same articles: only refresh the links (no new announcement).
        Array.prototype.forEach.call(list.querySelectorAll('a'), function (a, i) {
          if (links[i]) a.setAttribute('href', links[i]);
        });
        return;
      }
      shownKey = key;
      cancelFrame();

      const fragment = document.createDocumentFragment();
      items.forEach(function (s, i) {
        const li = document.createElement('li');
        li.className = 'contact-suggestion';

        const a = document.createElement('a');
        a.className = 'contact-suggestion__link';
        a.href = links[i];
        a.textContent = text(s.title);
        li.appendChild(a);

        if (text(s.summary)) {
          const p = document.createElement('p');
          p.className = 'contact-suggestion__summary';
          p.textContent = s.summary;
          li.appendChild(p);
        }
        if (text(s.category_title)) {
          const span = document.createElement('span');
          span.className = 'contact-suggestion__category';
          span.textContent = s.category_title;
          li.appendChild(span);
        }
        fragment.appendChild(li);
      });

      if (aside.hidden) {
        // Reveal the (empty) live region first, then fill it, so screen
        // readers notice the change instead of a region appearing pre-filled.
        list.textContent = '';
        aside.hidden = false;
        frame = window.requestAnimationFrame(function () {
          frame = 0;
          list.textContent = '';
          list.appendChild(fragment);
        });
      } else {
        list.textContent = '';
        list.appendChild(fragment);
      }
    }

    function fetchSuggestions() {
      const query = combined();
      if (query.length < MIN_CHARS) {
        seq += 1; // responses still in flight are now stale
        if (controller) controller.abort();
        hide();
        return;
      }
      const id = ++seq;
      if (controller) controller.abort();
      controller = typeof AbortController === 'function' ? new AbortController() : null;

      const url = suggestUrl + (suggestUrl.indexOf('?') >= 0 ? '&' : '?') +
        'q=' + encodeURIComponent(query) +
        '&locale=' + encodeURIComponent(document.documentElement.lang || '');

      fetch(url, {
        headers: { Accept: 'application/json' },
        credentials: 'same-origin',
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.json();
        })
        .then(function (data) {
          if (id !== seq) return; // an older answer arriving late
          const suggestions = data && Array.isArray(data.suggestions) ? data.suggestions : [];
          const q = data && typeof data.query === 'string' && data.query ? data.query : query;
          render(suggestions);
        })
        .catch(function () {
          // Suggestions are a bonus: on failure keep whatever is shown, the form still works.
        });
    }

    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    }

    subject.addEventListener('input', schedule);
    description.addEventListener('input', schedule);

    // A restored draft or a form re-shown with errors: suggest right away.
    if (combined().length >= MIN_CHARS) fetchSuggestions();
  }

  function init() {
    if (document.querySelector('[data-contact-done]')) clearDraft();
    const forms = document.querySelectorAll('form[data-contact-form]');
    for (let i = 0; i < forms.length; i += 1) enhance(forms[i]);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
