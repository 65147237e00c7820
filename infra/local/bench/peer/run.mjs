// Benchmark runner for the npm peer aws-local-stepfunctions (3.0.0).
//
// Usage: node run.mjs <path to aws-local-stepfunctions' main.node.esm.js>
//                     <definition.json> <input.json>
//
// It loads the package and the definition once, prints {"ready":true,...},
// then serves one request per stdin line, a JSON object
// {"output": "<file>"} ("" = do not write the output): it parses the input,
// runs one execution, stringifies its result, and answers with one line
// {"ms": <wall time of parse+run+stringify>} or {"error": "..."}.
// The package is imported by path so this script can live anywhere.

// Node 20 lacks Promise.withResolvers (ES2024), which the package uses.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';

const [entry, defPath, inputPath] = process.argv.slice(2);
if (!entry || !defPath || !inputPath) {
  process.stderr.write('usage: node run.mjs <package entry> <definition.json> <input.json>\n');
  process.exit(2);
}

const { StateMachine } = await import(pathToFileURL(entry).href);
const definition = JSON.parse(readFileSync(defPath, 'utf8'));
const inputText = readFileSync(inputPath, 'utf8');
const machine = new StateMachine(definition);

const send = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
send({ ready: true, node: process.version });

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  try {
    const req = JSON.parse(line);
    const t0 = performance.now();
    const input = JSON.parse(inputText);
    const result = await new StateMachine(definition).run(input).result;
    const out = JSON.stringify(result);
    const ms = performance.now() - t0;
    if (req.output) writeFileSync(req.output, out);
    send({ ms });
  } catch (err) {
    send({ error: String(err && err.stack ? err.stack : err) });
  }
}
