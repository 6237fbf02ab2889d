// The choices the kiosk offers, youngest first. Age decides the line:
// 12 to 26 → JMD, 27 and older → MBE. The words for each line live in the
// translations (ages.<id>, service.<id>); this list says what else a choice
// needs. A line the server does not know is left out once its list arrives.

/** @type {Array<{id: string, short: string, ages: string, icon: string}>} */
export const KIOSK_LINES = [
  { id: "jmd", short: "JMD", ages: "12–26", icon: "/kiosk/icons/youth.svg" },
  { id: "mbe", short: "MBE", ages: "27+", icon: "/kiosk/icons/adult.svg" },
];
