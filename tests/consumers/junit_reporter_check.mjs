// Reads JUnit files the way mikepenz/action-junit-report does, with the XML library it uses
// (xml-js, compact mode), from the fields its README documents: nested testsuite/testcase,
// name, classname, file, line, time, and failure/error/skipped with their message. Our own code:
// the action itself is not on npm, so CI cannot run it (record_junit_reporter.py ran it by hand).
// Usage: node junit_reporter_check.mjs NODE_MODULES FILE.xml...  Prints {file: reading}.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [nodeModules, ...files] = process.argv.slice(2);
const require = createRequire(join(nodeModules, "noop.js"));
const convert = require("xml-js");

const list = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function read(file) {
  const report = JSON.parse(convert.xml2json(readFileSync(file, "utf8"), { compact: true }));
  const reading = { total: 0, passed: 0, skipped: 0, failed: 0, time: 0, annotations: [] };
  const walk = (suite) => {
    const attributes = suite._attributes || {};
    for (const testcase of list(suite.testcase)) {
      const at = testcase._attributes || {};
      const issues = [...list(testcase.failure), ...list(testcase.error)];
      const skip = testcase.skipped !== undefined;
      reading.total += 1;
      reading.time += at.time === undefined ? 0 : parseFloat(at.time);
      if (skip) reading.skipped += 1;
      // A skipped case does not fail the job even when it also carries a failure.
      if (issues.length > 0 && !skip) {
        reading.failed += 1;
        for (const issue of issues) {
          const body = String(issue._cdata || issue._text || "").trim();
          const message = ((issue._attributes || {}).message || body.split("\n").slice(0, 2).join("\n") || at.name).trim();
          const path = at.file || attributes.file || at.classname;
          reading.annotations.push({
            level: "error",
            path,
            line: parseInt(at.line || attributes.line, 10) || 1,
            title: path !== at.name ? `${path}.${at.name}` : at.name,
            message,
            name: at.name,
            suite: attributes.name,
          });
        }
      }
      if (issues.length === 0 && !skip) reading.passed += 1;
    }
    for (const child of list(suite.testsuite)) walk(child);
  };
  walk(report.testsuites || report.testsuite);
  return reading;
}

const out = {};
for (const file of files) out[file] = read(file);
process.stdout.write(JSON.stringify(out));
