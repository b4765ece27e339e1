#!/usr/bin/env python3
"""An independent MCP client for the tests: the official Python SDK (`pip install mcp`, 2.x).

Usage:
  mcp_client.py --url URL [--token JWT] [--mode auto|legacy] [--elicit accept|decline] < plan.json
  mcp_client.py [--mode ...] --stdio COMMAND [ARG...] < plan.json
plan.json is a list of steps:
  {"tool": NAME, "args": {...}}                    call a tool
  {"resources": true}                              list resources and resource templates
  {"read": URI}                                    read a resource
  {"prompts": true} / {"prompt": NAME}             list prompts / get one
  {"subscribe": URI, "rest": {"method", "url", "json"?}}
      subscribe to URI (resources/subscribe in a legacy session, subscriptions/listen on 2026-07-28),
      then make the REST request with the same token, and wait up to 10 s for the resource's update
With --elicit the client offers elicitation and answers every question so (accept: confirm=true).
Prints one JSON object:
  {"server": NAME, "protocol": VERSION, "tools": [NAMES], "tool_defs": [...], "calls": [...],
   "elicited": [MESSAGES], "steps": [...]}
Exit 1 (with {"error": ...}) when the session itself fails.
"""
import argparse
import asyncio
import json
import os
import sys


def dump(model):
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def run(a, plan):
    import mcp_types as types
    from mcp import Client, StdioServerParameters

    headers = {"Authorization": f"Bearer {a.token}"} if a.token else {}
    if a.stdio:
        server = StdioServerParameters(command=a.stdio[0], args=a.stdio[1:], env=dict(os.environ))
    elif a.token:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        server = streamable_http_client(a.url, http_client=httpx2.AsyncClient(headers=headers, timeout=30))
    else:
        server = a.url
    out = {"calls": [], "elicited": [], "steps": []}

    async def elicit(context, params):
        out["elicited"].append(params.message)
        if a.elicit == "accept":
            return types.ElicitResult(action="accept", content={"confirm": True})
        return types.ElicitResult(action="decline")

    updates = []

    async def on_message(message):
        root = getattr(message, "root", message)
        if isinstance(root, types.ResourceUpdatedNotification):
            updates.append(root.params.uri)

    options = {"mode": a.mode, "read_timeout_seconds": 30, "message_handler": on_message}
    if a.elicit:
        options["elicitation_callback"] = elicit
    async with Client(server, **options) as c:
        out["server"] = c.server_info.name if c.server_info else None
        out["protocol"] = c.protocol_version
        tools = await c.list_tools()
        out["tools"] = [t.name for t in tools.tools]
        out["tool_defs"] = [dump(t) for t in tools.tools]
        for step in plan:
            if "tool" in step:
                res = await c.call_tool(step["tool"], step.get("args", {}))
                text = "".join(getattr(b, "text", "") for b in res.content)
                # SDK 2.x names fields in snake_case; 1.x in camelCase.
                is_error = getattr(res, "is_error", getattr(res, "isError", False))
                structured = getattr(res, "structured_content", getattr(res, "structuredContent", None))
                out["calls"].append({"is_error": bool(is_error), "structured": structured, "text": text})
            elif "resources" in step:
                listed = await c.list_resources()
                templates = await c.list_resource_templates()
                out["steps"].append({
                    "resources": [dump(r) for r in listed.resources],
                    "templates": [dump(t) for t in templates.resource_templates],
                })
            elif "read" in step:
                try:
                    res = await c.read_resource(step["read"])
                    text = "".join(getattr(x, "text", "") for x in res.contents)
                    out["steps"].append({"json": json.loads(text), "mime": res.contents[0].mime_type})
                except Exception as e:  # a refused read is a result too
                    out["steps"].append({"error": str(e)})
            elif "prompts" in step:
                listed = await c.list_prompts()
                out["steps"].append({"prompts": [dump(p) for p in listed.prompts]})
            elif "prompt" in step:
                res = await c.get_prompt(step["prompt"])
                text = "\n".join(getattr(m.content, "text", "") for m in res.messages)
                out["steps"].append({"text": text, "roles": [m.role for m in res.messages]})
            elif "subscribe" in step:
                out["steps"].append(await subscribe(c, step, headers, updates))
    return out


async def subscribe(c, step, headers, updates):
    """Subscribes to a resource, changes it over REST and reports whether the update arrived."""
    import anyio
    import httpx2

    uri, rest = step["subscribe"], step["rest"]

    async def change():
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
            r = await http.request(rest["method"], rest["url"], json=rest.get("json"))
            return r.status_code

    if c.protocol_version >= "2026-07-28":
        async with c.listen(resource_subscriptions=[uri]) as sub:
            status = await change()
            got = None
            with anyio.move_on_after(10):
                async for event in sub:
                    if getattr(event, "uri", None) == uri:
                        got = event.uri
                        break
            return {"via": "listen", "rest_status": status, "updated": got == uri}
    await c.subscribe_resource(uri)
    status = await change()
    with anyio.move_on_after(10):
        while uri not in updates:
            await anyio.sleep(0.05)
    return {"via": "resources/subscribe", "rest_status": status, "updated": uri in updates}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url")
    p.add_argument("--token")
    p.add_argument("--mode", default="auto")
    p.add_argument("--elicit", choices=["accept", "decline"])
    p.add_argument("--stdio", nargs=argparse.REMAINDER)
    a = p.parse_args()
    plan = json.load(sys.stdin)
    try:
        print(json.dumps(asyncio.run(run(a, plan))))
    except BaseException as e:  # report the root cause of a failed session
        while isinstance(e, BaseExceptionGroup) and e.exceptions:
            e = e.exceptions[0]
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)


if __name__ == "__main__":
    main()
