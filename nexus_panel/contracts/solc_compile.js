// Compile Solidity with solc-js (the npm package `solc`, pinned in package.json).
// Reads solc's standard JSON input on stdin; writes {"version", "output"} as JSON on
// stdout, where "output" is solc's standard JSON output. Run by nexus_panel/contracts/evm.py.
"use strict";
const solc = require("solc");

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const output = solc.compile(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(JSON.stringify({ version: solc.version(), output: JSON.parse(output) }));
});
