//! The installable app and Web Push in a real headless Chromium: the manifest and its icons, the
//! service worker registered at the root under the app's Content-Security-Policy, and the
//! "Notifications on this device" switch storing and removing this browser's subscription.
//!
//! Chromium's own push service (Google's FCM) cannot be reached from the test machine, so
//! `PushManager.subscribe` is replaced in the page by a stand-in that answers a subscription of the
//! local test push service (todo_testkit::push), recording the `applicationServerKey` it was asked
//! for. Everything else is real: the permission prompt's grant (through DevTools), the page's script,
//! the CSRF-checked post, the API, and a reminder the server then encrypts and sends to that
//! subscription, which the push service verifies and decrypts; the decrypted message, delivered to the
//! service worker through DevTools, is shown as a notification. Not exercised: a tap on it
//! (`notificationclick`), which DevTools cannot perform.
//!
//! The browser replacing a subscription (`pushsubscriptionchange`) cannot be brought about either: with
//! no reachable push service Chromium never holds a real subscription to rotate. The worker's handler is
//! run in the worker itself instead, through DevTools, for an event the test dispatches there.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use todo_testkit::push::PushService;

use super::harness::{App, Browser, Cdp};
use super::{email, sign_up, ONE_BROWSER};

/// Replaces the browser's push service with the test's subscription `sub`.
const STAND_IN: &str = r#"
var sub = arguments[0];
var current = null;
PushManager.prototype.subscribe = function (options) {
  window.__askedKey = Array.from(new Uint8Array(options.applicationServerKey));
  window.__userVisibleOnly = options.userVisibleOnly;
  current = { endpoint: sub.endpoint, toJSON: function () { return sub; },
    unsubscribe: function () { current = null; return Promise.resolve(true); } };
  return Promise.resolve(current);
};
PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
"#;

