/*
 * portal-frame.js: runs inside the sandboxed task frame of the hitl-agent worker portal (an opaque
 * origin: no cookies, no access to the portal). It hands the answer that <crowd-form> produced to
 * the portal page with postMessage (the page POSTs it with the worker's CSRF token), reports the
 * document's height so the page can size the frame, and carries the keyboard contract inside the
 * frame (see portal.js): digits choose, Enter submits, s / Esc / ? go up to the page.
 *
 * "Choices" are, in document order, the first of: a crowd classifier (single or multi-select,
 * text or image), a <crowd-radio-group>, loose <crowd-radio-button>s of one name, native radio
 * buttons of one name, or else every toggle (<crowd-checkbox>, <crowd-toggle-button>, native
 * checkbox). The group holding the focus wins over the first one.
 */
(function () {
  'use strict';
  window.addEventListener('crowd-submit', function (e) {
    e.preventDefault();
    window.parent.postMessage({ type: 'hitl-submit', answerContent: e.detail.answerContent }, '*');
  }, true);

  var CLASSIFIERS = 'crowd-classifier, crowd-classifier-multi-select, crowd-image-classifier, crowd-image-classifier-multi-select';
  var TOGGLES = 'crowd-checkbox, crowd-toggle-button, input[type="checkbox"]';

  function changed(el) { el.dispatchEvent(new Event('change', { bubbles: true })); }

  // A group: {options: [...], pick(i)} for the n-th choice.
  function classifierGroup(el) {
    var inputs = (el._inputs || []).filter(function (i) { return !i.disabled; });
    return {
      el: el,
      size: inputs.length,
      pick: function (i) {
        var input = inputs[i];
        input.checked = el.multi ? !input.checked : true;
        changed(input);
        input.focus({ preventScroll: true });
      }
    };
  }

  function radioGroup(el, buttons) {
    buttons = buttons.filter(function (b) { return !b.disabled; });
    return {
      el: el,
      size: buttons.length,
      pick: function (i) {
        var b = buttons[i];
        b.checked = true;
        if (typeof b._exclusive === 'function') b._exclusive();
        changed(b);
        if (typeof b.focus === 'function') b.focus({ preventScroll: true });
      }
    };
  }

  function toggleGroup(items) {
    items = items.filter(function (t) { return !t.disabled && !(t.closest && t.closest(CLASSIFIERS)); });
    return {
      el: items[0] || null,
      size: items.length,
      pick: function (i) {
        var t = items[i];
        t.checked = !t.checked;
        changed(t);
      }
    };
  }

  function groups() {
    var found = [];
    var seenNames = {};
    var nodes = document.querySelectorAll(CLASSIFIERS + ', crowd-radio-group, crowd-radio-button, input[type="radio"]');
    Array.prototype.forEach.call(nodes, function (el) {
      var tag = el.localName;
      if (tag === 'crowd-radio-group') {
        found.push(radioGroup(el, Array.prototype.slice.call(el.querySelectorAll('crowd-radio-button'))));
      } else if (tag === 'crowd-radio-button' || tag === 'input') {
        if (el.closest('crowd-radio-group')) return;
        var key = tag + ':' + (el.getAttribute('name') || '');
        if (seenNames[key]) return;
        seenNames[key] = true;
        var peers = Array.prototype.filter.call(document.querySelectorAll(tag === 'input' ? 'input[type="radio"]' : 'crowd-radio-button'), function (p) {
          return !p.closest('crowd-radio-group') && (p.getAttribute('name') || '') === (el.getAttribute('name') || '');
        });
        found.push(radioGroup(el, peers));
      } else {
        found.push(classifierGroup(el));
      }
    });
    var toggles = toggleGroup(Array.prototype.slice.call(document.querySelectorAll(TOGGLES)));
    if (toggles.size) found.push(toggles);
    return found.filter(function (g) { return g.size > 0; });
  }

  function activeGroup() {
    var all = groups();
    var focus = document.activeElement;
    for (var i = 0; i < all.length; i++) {
      if (focus && all[i].el && (all[i].el === focus || all[i].el.contains(focus))) return all[i];
    }
    return all[0] || null;
  }

  function submitForm() {
    var form = document.querySelector('crowd-form');
    if (form && typeof form.submit === 'function') { form.submit(); return; }
    var native = document.querySelector('form');
    if (native && typeof native.requestSubmit === 'function') native.requestSubmit();
  }

  function isTextField(el) {
    if (!el) return false;
    if (el.isContentEditable || el.localName === 'textarea' || el.localName === 'select') return true;
    if (el.localName === 'input') return ['checkbox', 'radio', 'button', 'submit', 'reset', 'image', 'range', 'file'].indexOf((el.type || 'text').toLowerCase()) < 0;
    return false;
  }

  // What the key does here; true when it was handled.
  function handle(key, ctrl, target) {
    var text = isTextField(target);
    if (/^[1-9]$/.test(key) && !ctrl && !text) {
      var group = activeGroup();
      var n = Number(key) - 1;
      if (group && n < group.size) { group.pick(n); return true; }
      return false;
    }
    if (key === 'Enter') {
      if (text && target.localName === 'input') return false; // crowd-form submits on Enter itself
      if (text && !ctrl) return false; // a newline in a text box
      if (target && target.closest && target.closest('button, a, [role="button"], crowd-button')) return false;
      submitForm();
      return true;
    }
    if ((key === 's' || key === '?') && !text && !ctrl) {
      window.parent.postMessage({ type: 'hitl-key', key: key }, '*');
      return true;
    }
    if (key === 'Escape') {
      window.parent.postMessage({ type: 'hitl-key', key: key }, '*');
      return true;
    }
    return false;
  }

  window.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.altKey || e.metaKey) return;
    var target = e.composedPath ? e.composedPath()[0] : e.target;
    if (handle(e.key, e.ctrlKey, target)) e.preventDefault();
  });

  window.addEventListener('message', function (e) {
    if (e.source !== window.parent || !e.data || typeof e.data !== 'object') return;
    if (e.data.type === 'hitl-result') {
      document.dispatchEvent(new CustomEvent('crowd-submitted', { detail: e.data }));
    } else if (e.data.type === 'hitl-key' && typeof e.data.key === 'string') {
      handle(e.data.key, Boolean(e.data.ctrlKey), document.activeElement);
    }
  });

  var last = 0;
  function report() {
    var h = Math.ceil(document.documentElement.scrollHeight);
    if (h !== last) {
      last = h;
      window.parent.postMessage({ type: 'hitl-height', height: h }, '*');
    }
  }
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.documentElement);
  window.addEventListener('load', report);
  window.addEventListener('load', function () { window.parent.postMessage({ type: 'hitl-ready' }, '*'); });
})();
