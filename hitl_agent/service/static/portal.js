/*
 * portal.js: the hitl-agent worker portal's page script (no inline scripts: the pages' CSP forbids
 * them). The task timer counts down the claim; answers come from the sandboxed task frame by
 * postMessage and are POSTed here with the CSRF token, then the page follows {"next": url}, which
 * is the next task of the reviewer's queue (submit-and-next).
 *
 * Keyboard contract (shown by the "?" overlay):
 *   1-9    choose the n-th answer of the task (toggle it in a multi-select task)
 *   Enter  submit (Ctrl+Enter inside a text box); the next task opens by itself
 *   s      skip: release the task and open the next one
 *   Esc    back to the task list
 *   ?      show or hide the keys
 * Choosing and submitting happen inside the sandboxed frame: when the page has the focus, it
 * forwards those keys to the frame ({type: "hitl-key"}); when the frame has it, the frame handles
 * them and forwards s, Esc and ? up here (portal-frame.js).
 */
(function () {
  'use strict';
  function fmt(seconds) {
    if (seconds <= 0) return 'time is up';
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return (h ? h + ':' + pad(m) : m) + ':' + pad(s) + ' left';
  }

  function startTimer() {
    var el = document.getElementById('timer');
    if (!el || !el.dataset.expires) return;
    var end = Date.parse(el.dataset.expires);
    if (isNaN(end)) return;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      el.textContent = fmt(left);
      el.classList.toggle('low', left < 60);
      if (left <= 0) {
        el.classList.add('over');
        showAlert('The time limit for this task has passed; your answer is only taken if the task is still free.');
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }

  function showAlert(text) {
    var el = document.getElementById('portal-alert');
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
  }

  function frameEl() { return document.getElementById('task-frame'); }
  function header() { return document.querySelector('header.task'); }

  var busy = false;
  function submit(frame, answerContent) {
    var head = header();
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (busy || !head || !meta) return;
    busy = true;
    document.body.dataset.submitting = 'true';
    fetch(head.dataset.answerUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': meta.content },
      body: JSON.stringify({ answerContent: answerContent, queue: head.dataset.queue || '' })
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        frame.contentWindow.postMessage({ type: 'hitl-result', ok: resp.ok, status: resp.status }, '*');
        if (!resp.ok) throw new Error(body.message || ('HTTP ' + resp.status));
        var next = typeof body.next === 'string' ? new URL(body.next, window.location.href) : null;
        if (next && next.origin === window.location.origin) window.location.assign(next.href);
      });
    }).catch(function (err) {
      busy = false;
      document.body.dataset.submitting = 'false';
      showAlert('Your answer could not be submitted: ' + err.message);
    });
  }

  function confirmSubmit(frame, answerContent) {
    var bar = document.getElementById('portal-confirm');
    if (!bar) {
      bar = document.createElement('div');
      bar.id = 'portal-confirm';
      bar.className = 'alert';
      bar.setAttribute('role', 'alert');
      var text = document.createElement('span');
      text.textContent = 'The task wants to submit an answer. ';
      var button = document.createElement('button');
      button.type = 'button';
      button.id = 'portal-confirm-submit';
      button.textContent = 'Submit answer';
      bar.appendChild(text);
      bar.appendChild(button);
      var anchor = document.getElementById('portal-alert') || frame;
      anchor.parentNode.insertBefore(bar, anchor);
    }
    bar.hidden = false;
    var btn = document.getElementById('portal-confirm-submit');
    btn.onclick = function (ev) {
      if (!ev.isTrusted) return;
      bar.hidden = true;
      submit(frame, answerContent);
    };
  }

  // --- keyboard --------------------------------------------------------------------------------
  function overlay() { return document.getElementById('keys-help'); }
  function toggleHelp(show) {
    var el = overlay();
    if (!el) return;
    el.hidden = show === undefined ? !el.hidden : !show;
  }

  function typing(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    return Boolean(target.closest('input, textarea, select'));
  }

  function skip() {
    var form = document.getElementById('skip-form');
    if (form && !busy) { busy = true; form.submit(); }
  }

  function back() {
    var head = header();
    window.location.assign(head && head.dataset.back ? head.dataset.back : '/portal/tasks');
  }

  // One handler for the keys the page acts on, whether pressed here or forwarded by the frame.
  function pageKey(key) {
    var help = overlay();
    if (key === '?') { toggleHelp(); return true; }
    if (key === 'Escape') {
      if (help && !help.hidden) toggleHelp(false);
      else if (header()) back();
      else return false;
      return true;
    }
    if (help && !help.hidden) return false;
    if (key === 's' && frameEl()) { skip(); return true; }
    return false;
  }

  document.addEventListener('keydown', function (e) {
    if (e.defaultPrevented || e.altKey || e.metaKey) return;
    if (e.key === 'Escape' || !typing(e.target)) {
      if (!e.ctrlKey && pageKey(e.key)) { e.preventDefault(); return; }
    }
    var frame = frameEl();
    if (!frame || typing(e.target) || (e.target && e.target.closest && e.target.closest('button, a'))) return;
    if (/^[1-9]$/.test(e.key) || e.key === 'Enter') {
      e.preventDefault();
      frame.contentWindow.postMessage({ type: 'hitl-key', key: e.key, ctrlKey: e.ctrlKey }, '*');
    }
  });

  window.addEventListener('message', function (e) {
    var frame = frameEl();
    if (!frame || e.source !== frame.contentWindow || !e.data || typeof e.data !== 'object') return;
    if (e.data.type === 'hitl-height' && typeof e.data.height === 'number') {
      frame.style.height = Math.min(Math.max(e.data.height + 24, 240), 20000) + 'px';
    } else if (e.data.type === 'hitl-submit' && e.data.answerContent && typeof e.data.answerContent === 'object') {
      // A submit counts only right after a real user action (a click or key press in the page
      // or the frame: user activation reaches this page too). A frame that posts on load, or
      // long after the last action, gets a confirmation the worker has to click.
      var ua = navigator.userActivation;
      if (ua && ua.isActive) submit(frame, e.data.answerContent);
      else confirmSubmit(frame, e.data.answerContent);
    } else if (e.data.type === 'hitl-key' && typeof e.data.key === 'string') {
      pageKey(e.data.key);
    } else if (e.data.type === 'hitl-ready') {
      document.body.dataset.frameReady = 'true';
    }
  });

  function init() {
    startTimer();
    var help = overlay();
    if (help) help.addEventListener('click', function (e) { if (e.target === help) toggleHelp(false); });
    var filters = document.getElementById('queue-filters');
    if (filters) {
      filters.addEventListener('change', function () { filters.submit(); });
      var apply = document.getElementById('apply');
      if (apply) apply.hidden = true;
    }
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
