// The installable app: the service worker on every page, and on /settings/push the switch that
// subscribes this browser to Web Push. An enhancement: without it the app works through plain forms.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var ready = navigator.serviceWorker.register("/sw.js").then(function () {
    return navigator.serviceWorker.ready;
  });
  var box = document.getElementById("push-device");
  if (!box) return;
  var state = document.getElementById("push-state");
  var on = document.getElementById("push-on");
  var off = document.getElementById("push-off");
  if (!("PushManager" in window) || !("Notification" in window)) {
    state.textContent = "This browser cannot receive push notifications.";
    return;
  }
  function show(subscribed) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    state.textContent = subscribed ? "This device receives your reminders." : "This device does not receive notifications.";
    box.dataset.subscribed = String(subscribed);
  }
  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 401) { window.location.href = "/sign-in"; throw new Error("signed out"); }
      if (!r.ok) throw new Error("The server answered " + r.status + ".");
      return r;
    });
  }
  // The VAPID key as pushManager.subscribe wants it: bytes, from base64url.
  function keyBytes(b64) {
    var s = atob(b64.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function fail(e) { state.textContent = (e && e.message) || String(e); }
  ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
    // The browser may have renewed its subscription: keep the server's copy current.
    if (sub && Notification.permission === "granted") post("/settings/push/subscription", sub.toJSON()).catch(fail);
    show(!!sub);
  }, fail);
  on.addEventListener("click", function () {
    on.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("Notifications are blocked for this site; allow them in the browser's site settings.");
      return ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key) });
    }).then(function (sub) {
      return post("/settings/push/subscription", sub.toJSON());
    }).then(function () { show(true); }, fail).then(function () { on.disabled = false; });
  });
  off.addEventListener("click", function () {
    off.disabled = true;
    ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (!sub) return null;
      return post("/settings/push/unsubscribe", { endpoint: sub.endpoint }).then(function () { return sub.unsubscribe(); });
    }).then(function () { show(false); }, fail).then(function () { off.disabled = false; });
  });
})();
