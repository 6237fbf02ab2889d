// The lines the screens show before the server has told them its own list
// (the first snapshot), so that nothing jumps or is missing while connecting.
// The server's list always wins: lines, names and prefixes are configuration.

/**
 * @typedef {{id: string, name: string, short: string, prefix: string, ages: string}} LineInfo
 */

/** @type {LineInfo[]} */
export const DEFAULT_LINES = [
  { id: "mbe", name: "Migrationsberatung für erwachsene Zuwanderer", short: "MBE", prefix: "M", ages: "27+" },
  { id: "jmd", name: "Jugendmigrationsdienst", short: "JMD", prefix: "J", ages: "12–26" },
];

/**
 * The lines to show: the server's, each completed with a short name, or the
 * defaults while the server's are not known.
 * @param {Array<{id: string, name?: string, prefix?: string, ages?: string}>} serverLines
 * @returns {LineInfo[]}
 */
export function linesOrDefault(serverLines) {
  if (!serverLines || serverLines.length === 0) return DEFAULT_LINES;
  return serverLines.map((l) => {
    const d = DEFAULT_LINES.find((x) => x.id === l.id);
    return {
      id: l.id,
      name: l.name || (d && d.name) || l.id,
      short: (d && d.short) || l.id.toUpperCase(),
      prefix: l.prefix || (d && d.prefix) || "",
      ages: l.ages || (d && d.ages) || "",
    };
  });
}

/**
 * Says the ages of a line in German words: "27+" → "27 Jahre und älter",
 * "12–26" → "12 bis 26 Jahre". Anything else is returned as it is.
 * @param {string} ages
 */
export function agesInGerman(ages) {
  const s = (ages || "").trim();
  let m = /^(\d+)\s*\+$/.exec(s);
  if (m) return `${m[1]} Jahre und älter`;
  m = /^(\d+)\s*[-–]\s*(\d+)$/.exec(s);
  if (m) return `${m[1]} bis ${m[2]} Jahre`;
  return s;
}
