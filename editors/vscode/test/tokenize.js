// Tokenizes texts with the extension's TextMate grammar, as VS Code does
// (vscode-textmate + the Oniguruma regex engine), for tests/editors/test_grammar.py.
//
// stdin: {"categories": {scope: category}, "texts": [text, ...]}
// stdout: one JSON line per text: [[start, end, category], ...], offsets in code points
// of the text, for the tokens that carry one of the scopes (the outermost one counts).
'use strict';
const fs = require('fs');
const path = require('path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const GRAMMAR = path.join(__dirname, '..', 'syntaxes', 'systemtap.tmLanguage.json');
const WASM = path.join(path.dirname(require.resolve('vscode-oniguruma')), 'onig.wasm');

async function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  const categories = request.categories;
  await oniguruma.loadWASM(fs.readFileSync(WASM).buffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => scopeName === 'source.systemtap'
      ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR)
      : null,
  });
  const grammar = await registry.loadGrammar('source.systemtap');
  const out = [];
  for (const text of request.texts) {
    out.push(JSON.stringify(categorize(grammar, text, categories)));
  }
  process.stdout.write(out.join('\n') + '\n');
}

function categorize(grammar, text, categories) {
  const runs = [];
  let ruleStack = vsctm.INITIAL;
  let offset = 0; // code points before the current line
  for (const line of text.split('\n')) {
    const result = grammar.tokenizeLine(line, ruleStack, 0);
    const toPoints = codePointIndex(line);
    for (const token of result.tokens) {
      const category = token.scopes.map((s) => categories[s]).find((c) => c !== undefined);
      if (category === undefined) continue;
      const end = Math.min(token.endIndex, line.length);
      if (end <= token.startIndex) continue;
      runs.push([offset + toPoints(token.startIndex), offset + toPoints(end), category]);
    }
    ruleStack = result.ruleStack;
    offset += toPoints(line.length) + 1;
  }
  return runs;
}

// JavaScript strings index UTF-16 code units; Python's, code points.
function codePointIndex(line) {
  if (!/[\uD800-\uDFFF]/.test(line)) return (i) => i;
  const points = new Array(line.length + 1);
  let p = 0;
  for (let i = 0; i <= line.length; i++) {
    points[i] = p;
    const c = line.charCodeAt(i);
    if (!(c >= 0xD800 && c <= 0xDBFF && i + 1 < line.length)) p++;
  }
  return (i) => points[i];
}

main().catch((err) => { console.error(err && err.stack || String(err)); process.exit(1); });
