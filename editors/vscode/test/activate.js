// Runs the extension's activate() against stand-ins for the `vscode` API and the
// language client, for tests/editors/test_vscode_extension.py: prints, as JSON, the
// server command and client options the extension would start `stapkit lsp` with.
// (No VS Code runs in the tests; this checks the extension's own code.)
'use strict';
const Module = require('module');
const path = require('path');

const manifest = require('../package.json');
const userSettings = JSON.parse(process.argv[2] || '{}'); // e.g. {"path": "/opt/stapkit", "ignore": ["STP504"]}
const recorded = { commands: [], clients: [] };

const vscode = {
  workspace: {
    getConfiguration(section) {
      if (section !== 'stapkit') throw new Error(`unexpected configuration section ${section}`);
      const properties = manifest.contributes.configuration.properties;
      return {
        get(name) {
          if (!(`stapkit.${name}` in properties)) throw new Error(`undeclared setting stapkit.${name}`);
          return name in userSettings ? userSettings[name] : properties[`stapkit.${name}`].default;
        },
      };
    },
    createFileSystemWatcher: (glob) => ({ glob }),
    onDidChangeConfiguration: () => ({ dispose() {} }),
  },
  commands: {
    registerCommand(name) { recorded.commands.push(name); return { dispose() {} }; },
    executeCommand: async () => undefined,
  },
  window: { showErrorMessage: (message) => { recorded.error = message; } },
};

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    recorded.clients.push({ id, name, serverOptions, clientOptions });
    this.state = 2;
  }
  async start() {}
  async stop() {}
}
const languageClient = { LanguageClient, State: { Stopped: 1, Running: 2, Starting: 3 } };

const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscode;
  if (request === 'vscode-languageclient/node') return languageClient;
  return load.call(this, request, parent, isMain);
};

const extension = require(path.join('..', manifest.main));
const context = { subscriptions: [], extension: { packageJSON: manifest } };
extension.activate(context).then(() => {
  const declared = manifest.contributes.commands.map((c) => c.command);
  process.stdout.write(JSON.stringify({ ...recorded, declared, subscriptions: context.subscriptions.length }) + '\n');
}, (err) => { console.error(err && err.stack || String(err)); process.exit(1); });
