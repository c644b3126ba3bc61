/*
 * portal.js: the hitl-agent worker portal's page script (no inline scripts: the pages' CSP forbids
 * them). The task timer counts down the claim; answers come from the sandboxed task frame by
 * postMessage and are POSTed here with the CSRF token, then the page follows {"next": url}.
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

  var busy = false;
  function submit(frame, answerContent) {
    var header = document.querySelector('header.task');
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (busy || !header || !meta) return;
    busy = true;
    document.body.dataset.submitting = 'true';
    fetch(header.dataset.answerUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': meta.content },
      body: JSON.stringify({ answerContent: answerContent })
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

  window.addEventListener('message', function (e) {
    var frame = document.getElementById('task-frame');
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
    }
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startTimer);
  else startTimer();
})();
