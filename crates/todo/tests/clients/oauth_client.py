#!/usr/bin/env python3
"""An MCP client that signs in the standard way: the official Python SDK's OAuth client
(`mcp.client.auth.OAuthClientProvider`, SDK 2.x) against a todo deployment.

Usage:
  oauth_client.py --url MCP_URL --email EMAIL --password PASSWORD

The SDK discovers everything from the 401 of MCP_URL (protected-resource metadata, the
authorization server's metadata), registers itself, and sends the browser to the consent page.
Here the "browser" is an HTTP client: the redirect handler signs in to the web app with
EMAIL/PASSWORD, reads the consent form and posts "Allow", and hands the code and state the app
was redirected with to the SDK's callback handler. Then the script calls tools, forces a
refresh, revokes the tokens at the revocation endpoint and checks the old access token is
refused. Prints one JSON report; exit 1 with {"error": ...} when the flow fails.
"""
import argparse
import asyncio
import json
import sys
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlparse

CALLBACK = "http://127.0.0.1:33418/callback"


class Form(HTMLParser):
    """The fields of the consent form (hidden inputs), as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields = {}
        self.in_consent = False
        self.csrf = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("action") == "/oauth/authorize":
            self.in_consent = True
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            if a["name"] == "_csrf":
                self.csrf = a.get("value")
            if self.in_consent:
                self.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_consent = False


def form_of(html):
    f = Form()
    f.feed(html)
    return f


class Memory:
    """TokenStorage in memory."""

    def __init__(self):
        self.tokens = None
        self.client = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, info):
        self.client = info


async def run(a):
    import httpx2
    from mcp import Client
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    report = {"authorizations": 0, "consent": None, "calls": []}
    browser = httpx2.AsyncClient(follow_redirects=False, timeout=30)
    redirected = asyncio.Queue()

    async def sign_in(base):
        page = await browser.get(urljoin(base, "/sign-in"))
        csrf = form_of(page.text).csrf
        r = await browser.post(
            urljoin(base, "/sign-in"),
            data={"_csrf": csrf, "email": a.email, "password": a.password},
        )
        assert r.status_code == 303, f"sign-in answered {r.status_code}: {r.text[:300]}"

    async def redirect_handler(url):
        """The user's browser: sign in if needed, read the consent page, press Allow."""
        report["authorizations"] += 1
        report["authorize_url"] = url
        base = f"{urlparse(url).scheme}://{urlparse(url).netloc}"
        page = await browser.get(url)
        if page.status_code == 303:
            # Not signed in: the app sends the browser to sign in, then back here.
            assert "/sign-in?next=" in page.headers["location"], page.headers["location"]
            await sign_in(base)
            page = await browser.get(url)
        assert page.status_code == 200, f"consent page answered {page.status_code}: {page.text[:300]}"
        form = form_of(page.text)
        report["consent"] = {
            "client": "Python SDK test" in page.text,
            "host": "127.0.0.1" in page.text,
            "csp": page.headers.get("content-security-policy", ""),
        }
        data = dict(form.fields)
        data["_csrf"] = form.csrf
        data["decision"] = "allow"
        r = await browser.post(urljoin(base, "/oauth/authorize"), data=data)
        assert r.status_code == 303, f"consent answered {r.status_code}: {r.text[:300]}"
        await redirected.put(r.headers["location"])

    async def callback_handler():
        location = await redirected.get()
        assert location.startswith(CALLBACK + "?"), location
        q = parse_qs(urlparse(location).query)
        return AuthorizationCodeResult(code=q["code"][0], state=q.get("state", [None])[0])

    storage = Memory()
    provider = OAuthClientProvider(
        server_url=a.url,
        client_metadata=OAuthClientMetadata(
            client_name="Python SDK test",
            redirect_uris=[CALLBACK],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )

    async def session(steps):
        http = httpx2.AsyncClient(auth=provider, timeout=30)
        async with Client(streamable_http_client(a.url, http_client=http), read_timeout_seconds=30) as c:
            tools = await c.list_tools()
            report["tools"] = [t.name for t in tools.tools]
            for name, args in steps:
                res = await c.call_tool(name, args)
                text = "".join(getattr(b, "text", "") for b in res.content)
                report["calls"].append({"tool": name, "is_error": bool(res.is_error), "text": text})

    # 1. Discovery from the 401, registration, authorization, token, tools/call.
    await session([("add_task", {"title": "Signed in through OAuth"}), ("list_tasks", {})])
    first = storage.tokens
    report["scope"] = first.scope
    report["expires_in"] = first.expires_in
    report["registered"] = storage.client.client_id is not None

    # 2. Refresh: the access token is taken as expired, so the SDK refreshes before the next call.
    provider.context.token_expiry_time = 1
    await session([("list_tasks", {})])
    second = storage.tokens
    report["refreshed"] = second.access_token != first.access_token
    report["rotated"] = second.refresh_token != first.refresh_token

    # 3. The rotated-out access token no longer matters; revoke the live refresh token (RFC 7009).
    meta = provider.context.oauth_metadata
    r = await browser.post(
        str(meta.revocation_endpoint),
        data={"token": second.refresh_token, "token_type_hint": "refresh_token",
              "client_id": storage.client.client_id},
    )
    report["revoke_status"] = r.status_code
    probe = await browser.post(
        a.url,
        headers={"Authorization": f"Bearer {second.access_token}",
                 "Accept": "application/json, text/event-stream",
                 "Content-Type": "application/json"},
        content=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}),
    )
    report["after_revoke"] = {"status": probe.status_code,
                              "www_authenticate": probe.headers.get("www-authenticate", "")}
    # 4. The SDK meets the 401 and signs in again (a second consent).
    await session([("list_tasks", {})])
    await browser.aclose()
    return report


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    a = p.parse_args()
    try:
        print(json.dumps(asyncio.run(run(a))))
    except BaseException as e:  # report the root cause of a failed flow
        while isinstance(e, BaseExceptionGroup) and e.exceptions:
            e = e.exceptions[0]
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)


if __name__ == "__main__":
    main()
