#!/usr/bin/env node
// SPDX-License-Identifier: GPL-3.0-or-later
// Lints Cypher with Neo4j's own parser and semantic analysis (@neo4j-cypher/language-support).
//
//   node lint.mjs [--schema schema.json] [--strict] FILE.cypher ...
//       lints files; parameters are not checked (a file declares them in its header).
//   node lint.mjs --stdin < request.json
//       request: {"schema": {...}, "strict": true,
//                 "statements": [{"name": "...", "text": "...", "parameters": {...}}]}
//       a statement with "parameters" must use no other parameter.
//
// schema: {"labels": [...], "relationshipTypes": [...], "propertyKeys": [...]}; with --strict
// (or "strict": true) a warning (e.g. a label, type or property not in the schema) is an error.
// Functions and procedures are always checked against Neo4j's built-in ones (no plugins).
// Prints one line per finding, "NAME:LINE:COLUMN: error|warning: MESSAGE", and a summary line;
// exits 1 when there is an error, 2 on bad usage.
import { readFileSync } from 'node:fs';
import { lintCypherQuery, isNotParamError, testData } from '@neo4j-cypher/language-support';

// Functions and procedures of a Neo4j server as the package records them, less plugins
// (APOC, GDS): graphkit's Cypher must run on a plain Neo4j, so calling one is an error.
function builtins() {
  const plain = (registry) => Object.fromEntries(
    Object.entries(registry ?? {}).map(([version, byName]) => [
      version,
      Object.fromEntries(Object.entries(byName).filter(([name]) => !/^(apoc|gds)\./.test(name))),
    ]),
  );
  return { functions: plain(testData.mockSchema.functions), procedures: plain(testData.mockSchema.procedures) };
}

function usage(message) {
  process.stderr.write(`cypherlint: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { schema: {}, strict: false, stdin: false, files: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--schema') opts.schema = JSON.parse(readFileSync(argv[++i], 'utf8'));
    else if (a === '--strict') opts.strict = true;
    else if (a === '--stdin') opts.stdin = true;
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else opts.files.push(a);
  }
  return opts;
}

function lintOne(stmt, schema, strict) {
  const checkParams = stmt.parameters !== undefined && stmt.parameters !== null;
  const withBuiltins = { ...known, ...schema };
  const dbSchema = checkParams ? { ...withBuiltins, parameters: stmt.parameters } : withBuiltins;
  const { diagnostics } = lintCypherQuery(stmt.text, dbSchema);
  const found = [];
  for (const d of diagnostics) {
    if (!checkParams && !isNotParamError(d)) continue;
    const isError = d.severity === 1 || strict;
    const where = `${stmt.name}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
    found.push({ isError, line: `${where}: ${d.severity === 1 ? 'error' : 'warning'}: ${d.message}` });
  }
  return found;
}

const opts = parseArgs(process.argv.slice(2));
let statements;
let { schema, strict } = opts;
const known = builtins();
if (opts.stdin) {
  const request = JSON.parse(readFileSync(0, 'utf8'));
  schema = request.schema ?? schema;
  strict = request.strict ?? strict;
  statements = request.statements ?? [];
} else {
  if (opts.files.length === 0) usage('no files given (or use --stdin)');
  statements = opts.files.map((f) => ({ name: f, text: readFileSync(f, 'utf8') }));
}
if (statements.length === 0) usage('no statements to lint');

let errors = 0;
let warnings = 0;
for (const stmt of statements) {
  for (const f of lintOne(stmt, schema, strict)) {
    if (f.isError) errors += 1;
    else warnings += 1;
    process.stdout.write(`${f.line}\n`);
  }
}
process.stdout.write(`cypherlint: ${statements.length} statements, ${errors} errors, ${warnings} warnings\n`);
process.exit(errors > 0 ? 1 : 0);
