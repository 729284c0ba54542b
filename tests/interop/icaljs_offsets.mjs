// The UTC offsets Mozilla's ical.js (Thunderbird) computes from a VTIMEZONE at given local times.
// Usage: node icaljs_offsets.mjs REQUESTS.json, where the JSON maps a file (a VCALENDAR holding
// one VTIMEZONE) to local times "YYYYMMDDTHHMMSS"  ->  JSON {file: [offset in seconds, ...]}
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const require = createRequire(pathToFileURL(process.cwd() + "/"));
const ICAL = (await import(pathToFileURL(require.resolve("ical.js")).href)).default;

const requests = JSON.parse(readFileSync(process.argv[2], "utf8"));
const result = {};
for (const [file, times] of Object.entries(requests)) {
  const root = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  const zone = new ICAL.Timezone(root.getFirstSubcomponent("vtimezone"));
  result[file] = times.map((text) => {
    const time = ICAL.Time.fromDateTimeString(
      `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T` +
        `${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15)}`,
    );
    time.zone = zone;
    return zone.utcOffset(time);
  });
}
process.stdout.write(JSON.stringify(result));
