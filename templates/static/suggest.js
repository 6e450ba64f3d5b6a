/*
 * deflect help center: search-as-you-type suggestions.
 *
 * Progressive enhancement of every <input data-suggest> into an ARIA 1.2
 * combobox whose popup is the <ul role="listbox"> of the same form. Without
 * JavaScript the form simply submits to the full search page.
 *
 * Vanilla ES2017, no dependencies.
 */
(function () {
  'use strict';

  const DEBOUNCE_MS = 120;
  const MIN_CHARS = 2;
  const ENDPOINT = '/api/v1/suggest';
  const CACHE_LIMIT = 50;

  let uid = 0;

  /** Shared polite live region; the template provides it (with translated strings). */
  function liveRegion() {
    let el = document.getElementById('suggest-status');
    if (!el) {
      el = document.createElement('div');
      el.id = 'suggest-status';
      el.className = 'visually-hidden';
      el.setAttribute('role', 'status');
      el.setAttribute('aria-live', 'polite');
      el.setAttribute('aria-atomic', 'true');
      document.body.appendChild(el);
    }
    return el;
  }

  let announceTimer = 0;
  function announce(message) {
    const el = liveRegion();
    window.clearTimeout(announceTimer);
    // Clear first so an identical message ("3 suggestions") is announced again.
    el.textContent = '';
    if (!message) return;
    announceTimer = window.setTimeout(function () {
      el.textContent = message;
    }, 60);
  }

  function countMessage(count) {
    const el = liveRegion();
    const template = count === 1
      ? (el.getAttribute('data-one') || '{count} suggestion')
      : (el.getAttribute('data-other') || '{count} suggestions');
    return template.split('{count}').join(String(count));
  }

  function noneMessage() {
    return liveRegion().getAttribute('data-none') || '';
  }

  /** Only same-site relative URLs or http(s) URLs are accepted as link targets. */
  function safeHref(raw) {
    if (typeof raw !== 'string' || raw === '') return null;
    try {
      const url = new URL(raw, window.location.href);
      if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
    } catch (err) {
      // fall through
    }
    return null;
  }

  function charCount(text) {
    return Array.from(text).length;
  }

  function enhance(input) {
    if (input.getAttribute('data-suggest-ready') === 'true') return;
    input.setAttribute('data-suggest-ready', 'true');

    const form = input.form || input.closest('form');
    let list = form ? form.querySelector('[role="listbox"]') : null;
    if (!list) {
      list = document.createElement('ul');
      list.setAttribute('role', 'listbox');
      list.className = 'suggest';
      list.hidden = true;
      input.parentNode.insertBefore(list, input.nextSibling);
    }
    if (!list.id) list.id = 'suggest-listbox-' + (++uid);
    if (!list.hasAttribute('aria-label') && !list.hasAttribute('aria-labelledby') && input.id) {
      list.setAttribute('aria-labelledby', input.id);
    }
    // The wrapper decides what counts as "inside" for outside clicks.
    const container = form || input.parentNode;
    // Said under the field when nothing matches as the customer types, so
    // the list does not just vanish ("No quick matches. Press Enter…").
    const empty = document.createElement('p');
    empty.className = 'suggest suggest--empty';
    empty.hidden = true;
    list.parentNode.insertBefore(empty, list.nextSibling);

    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    input.removeAttribute('aria-activedescendant');

    const cache = new Map();
    let timer = 0;
    let requestSeq = 0; // incremented per request; stale responses are dropped
    let controller = null;
    let items = []; // { li, href }
    let active = -1;
    let renderedQuery = '';

    function isOpen() {
      return !list.hidden;
    }

    function open() {
      if (!items.length) return;
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      container.classList.add('is-suggesting');
    }

    function close() {
      setActive(-1);
      list.hidden = true;
      empty.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      container.classList.remove('is-suggesting');
    }

    function setActive(index) {
      if (active >= 0 && items[active]) {
        items[active].li.setAttribute('aria-selected', 'false');
      }
      active = index;
      if (index >= 0 && items[index]) {
        const li = items[index].li;
        li.setAttribute('aria-selected', 'true');
        input.setAttribute('aria-activedescendant', li.id);
        if (typeof li.scrollIntoView === 'function') {
          li.scrollIntoView({ block: 'nearest' });
        }
      } else {
        active = -1;
        input.removeAttribute('aria-activedescendant');
      }
    }

    function clear() {
      setActive(-1);
      list.textContent = '';
      items = [];
      renderedQuery = '';
    }

    function render(query, suggestions) {
      clear();
      renderedQuery = query;
      suggestions.forEach(function (s) {
        if (!s || typeof s !== 'object') return;
        const href = safeHref(s.url);
        if (!href) return;

        const li = document.createElement('li');
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        li.id = list.id + '-option-' + items.length;

        const a = document.createElement('a');
        a.setAttribute('href', href);
        a.tabIndex = -1; // focus stays in the input (aria-activedescendant)

        // title_html is escaped by the server except for <mark>; everything else is text.
        if (typeof s.title_html === 'string' && s.title_html !== '') {
          a.innerHTML = s.title_html;
        } else {
          a.textContent = typeof s.title === 'string' ? s.title : href;
        }
        const categoryName = s.category_title || s.category;
        if (typeof categoryName === 'string' && categoryName !== '') {
          const category = document.createElement('span');
          category.className = 'suggest-category';
          category.textContent = categoryName;
          a.appendChild(document.createTextNode(' '));
          a.appendChild(category);
        }

        li.appendChild(a);
        list.appendChild(li);
        items.push({ li: li, href: href });
      });

      if (items.length && document.activeElement === input) {
        open();
        announce(countMessage(items.length));
      } else {
        close();
        if (document.activeElement === input && query) {
          announce(noneMessage());
          empty.textContent = noneMessage();
          empty.hidden = false;
        }
      }
    }

    function cancelPending() {
      window.clearTimeout(timer);
      requestSeq += 1;
      if (controller) {
        controller.abort();
        controller = null;
      }
    }

    function request(query) {
      const seq = ++requestSeq;
      if (cache.has(query)) {
        render(query, cache.get(query));
        return;
      }
      if (controller) controller.abort();
      controller = typeof AbortController === 'function' ? new AbortController() : null;

      const url = ENDPOINT + '?q=' + encodeURIComponent(query) +
        '&locale=' + encodeURIComponent(document.documentElement.lang || '');
      const options = { headers: { Accept: 'application/json' }, credentials: 'same-origin' };
      if (controller) options.signal = controller.signal;

      fetch(url, options)
        .then(function (response) {
          if (!response.ok) throw new Error('HTTP ' + response.status);
          return response.json();
        })
        .then(function (data) {
          if (seq !== requestSeq) return; // an older response arriving late
          const suggestions = data && Array.isArray(data.suggestions) ? data.suggestions : [];
          if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value);
          cache.set(query, suggestions);
          render(query, suggestions);
        })
        .catch(function () {
          if (seq !== requestSeq) return; // aborted or superseded
          clear();
          close();
        });
    }

    input.addEventListener('input', function () {
      const query = input.value.trim();
      cancelPending();
      setActive(-1); // Enter now means "search for what I typed"
      if (charCount(query) < MIN_CHARS) {
        clear();
        close();
        announce('');
        return;
      }
      timer = window.setTimeout(function () {
        request(query);
      }, DEBOUNCE_MS);
    });

    input.addEventListener('keydown', function (event) {
      if (event.isComposing || event.keyCode === 229) return; // IME composition
      if (event.ctrlKey || event.metaKey) return;

      switch (event.key) {
        case 'ArrowDown':
        case 'Down':
          if (!items.length) return;
          event.preventDefault();
          if (!isOpen()) {
            open();
            if (!event.altKey) setActive(0);
          } else {
            setActive(active + 1 >= items.length ? 0 : active + 1);
          }
          break;

        case 'ArrowUp':
        case 'Up':
          if (!items.length) return;
          event.preventDefault();
          if (!isOpen()) {
            open();
            setActive(items.length - 1);
          } else {
            setActive(active <= 0 ? items.length - 1 : active - 1);
          }
          break;

        case 'Enter':
          if (isOpen() && active >= 0 && items[active]) {
            event.preventDefault();
            const href = items[active].href;
            close();
            window.location.assign(href);
          }
          // Otherwise the form submits normally: full search.
          break;

        case 'Escape':
        case 'Esc':
          if (isOpen()) {
            event.preventDefault();
            close();
          }
          break;

        case 'Tab':
          close();
          break;

        default:
          break;
      }
    });

    input.addEventListener('focus', function () {
      if (items.length && renderedQuery === input.value.trim()) open();
    });

    input.addEventListener('blur', function () {
      // Clicks inside the list keep focus in the input (see mousedown below),
      // so a blur means focus really moved elsewhere.
      close();
    });

    // Keep focus in the input while an option is pressed, so the click lands on the link.
    list.addEventListener('mousedown', function (event) {
      event.preventDefault();
    });

    list.addEventListener('click', function (event) {
      const target = event.target instanceof Element ? event.target.closest('[role="option"]') : null;
      if (!target) return;
      // Modified clicks (new tab, etc.) keep the browser's default behaviour.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      close();
    });

    // A click or tap outside the search form closes the list.
    document.addEventListener('pointerdown', function (event) {
      if (isOpen() && !container.contains(event.target)) close();
    });

    if (form) {
      form.addEventListener('submit', function () {
        cancelPending();
        close();
      });
    }

    // Pages restored from the back/forward cache must not show a stale list.
    window.addEventListener('pageshow', function (event) {
      if (event.persisted) {
        cancelPending();
        close();
      }
    });
  }

  function init() {
    const inputs = document.querySelectorAll('input[data-suggest]');
    for (let i = 0; i < inputs.length; i += 1) enhance(inputs[i]);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
