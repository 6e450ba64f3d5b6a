/*
 * deflect help center: the article page's table of contents shows where the
 * reader is. The link of the section being read (the last heading scrolled
 * past the top of the screen) gets aria-current="location" and is styled as
 * current. Without this file the table of contents still works.
 * Vanilla ES2017, no dependencies.
 */
(function () {
  'use strict';

  function init() {
    const toc = document.querySelector('.toc');
    if (!toc) return;
    const links = Array.prototype.slice.call(toc.querySelectorAll('a[href^="#"]'));
    const sections = links.map(function (a) {
      let id = a.getAttribute('href').slice(1);
      try { id = decodeURIComponent(id); } catch (e) { /* as written */ }
      return document.getElementById(id);
    });
    if (!sections.some(Boolean)) return;

    let current = null;
    function mark() {
      frame = 0;
      // A heading counts as reached once it is in the top fifth of the screen.
      const line = window.innerHeight / 5;
      let at = -1;
      sections.forEach(function (h, i) {
        if (h && h.getBoundingClientRect().top <= line) at = i;
      });
      // At the very bottom, the last section is the one being read.
      if (window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2) {
        at = sections.length - 1;
      }
      const link = at >= 0 ? links[at] : null;
      if (link === current) return;
      if (current) current.removeAttribute('aria-current');
      if (link) link.setAttribute('aria-current', 'location');
      current = link;
    }

    let frame = 0;
    function schedule() {
      if (!frame) frame = window.requestAnimationFrame(mark);
    }
    window.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    window.addEventListener('hashchange', schedule);
    mark();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
