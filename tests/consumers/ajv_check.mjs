// Validates documents with ajv's JSON Schema 2020-12 build, as editors and JS tools would.
// Usage: node ajv_check.mjs NODE_MODULES SCHEMA.json DOCUMENTS.json
// DOCUMENTS.json maps a name to a JSON document. Prints {"warnings": [...], "errors": {name:
// [error, ...]}} where [] means valid; a schema ajv cannot compile exits non-zero.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const [nodeModules, schemaFile, documentsFile] = process.argv.slice(2);
// The packages live in a cache folder, not beside this script: resolve them from there.
const require = createRequire(join(nodeModules, "noop.js"));
const Ajv2020 = require("ajv/dist/2020").default;

const warnings = [];
const logger = { log() {}, warn: (...a) => warnings.push(a.join(" ")), error: console.error };
// Every strict check is an error except strictRequired, which is only logged (and the test pins
// the log): it cannot see that `anyOf: [{required: [outcome]}, ...]` names properties defined
// beside the anyOf, the usual "at least one of" idiom.
const ajv = new Ajv2020({ strict: true, strictRequired: "log", allErrors: true, logger });
// An editor-only annotation (VS Code shows it on hover); strict mode refuses unknown keywords.
ajv.addVocabulary(["markdownDescription"]);
const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
const documents = JSON.parse(readFileSync(documentsFile, "utf8"));
const errors = {};
for (const [name, document] of Object.entries(documents)) {
  errors[name] = validate(document)
    ? []
    : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
}
process.stdout.write(JSON.stringify({ warnings, errors }));
