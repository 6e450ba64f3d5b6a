/*
 * deflect agent workspace: editor enhancements.
 *
 * - Live Markdown preview while typing (form[data-editor]).
 * - Autosave of existing drafts, with conflict detection (HTTP 409).
 * - A warning before leaving the page with unsaved changes.
 * - A new article's slug suggested from its title until the writer edits it.
 * - Line-anchored review comments: selecting a line number in .body-lines
 *   fills the comment form's "line" field.
 *
 * Every form works without this file; it only enhances them.
 * Vanilla ES2017, no dependencies.
 */
(function () {
  'use strict';

  const PREVIEW_DELAY_MS = 250;
  const AUTOSAVE_DELAY_MS = 2000;
  const SAVE_FIELDS = ['title', 'slug', 'category', 'tags', 'summary', 'locale', 'visibility', 'body'];

  function pad(n) {
    return (n < 10 ? '0' : '') + n;
  }

  /** "HH:MM" in local time: from the server's saved_at when it can be read, else now. */
  function clockTime(savedAt) {
    if (typeof savedAt === 'string') {
      const hhmm = /^(\d{1,2}):(\d{2})/.exec(savedAt.trim());
      if (hhmm) return pad(Number(hhmm[1])) + ':' + hhmm[2];
    }
    let date = new Date();
    if (savedAt !== undefined && savedAt !== null && savedAt !== '') {
      const parsed = typeof savedAt === 'number'
        ? new Date(savedAt < 1e12 ? savedAt * 1000 : savedAt)
        : new Date(String(savedAt));
      if (!isNaN(parsed.getTime())) date = parsed;
    }
    return pad(date.getHours()) + ':' + pad(date.getMinutes());
  }

  function fieldValue(form, name) {
    const el = form.elements.namedItem(name);
    if (!el) return '';
    return typeof el.value === 'string' ? el.value : '';
  }

  function csrfToken(form) {
    return fieldValue(form, 'csrf');
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (e) {
      return null;
    }
  }

  /* ───────────────────────── Editor ───────────────────────── */

  function setupEditor(form) {
    const previewUrl = form.getAttribute('data-preview-url') || '';
    const autosaveUrl = form.getAttribute('data-autosave-url') || '';
    const msg = function (name, fallback) {
      return form.getAttribute('data-msg-' + name) || fallback;
    };

    const preview = document.getElementById('preview');
    const previewStatus = document.getElementById('preview-status');
    const previewHint = previewStatus ? previewStatus.textContent : '';
    const status = document.getElementById('autosave-status');
    const versionInput = form.elements.namedItem('version');

    /* Live preview ------------------------------------------------------ */

    let previewTimer = 0;
    let previewSeq = 0;      // last request sent
    let previewShown = 0;    // request whose result is on screen
    let lastHtml = null;

    async function refreshPreview() {
      if (!previewUrl || !preview) return;
      const seq = ++previewSeq;
      try {
        const response = await fetch(previewUrl, {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            'Content-Type': 'application/json',
            'Accept': 'application/json',
            'X-CSRF-Token': csrfToken(form)
          },
          body: JSON.stringify({ title: fieldValue(form, 'title'), body: fieldValue(form, 'body') })
        });
        if (!response.ok) throw new Error('preview: HTTP ' + response.status);
        const data = await readJson(response);
        if (!data || typeof data.html !== 'string') throw new Error('preview: bad response');
        // A slower, older response must not replace a newer preview.
        if (seq < previewShown) return;
        previewShown = seq;
        if (data.html !== lastHtml) {
          lastHtml = data.html;
          // The server sanitizes the rendered HTML.
          preview.innerHTML = data.html;
        }
        preview.classList.remove('is-stale');
        if (previewStatus) previewStatus.textContent = previewHint;
      } catch (e) {
        if (seq === previewSeq) {
          preview.classList.add('is-stale');
          if (previewStatus) previewStatus.textContent = msg('preview-failed', 'The preview could not be updated.');
        }
      }
    }

    function schedulePreview() {
      window.clearTimeout(previewTimer);
      previewTimer = window.setTimeout(refreshPreview, PREVIEW_DELAY_MS);
    }

    /* Autosave ---------------------------------------------------------- */

    let changeSeq = 0;       // bumps on every edit
    let savedSeq = 0;        // edits up to this one are on the server
    let autosaveTimer = 0;
    let saving = null;       // the in-flight save, a Promise
    let resaveAfter = false; // an edit happened while saving
    let stopped = !autosaveUrl;
    let conflicted = false;
    let submitting = false;

    function setStatus(text, kind) {
      if (!status) return;
      status.classList.remove('is-ok', 'is-error');
      if (kind) status.classList.add('is-' + kind);
      status.textContent = text;
    }

    function payload() {
      const data = {};
      const version = versionInput ? versionInput.value : '';
      data.version = /^\d+$/.test(version) ? Number(version) : version;
      SAVE_FIELDS.forEach(function (name) {
        data[name] = fieldValue(form, name);
      });
      return data;
    }

    function showConflict(data) {
      stopped = true;
      conflicted = true;
      window.clearTimeout(autosaveTimer);
      const message = (data && data.error && data.error.message) || msg('conflict', 'Someone else saved this draft.');
      if (status) {
        status.setAttribute('role', 'alert');
        setStatus(message, 'error');
      }
      const theirs = (data && data.theirs) || {};
      const box = document.getElementById('autosave-conflict');
      if (!box) return;
      const messageEl = box.querySelector('[data-conflict-message]');
      const titleEl = box.querySelector('[data-conflict-title]');
      const labelEl = box.querySelector('[data-conflict-label]');
      const textEl = box.querySelector('textarea');
      if (messageEl) messageEl.textContent = message;
      if (titleEl) titleEl.textContent = typeof theirs.title === 'string' ? theirs.title : '';
      if (labelEl) {
        const template = labelEl.getAttribute('data-template') || '{version}';
        labelEl.textContent = template.split('{version}').join(theirs.version === undefined ? '' : String(theirs.version));
      }
      // Their text goes in the read-only box; the user's own textarea is never touched.
      if (textEl) textEl.value = typeof theirs.body === 'string' ? theirs.body : '';
      // The user has now seen their version: the next "Save draft" is made against it.
      if (versionInput && theirs.version !== undefined && theirs.version !== null) {
        versionInput.value = String(theirs.version);
      }
      box.hidden = false;
    }

    async function autosave() {
      if (stopped || submitting) return;
      if (saving) {
        resaveAfter = true;
        return;
      }
      if (changeSeq === savedSeq) return;
      const seq = changeSeq;
      setStatus(msg('saving', 'Saving…'), '');
      saving = (async function () {
        try {
          const response = await fetch(autosaveUrl, {
            method: 'PUT',
            credentials: 'same-origin',
            headers: {
              'Content-Type': 'application/json',
              'Accept': 'application/json',
              'X-CSRF-Token': csrfToken(form)
            },
            body: JSON.stringify(payload())
          });
          if (response.status === 409) {
            showConflict(await readJson(response));
            return;
          }
          if (!response.ok) throw new Error('autosave: HTTP ' + response.status);
          const data = (await readJson(response)) || {};
          if (versionInput && data.version !== undefined && data.version !== null) {
            versionInput.value = String(data.version);
          }
          savedSeq = Math.max(savedSeq, seq);
          setStatus(msg('saved', 'Saved at {time}').split('{time}').join(clockTime(data.saved_at)), 'ok');
        } catch (e) {
          // Retried on the next change.
          setStatus(msg('failed', 'Not saved — will retry'), 'error');
          resaveAfter = false;
        }
      })();
      await saving;
      saving = null;
      if (resaveAfter && !stopped && !submitting) {
        resaveAfter = false;
        scheduleAutosave();
      }
    }

    function scheduleAutosave() {
      if (stopped) return;
      window.clearTimeout(autosaveTimer);
      autosaveTimer = window.setTimeout(autosave, AUTOSAVE_DELAY_MS);
    }

    /* Wiring ------------------------------------------------------------ */

    function onEdit(event) {
      const target = event.target;
      if (!target || !target.name || target.type === 'hidden' || target.form !== form) return;
      changeSeq += 1;
      if (target.name === 'title' || target.name === 'body') schedulePreview();
      if (saving) resaveAfter = true;
      scheduleAutosave();
    }
    form.addEventListener('input', onEdit);
    form.addEventListener('change', function (event) {
      // <select> and datalist picks may only fire "change".
      if (event.target && event.target.tagName === 'SELECT') onEdit(event);
    });

    form.addEventListener('submit', function (event) {
      if (submitting) return;
      window.clearTimeout(autosaveTimer);
      window.clearTimeout(previewTimer);
      if (saving) {
        // Let the in-flight autosave finish first: it may bump the version.
        event.preventDefault();
        submitting = true;
        saving.then(function () {
          if (conflicted) {
            // Someone else saved meanwhile: let the user see their version first.
            submitting = false;
            return;
          }
          // requestSubmit keeps the button pressed ("Save and submit").
          const submitter = event.submitter;
          if (typeof form.requestSubmit === 'function') {
            form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
          } else {
            form.submit();
          }
        });
        return;
      }
      submitting = true;
    });

    window.addEventListener('beforeunload', function (event) {
      if (submitting || changeSeq === savedSeq) return undefined;
      const text = msg('unsaved', 'You have unsaved changes.');
      event.preventDefault();
      event.returnValue = text;
      return text;
    });

    // Ctrl+S / Cmd+S saves the draft through the normal form submission.
    form.addEventListener('keydown', function (event) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === 's' || event.key === 'S')) {
        event.preventDefault();
        if (typeof form.requestSubmit === 'function') {
          form.requestSubmit();
        } else {
          const button = form.querySelector('button[type="submit"], button:not([type])');
          if (button) button.click();
        }
      }
    });
  }

  /* ───────────────────────── Slug from title ───────────────────────── */

  /**
   * The address suggested for a title, as the server suggests it when the
   * field is left empty (src/articles/slug.rs, slug_from_title): the title's
   * words folded to ASCII and lowercased, joined by "-", at most 60
   * characters, under the category when it is one lowercase word.
   */
  function slugFromTitle(category, title) {
    const words = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
      .toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
    let joined = '';
    for (let i = 0; i < words.length; i++) {
      if (joined && joined.length + 1 + words[i].length > 60) break;
      joined += (joined ? '-' : '') + words[i];
    }
    const cat = category.trim();
    return joined && /^[a-z0-9_-][a-z0-9_.-]*$/.test(cat) ? cat + '/' + joined : joined;
  }

  /**
   * Fills a new article's slug from its title (and category) as they are
   * typed, until the writer edits the slug themselves; clearing it hands
   * it back to the suggestion.
   */
  function setupSlugSuggestion(form) {
    const slug = form.elements.namedItem('slug');
    const title = form.elements.namedItem('title');
    const category = form.elements.namedItem('category');
    if (!slug || !title || slug.readOnly || slug.getAttribute('data-slug-auto') === null) return;
    let auto = slug.getAttribute('data-slug-auto') === 'on';
    function suggest() {
      if (auto) slug.value = slugFromTitle(category ? category.value : '', title.value);
    }
    title.addEventListener('input', suggest);
    if (category) {
      category.addEventListener('input', suggest);
      category.addEventListener('change', suggest);
    }
    slug.addEventListener('input', function () {
      auto = slug.value.trim() === '';
    });
  }

  /* ───────────────────────── Line comments ───────────────────────── */

  function setupLineComments() {
    const table = document.querySelector('.body-lines[data-comment-lines]');
    const lineInput = document.getElementById('comment-line');
    const commentBody = document.getElementById('comment-body');
    if (!table || !lineInput || !commentBody) return;

    let selected = null;
    function select(no) {
      if (selected) selected.classList.remove('is-selected');
      selected = no ? document.getElementById('L' + no) : null;
      if (selected) selected.classList.add('is-selected');
    }

    table.addEventListener('click', function (event) {
      const link = event.target.closest ? event.target.closest('a[data-line]') : null;
      if (!link || !table.contains(link)) return;
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      const no = link.getAttribute('data-line');
      lineInput.value = no;
      select(no);
      commentBody.focus();
    });

    lineInput.addEventListener('input', function () {
      select(/^\d+$/.test(lineInput.value) ? lineInput.value : null);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-js-only]'), function (el) {
      el.hidden = false;
    });
    Array.prototype.forEach.call(document.querySelectorAll('form[data-editor]'), function (form) {
      setupEditor(form);
      setupSlugSuggestion(form);
    });
    setupLineComments();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
