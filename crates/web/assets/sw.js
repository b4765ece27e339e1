// The service worker: shows reminders pushed to this device and opens their task when tapped, and keeps
// the server's copy of this device's subscription current when the browser replaces it.
// Pushed messages are small JSON documents: {id, type, title, body, tag, url, due_at}.
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var m = {};
  try { m = event.data ? event.data.json() : {}; } catch (e) { m = {}; }
  var body = m.body || "";
  if (m.due_at) {
    var due = new Date(m.due_at);
    if (!isNaN(due)) body += " · due " + due.toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
  }
  event.waitUntil(self.registration.showNotification(m.title || "Todo", {
    body: body,
    tag: m.tag || m.id,
    renotify: !!m.tag,
    icon: "__ICON__",
    data: { url: m.url || "/", id: m.id }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === url) return windows[i].focus();
    }
    // An open window of the app goes to the task; otherwise a new one opens there.
    for (var j = 0; j < windows.length; j++) {
      if (new URL(windows[j].url).origin === self.location.origin && "navigate" in windows[j]) {
        return windows[j].navigate(url).then(function (w) { return w && w.focus(); });
      }
    }
    return self.clients.openWindow(url);
  }));
});

// The push service expired or rotated this device's subscription. Subscribe again with the server's
// key (unless the browser already did) and swap the server's copy: the old endpoint out, the new in.
// The swap is posted as the settings page posts: with the session cookie and the session's CSRF token,
// which a worker has no page to read, so it asks for it first (a same-origin GET).
self.addEventListener("pushsubscriptionchange", function (event) {
  event.waitUntil(renew(event.oldSubscription, event.newSubscription));
});

function renew(old, fresh) {
  var url = "/settings/push/renew";
  function ok(r) {
    if (!r.ok) throw new Error(url + " answered " + r.status);
    return r;
  }
  // Signed out, the server redirects to the sign-in page: a failure here, not a page to parse.
  return fetch(url, { redirect: "error" }).then(ok).then(function (r) { return r.json(); }).then(function (s) {
    var sub = fresh || self.registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: s.key });
    return Promise.resolve(sub).then(function (sub) {
      return fetch(url, {
        method: "POST",
        redirect: "error",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": s.csrf },
        body: JSON.stringify({ old_endpoint: old ? old.endpoint : null, subscription: sub.toJSON() })
      });
    }).then(ok);
  });
}
