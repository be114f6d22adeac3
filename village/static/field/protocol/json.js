// JSON text exactly as Python's json.dumps(value, ensure_ascii=False, separators=(",", ":")) writes it,
// and a parser that keeps integers beyond 2^53 (clock stamps) exact as BigInt.

/** Return a finite non-integer number as Python's repr() writes it (e.g. 1e-05, 2.5, 1.5e+16). */
function pythonFloat(x) {
  const [mantissa, expText] = x.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return String(x); // JavaScript writes the same shortest digits positionally in this range
}

function number(x) {
  if (!Number.isFinite(x)) throw new TypeError("JSON has no NaN or Infinity");
  // A whole number is written as an integer (Python writes 2.0 for a float; JavaScript cannot tell).
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return String(x);
  return pythonFloat(x);
}

/** Return `value` as Python's compact JSON text. */
export function dumps(value) {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "boolean": return value ? "true" : "false";
    case "number": return number(value);
    case "bigint": return value.toString();
    case "string": return JSON.stringify(value);
    default: break;
  }
  if (Array.isArray(value)) return "[" + value.map(dumps).join(",") + "]";
  const parts = [];
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) parts.push(JSON.stringify(key) + ":" + dumps(item));
  }
  return "{" + parts.join(",") + "}";
}

/** Parse JSON text; integers outside the safe range come back as BigInt, exact. */
export function loads(text) {
  return JSON.parse(text, (key, value, context) => {
    if (typeof value === "number" && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  });
}
