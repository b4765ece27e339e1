"""Reads a calendar feed with independent parsers and prints what they found, as JSON.

Usage: ics_check.py FEED.ics FROM TO
  FROM, TO: ISO 8601 instants (UTC) between which recurring components are expanded.

Python's `icalendar` parses the document (strictly: a malformed line is an error, not skipped);
`recurring_ical_events` expands each component's RRULE. Each VTIMEZONE is also turned into a time zone
from its own observances (not looked up by name, as the parser otherwise does) and its offsets compared
with the IANA database's every six hours between FROM and TO.
"""

import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events


def iso(value):
    if value is None:
        return None
    dt = value.dt if hasattr(value, "dt") else value
    if isinstance(dt, datetime):
        return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.isoformat()


def text(component, name):
    value = component.get(name)
    return None if value is None else str(value)


def main():
    path, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, "rb") as f:
        raw = f.read()
    cal = icalendar.Calendar.from_ical(raw)
    start = datetime.fromisoformat(start.replace("Z", "+00:00"))
    end = datetime.fromisoformat(end.replace("Z", "+00:00"))

    components = []
    for c in cal.walk():
        if c.name not in ("VTODO", "VEVENT"):
            continue
        categories = []
        cats = c.get("CATEGORIES")
        for prop in cats if isinstance(cats, list) else ([cats] if cats else []):
            categories.extend(str(x) for x in prop.cats)
        start_prop = c.get("DTSTART")
        components.append(
            {
                "kind": c.name,
                "uid": text(c, "UID"),
                "summary": text(c, "SUMMARY"),
                "description": text(c, "DESCRIPTION"),
                "status": text(c, "STATUS"),
                "priority": int(c["PRIORITY"]) if "PRIORITY" in c else None,
                "categories": categories,
                "dtstart": iso(start_prop),
                "tzid": start_prop.params.get("TZID") if start_prop is not None else None,
                "due": iso(c.get("DUE")),
                "completed": iso(c.get("COMPLETED")),
                "dtstamp": iso(c.get("DTSTAMP")),
                "rrule": c["RRULE"].to_ical().decode() if "RRULE" in c else None,
                "related_to": text(c, "RELATED-TO"),
                "alarms": [
                    {
                        "action": text(a, "ACTION"),
                        "trigger": a["TRIGGER"].to_ical().decode(),
                        "value": a["TRIGGER"].params.get("VALUE"),
                        "related": a["TRIGGER"].params.get("RELATED"),
                    }
                    for a in c.subcomponents
                    if a.name == "VALARM"
                ],
            }
        )

    occurrences = {}
    for o in recurring_ical_events.of(cal, components=["VTODO", "VEVENT"]).between(start, end):
        occurrences.setdefault(str(o["UID"]), []).append(iso(o["DTSTART"]))
    for times in occurrences.values():
        times.sort()

    zone_mismatches = []
    zones = []
    for vtz in cal.walk("VTIMEZONE"):
        name = str(vtz["TZID"])
        zones.append(name)
        own = vtz.to_tz(lookup_tzid=False)
        iana = ZoneInfo(name)
        at = start
        while at < end and len(zone_mismatches) < 10:
            mine = at.astimezone(own).utcoffset()
            theirs = at.astimezone(iana).utcoffset()
            if mine != theirs:
                zone_mismatches.append(f"{name} at {iso(at)}: {mine} != {theirs}")
            at += timedelta(hours=6)

    json.dump(
        {
            "version": text(cal, "VERSION"),
            "prodid": text(cal, "PRODID"),
            "zones": zones,
            "zone_mismatches": zone_mismatches,
            "components": components,
            "occurrences": occurrences,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
