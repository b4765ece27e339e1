#!/usr/bin/env python3
"""An independent MCP client for the tests: the official Python SDK (`pip install mcp`, 2.x).

Usage:
  mcp_client.py --url URL [--token JWT] [--mode auto|legacy] < plan.json
  mcp_client.py [--mode ...] --stdio COMMAND [ARG...] < plan.json
plan.json is a list of {"tool": NAME, "args": {...}}. Prints one JSON object:
  {"server": NAME, "tools": [NAMES], "calls": [{"is_error": bool, "structured": ..., "text": "..."}]}
Exit 1 (with {"error": ...}) when the session itself fails.
"""
import argparse
import asyncio
import json
import os
import sys


async def run(a, plan):
    from mcp import Client, StdioServerParameters

    if a.stdio:
        server = StdioServerParameters(command=a.stdio[0], args=a.stdio[1:], env=dict(os.environ))
    elif a.token:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        headers = {"Authorization": f"Bearer {a.token}"}
        server = streamable_http_client(a.url, http_client=httpx2.AsyncClient(headers=headers, timeout=30))
    else:
        server = a.url
    out = {"calls": []}
    async with Client(server, mode=a.mode, read_timeout_seconds=30) as c:
        out["server"] = c.server_info.name if c.server_info else None
        tools = await c.list_tools()
        out["tools"] = [t.name for t in tools.tools]
        for step in plan:
            res = await c.call_tool(step["tool"], step.get("args", {}))
            text = "".join(getattr(b, "text", "") for b in res.content)
            # SDK 2.x names fields in snake_case; 1.x in camelCase.
            is_error = getattr(res, "is_error", getattr(res, "isError", False))
            structured = getattr(res, "structured_content", getattr(res, "structuredContent", None))
            out["calls"].append({"is_error": bool(is_error), "structured": structured, "text": text})
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url")
    p.add_argument("--token")
    p.add_argument("--mode", default="auto")
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
