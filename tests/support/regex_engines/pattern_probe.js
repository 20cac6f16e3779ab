// Matches JSON Schema patterns the way a JavaScript validator does: ECMA-262 RegExp, test() (an unanchored
// search), once without flags and once with the "u" flag that ajv uses. Same input and output as PatternProbe.java,
// with two columns per pattern.
const lines = require("fs").readFileSync(0, "ascii").split("\n").filter((line) => line.length > 0);
const decode = (token) => Buffer.from(token.slice(1), "hex").toString("utf8");
const patterns = lines[0].trim().split(" ").map(decode);
const compiled = patterns.flatMap((p) => [new RegExp(p), new RegExp(p, "u")]);
const out = lines.slice(1).map((line) => {
  const candidate = decode(line.trim());
  return compiled.map((regex) => (regex.test(candidate) ? "1" : "0")).join("");
});
process.stdout.write(out.map((row) => row + "\n").join(""));