#[tokio::test]
async fn this_device_subscribes_and_the_app_installs() {
    let _one = ONE_BROWSER.lock().await;
    let push = PushService::start().await;
    let app = App::serve_with(&[("PUSH_ALLOW_INSECURE", "true".into())]).await;
    let Some(b) = Browser::start(1200, 900, true).await else {
        return;
    };
    sign_up(&b, &app, &email("push")).await;

    // The manifest, linked from every page, and its icons.
    let manifest = b
        .js(
            "const r = await fetch(document.querySelector('link[rel=manifest]').href); \
             return {type: r.headers.get('content-type'), body: await r.json()};",
        )
        .await;
    assert_eq!(manifest["type"], "application/manifest+json");
    let m = &manifest["body"];
    assert_eq!(
        (m["display"].as_str(), m["start_url"].as_str()),
        (Some("standalone"), Some("/"))
    );
    let icons: Vec<String> = m["icons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["src"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        icons.iter().filter(|i| i.ends_with(".png")).count() >= 2,
        "{m}"
    );
    for icon in &icons {
        let script = format!(
            "const r = await fetch({icon:?}); return [r.status, r.headers.get('content-type')];"
        );
        let got = b.js(&script).await;
        assert_eq!(got[0], 200, "{icon}");
        assert!(
            got[1].as_str().unwrap().starts_with("image/"),
            "{icon}: {got}"
        );
    }

    // The service worker: registered from the root, active, in charge of the whole app.
    b.goto(&app.url("/settings/push")).await;
    b.until(
        "the service worker is active",
        "(navigator.serviceWorker.ready.then(r => { window.__sw = r.active && [r.active.scriptURL, r.scope]; }), window.__sw)",
    )
    .await;
    let sw = b.js("return window.__sw").await;
    assert_eq!(sw, json!([app.url("/sw.js"), app.url("/")]));
    b.until(
        "the switch is offered",
        "!document.getElementById('push-on').hidden",
    )
    .await;
    assert!(b
        .text()
        .await
        .contains("No device receives your reminders yet."));

    // Allow notifications as a user answering the prompt would; what Chromium's own push service
    // makes of a real subscribe is logged, not relied on (it is not reachable here).
    let grant = json!({"permissions": ["notifications"], "origin": app.base});
    b.client
        .issue_cmd(Cdp("Browser.grantPermissions", grant))
        .await
        .unwrap();
    let real = b
        .js("const r = await navigator.serviceWorker.ready; const key = document.getElementById('push-device').dataset.key; \
             const bytes = Uint8Array.from(atob(key.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0)); \
             try { const s = await Promise.race([r.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: bytes}), \
               new Promise((_, no) => setTimeout(() => no(new Error('no answer in 5 s')), 5000))]); \
               await s.unsubscribe(); return 'subscribed: ' + new URL(s.endpoint).host; } \
             catch (e) { return e.name + ': ' + e.message; }")
        .await;
    eprintln!("Chromium's own pushManager.subscribe: {real}");

    let sub = push.subscribe("browser");
    b.client.execute(STAND_IN, vec![sub.clone()]).await.unwrap();
    b.click("#push-on").await;
    b.until(
        "the switch says this device is subscribed",
        "document.getElementById('push-device').dataset.subscribed === 'true'",
    )
    .await;
    let key = b
        .js("return document.getElementById('push-device').dataset.key")
        .await;
    let asked: Vec<u8> = serde_json::from_value(b.js("return window.__askedKey").await).unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.encode(asked),
        key.as_str().unwrap(),
        "subscribed with the server's VAPID key"
    );
    assert_eq!(b.js("return window.__userVisibleOnly").await, true);
    b.goto(&app.url("/settings/push")).await;
    b.until(
        "the stored subscription is counted",
        "document.body.innerText.includes('1 device receives your reminders.')",
    )
    .await;

    // The stored subscription receives a reminder, encrypted for its keys.
    let created: Value = b
        .js("const t = (await (await fetch('/api/auth/token')).json()).token; \
             const at = new Date(Date.now() + 2000).toISOString().replace(/\\.\\d+Z$/, 'Z'); \
             const due = new Date(Date.now() + 3600e3).toISOString(); \
             const r = await fetch('/api/' + document.body.dataset.userId + '/tasks', {method: 'POST', \
               headers: {'Authorization': 'Bearer ' + t, 'Content-Type': 'application/json'}, \
               body: JSON.stringify({title: 'Stretch', due_at: due, reminders: [{at: at}]})}); \
             return [r.status, await r.json()];")
        .await;
    assert_eq!(created[0], 201, "{created}");
    let got = push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].message["title"], "Stretch");
    assert_eq!(got[0].key, key.as_str().unwrap());
    assert!(push.refused().is_empty(), "{:?}", push.refused());

    // The service worker shows what is pushed to it (delivered through DevTools, as the browser's
    // push service would; a fresh profile's first registration has id 0).
    let pushed = json!({"origin": app.url("/"), "registrationId": "0",
        "data": got[0].message.to_string()});
    b.client
        .issue_cmd(Cdp("ServiceWorker.enable", json!({})))
        .await
        .unwrap();
    // A message that reaches the worker while it is still starting (a loaded machine) is dropped,
    // as a push service's would be redelivered: deliver again until it is shown.
    let check = "const r = await navigator.serviceWorker.ready; const n = await r.getNotifications(); \
                 window.__shown = n.map(x => [x.title, x.body, x.tag, x.data && x.data.url]); return n.length;";
    let mut shown_any = false;
    for _ in 0..10 {
        b.client
            .issue_cmd(Cdp("ServiceWorker.deliverPushMessage", pushed.clone()))
            .await
            .unwrap();
        for _ in 0..20 {
            if b.js(check).await.as_u64().unwrap_or(0) > 0 {
                shown_any = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if shown_any {
            break;
        }
    }
    assert!(
        shown_any,
        "the service worker never showed the pushed message"
    );
    let shown = b.js("return window.__shown[0]").await;
    let task_id = created[1]["id"].as_i64().unwrap();
    assert_eq!(shown[0], "Stretch");
    assert!(
        shown[1].as_str().unwrap().starts_with("Reminder · due "),
        "{shown}"
    );
    assert_eq!(shown[2], format!("task-{task_id}"));
    assert!(
        shown[3]
            .as_str()
            .unwrap()
            .ends_with(&format!("#task-{task_id}")),
        "{shown}"
    );

    // Turning it off removes it on the server too.
    b.client.execute(STAND_IN, vec![sub.clone()]).await.unwrap();
    b.click("#push-on").await;
    b.until(
        "subscribed again",
        "document.getElementById('push-device').dataset.subscribed === 'true'",
    )
    .await;
    b.click("#push-off").await;
    b.until(
        "unsubscribed",
        "document.getElementById('push-device').dataset.subscribed === 'false'",
    )
    .await;
    b.goto(&app.url("/settings/push")).await;
    b.until(
        "no device is counted",
        "document.body.innerText.includes('No device receives your reminders yet.')",
    )
    .await;
    b.shot("push-settings").await;
    let errors = b.console_errors().await;
    assert!(
        errors.is_empty(),
        "console errors (CSP violations among them): {errors:?}"
    );
}

/// Runs `expression` in the app's service worker: DevTools attaches to the worker's target and sends
/// it a `Runtime.evaluate` (chromedriver answers only for the page, so the worker reports back by
/// posting messages to it).
async fn in_service_worker(b: &Browser, expression: &str) {
    let targets = b
        .client
        .issue_cmd(Cdp("Target.getTargets", json!({})))
        .await
        .unwrap();
    let worker = targets["targetInfos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["type"] == "service_worker")
        .unwrap_or_else(|| panic!("no service worker among {targets}"))["targetId"]
        .clone();
    let attached = b
        .client
        .issue_cmd(Cdp(
            "Target.attachToTarget",
            json!({"targetId": worker, "flatten": false}),
        ))
        .await
        .unwrap();
    let evaluate =
        json!({"id": 1, "method": "Runtime.evaluate", "params": {"expression": expression}});
    b.client
        .issue_cmd(Cdp(
            "Target.sendMessageToTarget",
            json!({"sessionId": attached["sessionId"], "message": evaluate.to_string()}),
        ))
        .await
        .unwrap();
}

/// In the worker: Chromium's own `pushManager.subscribe` replaced by one answering `NEXT` (as on the
/// page), then a `pushsubscriptionchange` for the subscription at `OLD` dispatched to the app's
/// handler. A script-made event refuses `waitUntil`, so what the handler hands it is kept instead and
/// its outcome posted to the page, with the key the handler subscribed with.
const CHANGE: &str = r#"(function () {
  var next = NEXT, asked = null, kept = null;
  function tell(m) {
    return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (cs) {
      cs.forEach(function (c) { c.postMessage(m); });
    });
  }
  PushManager.prototype.subscribe = function (options) {
    asked = options.applicationServerKey;
    return Promise.resolve({ endpoint: next.endpoint, toJSON: function () { return next; } });
  };
  var waitUntil = ExtendableEvent.prototype.waitUntil;
  ExtendableEvent.prototype.waitUntil = function (p) { kept = p; };
  var event = new ExtendableEvent("pushsubscriptionchange");
  Object.defineProperty(event, "oldSubscription", { value: { endpoint: OLD } });
  Object.defineProperty(event, "newSubscription", { value: null });
  self.dispatchEvent(event);
  ExtendableEvent.prototype.waitUntil = waitUntil;
  if (!kept) return tell({ handled: false });
  kept.then(function (r) { return tell({ handled: true, status: r.status, key: asked }); },
    function (e) { return tell({ handled: true, error: String(e) }); });
})()"#;

