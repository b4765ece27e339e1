// Todo: the assistant panel, and a few touches on top of the server-rendered list.
// Everything here is an enhancement; without JavaScript the list works through plain forms.
(function () {
  "use strict";
  // A page restored from the back/forward cache may show a session that has since ended: ask the
  // server again (pages are no-store, so that answer is fresh).
  window.addEventListener("pageshow", function (ev) { if (ev.persisted) window.location.reload(); });

  // ---- the recurrence editor shows only the options of the chosen preset (all of them without JS;
  // the server ignores those that do not apply)
  function syncRepeat(select) {
    var form = select.form;
    var preset = select.value;
    var builds = ["daily", "weekdays", "weekly", "monthly", "yearly"].indexOf(preset) >= 0;
    var show = function (css, on) {
      var el = form.querySelector(css);
      if (el) el.hidden = !on;
    };
    show(".repeat-more", builds);
    show(".repeat-more .days", preset === "weekly");
    show(".repeat-more .monthly", preset === "monthly");
  }
  function syncAllRepeats() {
    document.querySelectorAll("select[name=recurrence]").forEach(syncRepeat);
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.matches("select[name=recurrence]")) syncRepeat(ev.target);
  });
  document.addEventListener("htmx:afterSettle", syncAllRepeats);
  syncAllRepeats();
  var userId = document.body.dataset.userId;

  // ---- the header's unread count, live: the server sends the count whenever it changes (the
  // session cookie authorises the stream; the page's own count is right without this)
  (function liveUnread() {
    var badge = document.getElementById("unread-count");
    if (!userId || !badge || !window.EventSource) return;
    var count = document.getElementById("unread-n");
    var source = new EventSource("/api/" + encodeURIComponent(userId) + "/notifications/stream");
    source.addEventListener("unread", function (ev) {
      var n = parseInt(ev.data, 10) || 0;
      count.textContent = String(n);
      badge.hidden = n === 0;
    });
    window.addEventListener("pagehide", function () { source.close(); });
  })();

  var chat = document.getElementById("chat");
  if (!userId || !chat) return;

  var log = document.getElementById("chat-log");
  var form = document.getElementById("chat-form");
  var input = document.getElementById("chat-input");
  var send = form.querySelector("button[type=submit]");
  var picker = document.getElementById("chat-conversation");
  var newBtn = document.getElementById("chat-new");
  var delBtn = document.getElementById("chat-delete");
  var openBtn = document.getElementById("chat-open");
  var closeBtn = document.getElementById("chat-close");
  var base = "/api/" + encodeURIComponent(userId);
  var conversationId = null;
  var busy = false;
  var jwt = null;
  var jwtUntil = 0;

  // ---- the task list follows what the assistant did
  function refreshTasks() {
    if (window.htmx && document.getElementById("tasks")) {
      window.htmx.ajax("GET", window.location.pathname + window.location.search, {
        target: "#tasks", select: "#tasks", swap: "outerHTML show:none"
      });
    }
  }

  // ---- API access with a short-lived token traded for the session cookie
  function token() {
    if (jwt && Date.now() < jwtUntil) return Promise.resolve(jwt);
    return fetch("/api/auth/token", { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401) { window.location.href = "/sign-in"; throw new Error("signed out"); }
      if (!r.ok) throw new Error("Could not reach the server (" + r.status + ").");
      return r.json();
    }).then(function (body) {
      jwt = body.token;
      jwtUntil = Date.now() + 5 * 60 * 1000;
      return jwt;
    });
  }
  function api(method, path, body) {
    return token().then(function (t) {
      var init = { method: method, headers: { "Authorization": "Bearer " + t } };
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return fetch(base + path, init);
    }).then(function (r) {
      // The session ended (signed out elsewhere, or the account is gone): so has this page's token.
      if (r.status === 401) { jwt = null; window.location.href = "/sign-in"; throw new Error("signed out"); }
      return r;
    });
  }
  function errorText(r) {
    return r.json().then(function (b) {
      return (b && b.error && b.error.message) || ("The server answered " + r.status + ".");
    }, function () { return "The server answered " + r.status + "."; });
  }

  // ---- rendering
  function add(cls, text) {
    var hint = log.querySelector(".msg-hint");
    if (hint) hint.remove();
    var li = document.createElement("li");
    li.className = "msg " + cls;
    li.textContent = text;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
    return li;
  }
  function quote(s) { return "“" + s + "”"; }
  function describe(call) {
    var r = call.result || {};
    if (typeof r === "string") { try { r = JSON.parse(r); } catch (e) { r = {}; } }
    var a = call.arguments || {};
    if (typeof a === "string") { try { a = JSON.parse(a); } catch (e) { a = {}; } }
    var title = r.title || a.title || (r.task_id ? "task " + r.task_id : "a task");
    if (r.error) return "✗ " + call.name + ": " + (r.error.message || r.error);
    switch (call.name) {
      case "add_task": return "✓ Added " + quote(title);
      case "complete_task": return "✓ Completed " + quote(title);
      case "delete_task": return "✓ Deleted " + quote(title);
      case "update_task": return "✓ Updated " + quote(title);
      case "list_tasks": return "✓ Looked at your tasks";
      default: return "✓ Ran " + call.name;
    }
  }
  function changesTasks(call) { return call.name !== "list_tasks"; }
  function showHistory(messages) {
    log.textContent = "";
    messages.forEach(function (m) {
      if (m.role === "user") add("msg-user", m.content);
      else if (m.role === "assistant") {
        (m.tool_calls || []).forEach(function (c) { add("msg-tool", describe(c)); });
        if (m.content) add("msg-assistant", m.content);
      }
    });
    if (!messages.length) add("msg-hint", "No messages yet.");
  }

  // ---- conversations
  function loadConversations(selected) {
    return api("GET", "/conversations").then(function (r) {
      if (r.status === 404) throw new Error("unavailable");
      if (!r.ok) return errorText(r).then(function (t) { throw new Error(t); });
      return r.json();
    }).then(function (list) {
      picker.textContent = "";
      var fresh = document.createElement("option");
      fresh.value = ""; fresh.textContent = "New conversation";
      picker.appendChild(fresh);
      list.forEach(function (c) {
        var o = document.createElement("option");
        o.value = String(c.id);
        o.textContent = c.title || ("Conversation " + c.id);
        picker.appendChild(o);
      });
      picker.value = selected ? String(selected) : "";
      delBtn.disabled = !selected;
    });
  }
  function openConversation(id) {
    conversationId = id;
    delBtn.disabled = !id;
    if (!id) { log.textContent = ""; add("msg-hint", "New conversation. Ask me to add, find or finish tasks."); return; }
    api("GET", "/conversations/" + id + "/messages").then(function (r) {
      if (!r.ok) return errorText(r).then(function (t) { throw new Error(t); });
      return r.json();
    }).then(showHistory).catch(function (e) { add("msg-error", e.message); });
  }

  // ---- sending, with the answer streamed in (server-sent events over a POST)
  function handle(event, data, state) {
    var d = {};
    try { d = JSON.parse(data); } catch (e) { return; }
    if (event === "conversation") {
      state.conversation = d.conversation_id;
    } else if (event === "delta") {
      state.answer.classList.add("msg-pending");
      state.answer.textContent += d.text || "";
      log.scrollTop = log.scrollHeight;
    } else if (event === "tool_call") {
      state.tools++;
      log.insertBefore(toolLine(describe(d)), state.answer);
      if (changesTasks(d)) { state.changed = true; refreshTasks(); }
    } else if (event === "done") {
      state.finished = true;
      if (d.response && !state.answer.textContent) state.answer.textContent = d.response;
      if (d.conversation_id) state.conversation = d.conversation_id;
      if (!state.tools) (d.tool_calls || []).forEach(function (c) {
        log.insertBefore(toolLine(describe(c)), state.answer);
        if (changesTasks(c)) state.changed = true;
      });
    } else if (event === "error") {
      state.finished = true;
      var e = d.error || {};
      add("msg-error", e.message || "The assistant could not answer.");
    }
  }
  function toolLine(text) {
    var li = document.createElement("li");
    li.className = "msg msg-tool";
    li.textContent = text;
    return li;
  }
  function stream(message) {
    var state = { conversation: conversationId, answer: add("msg-assistant msg-pending", ""), tools: 0, changed: false, finished: false };
    var body = { message: message };
    if (conversationId) body.conversation_id = conversationId;
    return api("POST", "/chat/stream", body).then(function (r) {
      if (r.status === 404) throw new Error("The assistant is not available on this server yet.");
      if (!r.ok) return errorText(r).then(function (t) { throw new Error(t); });
      var reader = r.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
          var at;
          while ((at = buffer.indexOf("\n\n")) >= 0) {
            var raw = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            var event = "message", data = [];
            raw.split("\n").forEach(function (line) {
              if (line.indexOf("event:") === 0) event = line.slice(6).trim();
              else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
            });
            if (data.length) handle(event, data.join("\n"), state);
          }
          return pump();
        });
      }
      return pump();
    }).then(function () {
      state.answer.classList.remove("msg-pending");
      if (!state.answer.textContent) state.answer.remove();
      if (state.changed) refreshTasks();
      if (state.conversation && state.conversation !== conversationId) {
        conversationId = state.conversation;
        return loadConversations(conversationId);
      }
    }, function (e) {
      state.answer.remove();
      add("msg-error", e.message);
    });
  }

  function setBusy(b) {
    busy = b;
    send.disabled = b;
    input.setAttribute("aria-busy", b ? "true" : "false");
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    add("msg-user", text);
    setBusy(true);
    stream(text).then(function () { setBusy(false); input.focus(); });
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
  });
  picker.addEventListener("change", function () { openConversation(picker.value ? Number(picker.value) : null); });
  newBtn.addEventListener("click", function () { picker.value = ""; openConversation(null); input.focus(); });
  delBtn.addEventListener("click", function () {
    if (!conversationId || !window.confirm("Delete this conversation?")) return;
    api("DELETE", "/conversations/" + conversationId).then(function (r) {
      if (!r.ok && r.status !== 404) return errorText(r).then(function (t) { throw new Error(t); });
      openConversation(null);
      return loadConversations(null);
    }).catch(function (e) { add("msg-error", e.message); });
  });

  // ---- phones: the panel opens full screen
  function setOpen(open) {
    document.body.classList.toggle("chat-open", open);
    openBtn.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) input.focus(); else openBtn.focus();
  }
  openBtn.hidden = false;
  openBtn.addEventListener("click", function () { setOpen(true); });
  closeBtn.addEventListener("click", function () { setOpen(false); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && document.body.classList.contains("chat-open")) setOpen(false);
  });

  // ---- signing out: the token must not outlive the session in this page's memory
  var signOut = document.querySelector("form[action='/sign-out']");
  if (signOut) signOut.addEventListener("submit", function () { jwt = null; jwtUntil = 0; });

  // ---- start: enable the panel once the conversations answer
  loadConversations(null).then(function () {
    [input, send, picker, newBtn].forEach(function (el) { el.disabled = false; });
  }, function (e) {
    log.textContent = "";
    add("msg-hint", e.message === "unavailable" ? "The assistant is not available on this server yet." : e.message);
  });
})();
