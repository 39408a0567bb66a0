// Dates as people read them: local time, and relative to now ("expires in 14 min",
// "expired 2 h ago"), the wording of `keycard decode`.

const UNITS = [
  [86400, "d"],
  [3600, "h"],
  [60, "min"],
  [1, "s"],
];

/** `seconds` (positive) as the largest whole unit: "14 min", "2 h", "3 d". */
export function span(seconds) {
  for (const [size, unit] of UNITS) {
    if (seconds >= size) return `${Math.floor(seconds / size)} ${unit}`;
  }
  return "0 s";
}

/** A Unix time in the browser's local time zone. */
export function local(unixSeconds) {
  return new Date(unixSeconds * 1000).toLocaleString();
}

/** How `claim` (exp, nbf, iat or a plain time) at `at` reads relative to `now`. */
export function relative(claim, at, now = Date.now() / 1000) {
  const delta = Math.round(at - now);
  const future = delta > 0;
  const amount = span(Math.abs(delta));
  switch (claim) {
    case "exp":
      return future ? `expires in ${amount}` : `expired ${amount} ago`;
    case "nbf":
      return future ? `not valid for another ${amount}` : `valid since ${amount} ago`;
    case "iat":
      return future ? `issued ${amount} in the future` : `issued ${amount} ago`;
    default:
      return future ? `in ${amount}` : `${amount} ago`;
  }
}