/// The subscriptions the server holds for the signed-in user, read through the API as the page could.
async fn stored_endpoints(b: &Browser) -> Value {
    b.js(
        "const t = (await (await fetch('/api/auth/token')).json()).token; \
          const r = await fetch('/api/' + document.body.dataset.userId + '/push/subscriptions', \
            {headers: {'Authorization': 'Bearer ' + t}}); \
          return (await r.json()).subscriptions.map(s => s.endpoint);",
    )
    .await
}

#[tokio::test]
async fn the_service_worker_swaps_a_replaced_subscription() {
    let _one = ONE_BROWSER.lock().await;
    let push = PushService::start().await;
    let app = App::serve_with(&[("PUSH_ALLOW_INSECURE", "true".into())]).await;
    let Some(b) = Browser::start(1200, 900, true).await else {
        return;
    };
    sign_up(&b, &app, &email("rotate")).await;
    b.goto(&app.url("/settings/push")).await;
    b.until(
        "the switch is offered",
        "!document.getElementById('push-on').hidden",
    )
    .await;
    let grant = json!({"permissions": ["notifications"], "origin": app.base});
    b.client
        .issue_cmd(Cdp("Browser.grantPermissions", grant))
        .await
        .unwrap();
    let old = push.subscribe("old");
    b.client.execute(STAND_IN, vec![old.clone()]).await.unwrap();
    b.click("#push-on").await;
    b.until(
        "subscribed",
        "document.getElementById('push-device').dataset.subscribed === 'true'",
    )
    .await;
    assert_eq!(stored_endpoints(&b).await, json!([old["endpoint"]]));

    b.js("window.__fromWorker = []; \
          navigator.serviceWorker.addEventListener('message', e => window.__fromWorker.push(e.data));")
        .await;
    let new = push.subscribe("new");
    let change = CHANGE
        .replace("NEXT", &new.to_string())
        .replace("OLD", &old["endpoint"].to_string());
    in_service_worker(&b, &change).await;
    b.until("the worker reports", "window.__fromWorker.length > 0")
        .await;
    let report = b.js("return window.__fromWorker[0]").await;
    let key = b
        .js("return document.getElementById('push-device').dataset.key")
        .await;
    assert_eq!(
        report,
        json!({"handled": true, "status": 204, "key": key}),
        "the handler re-subscribed with the server's key and posted the swap"
    );
    assert_eq!(
        stored_endpoints(&b).await,
        json!([new["endpoint"]]),
        "the old subscription replaced by the new"
    );

    // Reminders now reach the new subscription, encrypted for its keys.
    let created = b
        .js("const t = (await (await fetch('/api/auth/token')).json()).token; \
             const at = new Date(Date.now() + 2000).toISOString().replace(/\\.\\d+Z$/, 'Z'); \
             const due = new Date(Date.now() + 3600e3).toISOString(); \
             const r = await fetch('/api/' + document.body.dataset.userId + '/tasks', {method: 'POST', \
               headers: {'Authorization': 'Bearer ' + t, 'Content-Type': 'application/json'}, \
               body: JSON.stringify({title: 'Rotated', due_at: due, reminders: [{at: at}]})}); \
             return r.status;")
        .await;
    assert_eq!(created, 201);
    let got = push.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(
        (got[0].device.as_str(), &got[0].message["title"]),
        ("new", &json!("Rotated"))
    );
    assert!(push.refused().is_empty(), "{:?}", push.refused());

    let errors = b.console_errors().await;
    assert!(
        errors.is_empty(),
        "console errors (CSP violations among them): {errors:?}"
    );
}
