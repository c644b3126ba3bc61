/*
 * portal.js: the hitl-agent worker portal's page script (no inline scripts: the pages' CSP forbids
 * them). The task timer counts down the claim; answers come from the sandboxed task frame by
 * postMessage and are POSTed here with the CSRF token, then the page opens {"next": url}, which
 * is the next task of the reviewer's queue (submit-and-next).
 *
 * Submit-and-next in place: while the reviewer works, the page asks which task comes next
 * (/upcoming) and loads its sandboxed frame out of sight and inert (the "spare"). The answer
 * names that task; when the service claimed it, the page swaps the header it sent and the spare
 * in, and pushes the task's URL: no page load, no template to fetch and run while the reviewer
 * waits. Any other answer (the list, a preview page) is a plain navigation.
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

  var timerRun = 0;
  function startTimer() {
    var run = ++timerRun;
    var el = document.getElementById('timer');
    if (!el || !el.dataset.expires) return;
    var end = Date.parse(el.dataset.expires);
    if (isNaN(end)) return;
    var tick = function () {
      if (run !== timerRun) return;
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
  function settle(ok) {
    busy = false;
    document.body.dataset.submitting = 'false';
    if (ok) document.body.dataset.frameReady = 'true';
  }

  function submit(frame, answerContent) {
    var head = header();
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (busy || !head || !meta) return;
    busy = true;
    document.body.dataset.submitting = 'true';
    document.body.dataset.frameReady = 'false';
    var payload = { answerContent: answerContent, queue: head.dataset.queue || '' };
    if (spare) payload.upcoming = spare.name;
    fetch(head.dataset.answerUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': meta.content },
      body: JSON.stringify(payload)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        frame.contentWindow.postMessage({ type: 'hitl-result', ok: resp.ok, status: resp.status }, '*');
        if (!resp.ok) throw new Error(body.message || ('HTTP ' + resp.status));
        var next = typeof body.next === 'string' ? new URL(body.next, window.location.href) : null;
        if (!next || next.origin !== window.location.origin) return;
        if (typeof body.name === 'string' && typeof body.header === 'string') follow(body, next.href);
        else window.location.assign(next.href);
      });
    }).catch(function (err) {
      settle(true);
      showAlert('Your answer could not be submitted: ' + err.message);
    });
  }

  // --- the next task, in place -----------------------------------------------------------------
  var spare = null;    // {name, el, ahead, loaded, ready, height}: the next task's frame, unseen
  var pending = null;  // the answer's {name, header, title, url}, until its frame is ready

  function frameUrl(name, ahead) {
    return '/portal/tasks/' + encodeURIComponent(name) + '/frame' + (ahead ? '?upcoming=1' : '');
  }

  function sizeFrame(el, height) {
    if (height) el.style.height = Math.min(Math.max(height + 24, 240), 20000) + 'px';
  }

  function makeSpare(name, ahead) {
    var current = frameEl();
    var el = document.createElement('iframe');
    el.title = 'Next task';
    el.className = 'spare';
    el.setAttribute('sandbox', 'allow-scripts allow-forms');
    el.setAttribute('referrerpolicy', 'no-referrer');
    el.setAttribute('aria-hidden', 'true');
    el.tabIndex = -1;
    el.inert = true;
    current.parentNode.insertBefore(el, current.nextSibling);
    var made = { name: name, el: el, ahead: ahead, loaded: false, ready: false, height: 0 };
    el.addEventListener('load', function () {
      made.loaded = true;
      // A frame that loaded without saying it is ready is an error page: one rendered ahead is
      // asked again now that the task is claimed; otherwise the task page shows the error.
      setTimeout(function () { if (spare === made && !made.ready && pending) rescue(); }, 1000);
    });
    el.src = frameUrl(name, ahead);
    return made;
  }

  function dropSpare() {
    if (spare) { spare.el.remove(); spare = null; }
  }

  function rescue() {
    if (spare.ahead) { var name = spare.name; dropSpare(); spare = makeSpare(name, false); }
    else window.location.assign(pending.url);
  }

  function prefetch() {
    var head = header();
    if (!head || !frameEl() || !head.dataset.loop) return;
    var loop = head.dataset.loop;
    var query = head.dataset.queue ? '?' + head.dataset.queue : '';
    fetch('/portal/tasks/' + encodeURIComponent(loop) + '/upcoming' + query, {
      credentials: 'same-origin', headers: { Accept: 'application/json' }
    }).then(function (resp) { return resp.ok ? resp.json() : {}; }).then(function (body) {
      var now = header();
      if (busy || !now || now.dataset.loop !== loop || typeof body.name !== 'string') return;
      if (spare && spare.name === body.name) return;
      dropSpare();
      spare = makeSpare(body.name, true);
    }).catch(function () { /* no spare: the next task then loads after the answer */ });
  }

  function follow(body, url) {
    pending = { name: body.name, header: body.header, title: body.title || 'Task', url: url };
    if (!spare || spare.name !== body.name) { dropSpare(); spare = makeSpare(body.name, false); }
    else if (spare.loaded && !spare.ready) rescue();
    swapIn();
  }

  function swapIn() {
    if (!pending || !spare || !spare.ready || spare.name !== pending.name) return;
    var next = pending, shown = spare, old = frameEl(), head = header();
    pending = null;
    spare = null;
    var holder = document.createElement('div');
    holder.innerHTML = next.header; // the service's own markup, every value escaped there
    if (head && holder.firstElementChild) head.replaceWith(holder.firstElementChild);
    old.removeAttribute('id');
    old.remove();
    shown.el.id = 'task-frame';
    shown.el.title = 'Task';
    shown.el.className = '';
    shown.el.removeAttribute('aria-hidden');
    shown.el.removeAttribute('tabindex');
    shown.el.inert = false;
    sizeFrame(shown.el, shown.height);
    ['portal-alert', 'portal-confirm'].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.hidden = true;
    });
    document.title = next.title + ' · hitl-agent';
    settle(true);
    history.pushState({ loop: next.name }, '', next.url);
    startTimer();
    prefetch();
  }

  window.addEventListener('popstate', function () { window.location.reload(); });

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
    if (!e.data || typeof e.data !== 'object') return;
    if (spare && e.source === spare.el.contentWindow) { // the spare only reports its size and load
      if (e.data.type === 'hitl-height' && typeof e.data.height === 'number') spare.height = e.data.height;
      else if (e.data.type === 'hitl-ready') { spare.ready = true; swapIn(); }
      return;
    }
    var frame = frameEl();
    if (!frame || e.source !== frame.contentWindow) return;
    if (e.data.type === 'hitl-height' && typeof e.data.height === 'number') {
      sizeFrame(frame, e.data.height);
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
      if (!busy) document.body.dataset.frameReady = 'true';
      if (!spare) prefetch();
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
