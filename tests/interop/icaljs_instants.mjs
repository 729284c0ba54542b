// Parse iCalendar files with Mozilla's ical.js (what Thunderbird uses) and print, per file, the
// UTC instants it reads for each VEVENT. Each file's own VTIMEZONEs are registered first, as a
// calendar client does with an invite; ical.js never falls back to a zone database of its own.
// Usage: node icaljs_instants.mjs FILE [FILE...]  ->  JSON {file: [{uid, method, start, end}]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(pathToFileURL(process.cwd() + "/"));
const ICAL = (await import(pathToFileURL(require.resolve("ical.js")).href)).default;

const result = {};
for (const file of process.argv.slice(2)) {
  const root = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  ICAL.TimezoneService.reset();
  for (const zone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  result[file] = root.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    for (const name of ["dtstart", "dtend"]) {
      const tzid = component.getFirstProperty(name)?.getParameter("tzid");
      if (tzid && !ICAL.TimezoneService.has(tzid)) {
        throw new Error(`${file}: ${name} uses TZID ${tzid} without a VTIMEZONE`);
      }
    }
    return {
      uid: event.uid,
      method: root.getFirstPropertyValue("method"),
      status: component.getFirstPropertyValue("status"),
      class: component.getFirstPropertyValue("class"),
      summary: event.summary,
      attendees: component.getAllProperties("attendee").length,
      start: event.startDate.toUnixTime(),
      end: event.endDate.toUnixTime(),
    };
  });
}
process.stdout.write(JSON.stringify(result));
