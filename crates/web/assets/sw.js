// The service worker: shows reminders pushed to this device and opens their task when tapped.
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
